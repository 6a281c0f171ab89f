#include "store.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <map>

#include "base/private_file.hpp"
#include "values.hpp"

namespace lontar::agent {

namespace {
constexpr int page_cache_kib = 16 << 10;
constexpr std::string_view schema = R"sql(
CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS entries(
  seq INTEGER PRIMARY KEY,
  hash BLOB NOT NULL,
  kind INTEGER NOT NULL,
  recorded_at_ms INTEGER NOT NULL,
  operator TEXT NOT NULL,
  nik TEXT NOT NULL,
  name TEXT NOT NULL,
  ref TEXT NOT NULL,
  verdict BLOB NOT NULL,
  confirmed INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  outcome INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS entries_nik ON entries(nik);
CREATE INDEX IF NOT EXISTS entries_outcome ON entries(outcome, seq);
CREATE INDEX IF NOT EXISTS entries_kind_seq ON entries(kind, seq);
CREATE INDEX IF NOT EXISTS entries_kind_ref ON entries(kind, ref);
CREATE INDEX IF NOT EXISTS entries_recorded ON entries(recorded_at_ms);
CREATE TABLE IF NOT EXISTS seals(last_seq INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS outbox(seq INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS receipts(seq INTEGER PRIMARY KEY, leaf_index INTEGER NOT NULL, verdict BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoint(id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL,
  root BLOB NOT NULL, note TEXT NOT NULL);
)sql";
// Every name (enrollments, claimants, payees), folded (values.hpp fold()), by seq:
// substring search through trigrams. Contentless and without column sizes: only
// rowids come back, and nothing ranks.
constexpr std::string_view name_index =
    "CREATE VIRTUAL TABLE IF NOT EXISTS entry_names USING fts5(folded, content='', columnsize=0, "
    "tokenize='trigram')";
constexpr std::string_view lookup_indexes = R"sql(
CREATE INDEX IF NOT EXISTS entries_kind_seq ON entries(kind, seq);
CREATE INDEX IF NOT EXISTS entries_kind_ref ON entries(kind, ref);
CREATE INDEX IF NOT EXISTS entries_recorded ON entries(recorded_at_ms);
)sql";

// Stores made before the lookup columns existed get them at their next open: the
// effective outcome of every entry (the server's once it answered, else the local
// one) and every name, folded, in the trigram index. One transaction; a store busy
// with another writer is refused until it can be upgraded.
Status add_lookup_columns(store::Db& db) {
  LONTAR_ASSIGN(auto have, db.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'entries_outcome'"));
  if (have.value_or(0) > 0) return {};
  LONTAR_ASSIGN(auto tx, store::Transaction::begin(db));
  LONTAR_ASSIGN(auto column, db.query_int("SELECT count(*) FROM pragma_table_info('entries') WHERE name = 'outcome'"));
  if (column.value_or(0) == 0) {
    LONTAR_TRY(db.exec("ALTER TABLE entries ADD COLUMN outcome INTEGER NOT NULL DEFAULT 1"));
  }
  {
    LONTAR_ASSIGN(Bytes accepted, encoding::encode(domain::Verdict{}));
    LONTAR_ASSIGN(auto rows, db.prepare("SELECT e.seq, COALESCE(r.verdict, e.verdict) FROM entries e LEFT JOIN "
                                        "receipts r ON r.seq = e.seq WHERE COALESCE(r.verdict, e.verdict) != ?1"));
    rows.bind(1, ByteView(accepted));
    LONTAR_ASSIGN(auto set, db.prepare("UPDATE entries SET outcome = ?1 WHERE seq = ?2"));
    for (;;) {
      LONTAR_ASSIGN(bool row, rows.step());
      if (!row) break;
      LONTAR_ASSIGN(auto v, encoding::decode<domain::Verdict>(rows.blob_view(1), "verdict"));
      set.reset();
      LONTAR_TRY(set.bind(1, static_cast<int>(v.outcome)).bind(2, rows.uint64(0)).run());
    }
  }
  LONTAR_TRY(db.exec(name_index));
  {
    LONTAR_ASSIGN(auto rows, db.prepare("SELECT seq, name FROM entries WHERE name != ''"));
    LONTAR_ASSIGN(auto put, db.prepare("INSERT INTO entry_names(rowid, folded) VALUES(?1, ?2)"));
    for (;;) {
      LONTAR_ASSIGN(bool row, rows.step());
      if (!row) break;
      put.reset();
      LONTAR_TRY(put.bind(1, rows.uint64(0)).bind(2, fold(rows.text(1))).run());
    }
  }
  LONTAR_TRY(db.exec("CREATE INDEX IF NOT EXISTS entries_outcome ON entries(outcome, seq)"));
  return tx.commit();
}
}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& dir, bool create) {
  const auto path = dir / db_file_name;
  std::error_code ec;
  if (!create && !std::filesystem::exists(path, ec)) {
    return Error{Code::not_found,
                 fmt::format("{}: no office store here; run `lontar-agent init --office CODE --data {}` "
                             "first, or pass the right --data folder",
                             path.string(), dir.string())};
  }
  store::OpenOptions options;
  options.create = create;
  // Private before SQLite opens it: SQLite gives the -wal and -shm files the store's mode.
  if (create) LONTAR_TRY(ensure_private_file(path));
  LONTAR_ASSIGN(auto db, store::Db::open(path.string(), options));
  ::chmod(path.c_str(), private_file_mode);
  // A bounded page cache large enough that a big import rarely spills to the WAL
  // mid-transaction; memory stays flat whatever the file size.
  LONTAR_TRY(db->exec(fmt::format("PRAGMA cache_size = -{}", page_cache_kib)));
  // Stores created before these indexes existed get them at their next open (a
  // lookup per void target and per kind page instead of a scan per listed row).
  // A store busy with another writer gets them at a later open: the lookups are
  // right without them, only slower.
  if (!create) {
    auto have = db->query_int(
        "SELECT count(*) FROM sqlite_master WHERE name IN ('entries_kind_seq', 'entries_kind_ref', "
        "'entries_recorded')");
    if (have.ok() && have->value_or(0) < 3) {
      const Status indexed = db->exec(lookup_indexes);
      (void)indexed;
    }
    LONTAR_TRY(add_lookup_columns(*db));
  }
  if (const char* fail = std::getenv(fail_write_env); fail && *fail) {
    db->set_write_failure_after(std::atoi(fail));
  }
  std::unique_ptr<Store> s(new Store(std::move(db)));
  return s;
}

Status Store::create_schema() {
  LONTAR_TRY(db_->exec(schema));
  return db_->exec(name_index);
}

Result<store::Transaction> Store::begin() { return store::Transaction::begin(*db_); }

Status Store::set_setting(std::string_view key, ByteView value) {
  LONTAR_ASSIGN(auto st, db_->prepare("INSERT OR REPLACE INTO settings(key, value) VALUES(?1, ?2)"));
  return st.bind(1, key).bind(2, value).run();
}

Result<std::optional<Bytes>> Store::setting(std::string_view key) {
  LONTAR_ASSIGN(auto st, db_->prepare("SELECT value FROM settings WHERE key = ?1"));
  st.bind(1, key);
  LONTAR_ASSIGN(bool row, st.step());
  if (!row) return std::optional<Bytes>{};
  return std::optional<Bytes>{st.blob(0)};
}

Result<std::string> Store::required_text(std::string_view key) {
  LONTAR_ASSIGN(auto v, setting(key));
  if (!v) {
    return Error{Code::corrupt, fmt::format("{}: setting '{}' is missing; the store was not initialised by "
                                            "`lontar-agent init` or is damaged",
                                            db_->path(), key)};
  }
  return std::string(as_chars(*v));
}

Result<rules::State*> Store::rules_state() {
  if (!rules_) {
    LONTAR_ASSIGN(auto key_bytes, setting("nik_key"));
    if (!key_bytes || key_bytes->size() != rules::NikKey{}.size()) {
      return Error{Code::corrupt, fmt::format("{}: the ledger's NIK key is missing or not 32 bytes; "
                                              "re-initialise the office or restore the store",
                                              db_->path())};
    }
    rules::NikKey key{};
    std::copy(key_bytes->begin(), key_bytes->end(), key.begin());
    LONTAR_ASSIGN(rules_, rules::make_sqlite_state(*db_, key));
  }
  return rules_.get();
}

Result<Head> Store::head() {
  LONTAR_ASSIGN(auto st, db_->prepare("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1"));
  LONTAR_ASSIGN(bool row, st.step());
  Head h;
  if (row) {
    h.seq = st.uint64(0);
    h.hash = st.hash(1);
  }
  return h;
}

Status Store::insert_entry(const NewEntry& n, Outbox outbox) {
  const chain::Entry& e = n.entry;
  const domain::Verdict& local = n.local_verdict;
  if (!insert_entry_) {
    LONTAR_ASSIGN(
        auto st,
        db_->prepare("INSERT INTO entries(seq, hash, kind, recorded_at_ms, operator, nik, name, "
                     "ref, verdict, confirmed, bytes, outcome) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)"));
    insert_entry_.emplace(std::move(st));
    LONTAR_ASSIGN(auto ob, db_->prepare("INSERT INTO outbox(seq) VALUES(?1)"));
    insert_outbox_.emplace(std::move(ob));
    LONTAR_ASSIGN(auto names, db_->prepare("INSERT INTO entry_names(rowid, folded) VALUES(?1, ?2)"));
    insert_name_.emplace(std::move(names));
  }
  // Most entries are accepted: the encoding of that verdict is made once.
  Bytes other_verdict;
  ByteView verdict;
  if (local == domain::Verdict{}) {
    if (accepted_verdict_.empty()) {
      LONTAR_ASSIGN(accepted_verdict_, encoding::encode(domain::Verdict{}));
    }
    verdict = accepted_verdict_;
  } else {
    LONTAR_ASSIGN(other_verdict, encoding::encode(local));
    verdict = other_verdict;
  }
  auto& st = *insert_entry_;
  st.reset();
  st.bind(1, e.seq)
      .bind(2, n.hash)
      .bind(3, static_cast<int>(e.kind))
      .bind(4, e.recorded_at_ms)
      .bind(5, e.operator_id)
      .bind(6, n.nik)
      .bind(7, n.name)
      .bind(8, n.ref)
      .bind(9, verdict)
      .bind(10, n.confirmed ? 1 : 0)
      .bind(11, n.bytes)
      .bind(12, static_cast<int>(local.outcome));
  LONTAR_TRY(st.run());
  if (!n.name.empty()) {
    insert_name_->reset();
    LONTAR_TRY(insert_name_->bind(1, e.seq).bind(2, fold(n.name)).run());
  }
  if (outbox == Outbox::later) return {};
  insert_outbox_->reset();
  return insert_outbox_->bind(1, e.seq).run();
}

Status Store::add_to_outbox(std::uint64_t first_seq, std::uint64_t last_seq) {
  if (!add_to_outbox_) {
    LONTAR_ASSIGN(auto st, db_->prepare("INSERT INTO outbox(seq) SELECT seq FROM entries WHERE seq BETWEEN ?1 AND ?2"));
    add_to_outbox_.emplace(std::move(st));
  }
  add_to_outbox_->reset();
  return add_to_outbox_->bind(1, first_seq).bind(2, last_seq).run();
}

Status Store::insert_seal(const chain::Seal& s) {
  LONTAR_ASSIGN(Bytes bytes, encoding::encode(s));
  LONTAR_ASSIGN(auto st, db_->prepare("INSERT INTO seals(last_seq, bytes) VALUES(?1, ?2)"));
  return st.bind(1, s.last_seq).bind(2, ByteView(bytes)).run();
}

Status Store::acknowledge(std::uint64_t seq, std::uint64_t leaf_index, const domain::Verdict& verdict) {
  // A sync acknowledges thousands of entries in one transaction: the statements are
  // prepared once, the accepted verdict (nearly all) encoded once, and an entry's
  // outcome written only when the server's differs from the one it holds.
  static const Result<Bytes> accepted = encoding::encode(domain::Verdict{});
  Result<Bytes> encoded = verdict == domain::Verdict{} ? accepted : encoding::encode(verdict);
  LONTAR_ASSIGN(Bytes v, std::move(encoded));
  auto prepared = [&](std::optional<store::Stmt>& st, std::string_view sql) -> Result<store::Stmt*> {
    if (!st) {
      LONTAR_ASSIGN(auto made, db_->prepare(sql));
      st.emplace(std::move(made));
    }
    st->reset();
    return &*st;
  };
  LONTAR_ASSIGN(store::Stmt * known, prepared(ack_known_, "SELECT 1 FROM entries WHERE seq = ?1"));
  known->bind(1, seq);
  auto row = known->step();
  known->reset();
  if (!row.ok()) return std::move(row).error();
  if (!*row) {
    return Error{Code::conflict, fmt::format("{}: the server acknowledged entry #{}, which this office never "
                                             "recorded; check that the server and --data are the right ones",
                                             db_->path(), seq)};
  }
  LONTAR_ASSIGN(store::Stmt * put,
                prepared(ack_put_, "INSERT OR REPLACE INTO receipts(seq, leaf_index, verdict) VALUES(?1,?2,?3)"));
  LONTAR_TRY(put->bind(1, seq).bind(2, leaf_index).bind(3, ByteView(v)).run());
  LONTAR_ASSIGN(store::Stmt * outcome,
                prepared(ack_outcome_, "UPDATE entries SET outcome = ?1 WHERE seq = ?2 AND outcome <> ?1"));
  LONTAR_TRY(outcome->bind(1, static_cast<int>(verdict.outcome)).bind(2, seq).run());
  LONTAR_ASSIGN(store::Stmt * out, prepared(ack_unqueue_, "DELETE FROM outbox WHERE seq = ?1"));
  return out->bind(1, seq).run();
}

Result<std::optional<Store::Receipt>> Store::receipt(std::uint64_t seq) {
  LONTAR_ASSIGN(auto st, db_->prepare("SELECT leaf_index, verdict FROM receipts WHERE seq = ?1"));
  st.bind(1, seq);
  LONTAR_ASSIGN(bool row, st.step());
  if (!row) return std::optional<Receipt>{};
  Receipt r;
  r.leaf_index = st.uint64(0);
  LONTAR_ASSIGN(r.verdict, encoding::decode<domain::Verdict>(st.blob_view(1), "receipt verdict"));
  return std::optional<Receipt>{std::move(r)};
}

Result<Store::ServerVerdicts> Store::server_verdicts(std::size_t listed_max) {
  // acknowledge() stores a receipt and sets entries.outcome to its verdict's outcome in
  // one transaction (and nothing else writes receipts), so the outcome index answers
  // for the few rejected and flagged entries, and the rest of the receipts are
  // accepted: no need to decode 400,000 verdicts for three counts.
  ServerVerdicts out;
  LONTAR_ASSIGN(auto total, db_->query_int("SELECT count(*) FROM receipts"));
  LONTAR_ASSIGN(auto st, db_->prepare("SELECT r.seq, r.leaf_index, r.verdict, e.kind, e.nik, e.ref, e.name "
                                      "FROM entries e INDEXED BY entries_outcome JOIN receipts r ON r.seq = e.seq "
                                      "WHERE e.outcome IN (?1, ?2) ORDER BY e.seq"));
  st.bind(1, static_cast<int>(domain::Outcome::rejected)).bind(2, static_cast<int>(domain::Outcome::flagged));
  for (;;) {
    LONTAR_ASSIGN(bool row, st.step());
    if (!row) break;
    LONTAR_ASSIGN(auto v, encoding::decode<domain::Verdict>(st.blob_view(2), fmt::format("receipt #{}", st.uint64(0))));
    out.count(v.outcome);
    if (out.not_accepted.size() >= listed_max) continue;
    out.not_accepted.push_back(Judged{st.uint64(0), st.uint64(1), std::move(v),
                                      static_cast<domain::EntryKind>(st.int64(3)), st.text(4), st.text(5), st.text(6)});
  }
  const auto receipts = static_cast<std::uint64_t>(total.value_or(0));
  out.accepted = receipts - std::min(receipts, out.rejected + out.flagged);
  return out;
}

Status Store::save_checkpoint(const Checkpoint& c) {
  LONTAR_ASSIGN(auto st, db_->prepare("INSERT OR REPLACE INTO checkpoint(id, size, root, note) VALUES(1, ?1, ?2, ?3)"));
  return st.bind(1, c.size).bind(2, c.root).bind(3, c.note).run();
}

Result<std::optional<Store::Checkpoint>> Store::checkpoint() {
  LONTAR_ASSIGN(auto st, db_->prepare("SELECT size, root, note FROM checkpoint WHERE id = 1"));
  LONTAR_ASSIGN(bool row, st.step());
  if (!row) return std::optional<Checkpoint>{};
  return std::optional<Checkpoint>{Checkpoint{st.uint64(0), st.hash(1), st.text(2)}};
}

Result<std::uint64_t> Store::count_entries() {
  LONTAR_ASSIGN(auto n, db_->query_int("SELECT count(*) FROM entries"));
  return static_cast<std::uint64_t>(n.value_or(0));
}

Result<std::uint64_t> Store::count_outbox() {
  LONTAR_ASSIGN(auto n, db_->query_int("SELECT count(*) FROM outbox"));
  return static_cast<std::uint64_t>(n.value_or(0));
}

Result<std::vector<std::pair<domain::EntryKind, std::uint64_t>>> Store::count_kinds_since(std::int64_t since_ms) {
  // Entries are recorded in seq order, so the walk goes back from the newest and stops
  // at the first one recorded before `since_ms`: it costs the day's entries, not the
  // store's (an entry recorded under a clock set back is counted only if no older-
  // stamped entry follows it).
  LONTAR_ASSIGN(auto st, db_->prepare("SELECT kind, recorded_at_ms FROM entries ORDER BY seq DESC"));
  std::map<int, std::uint64_t> counts;
  for (;;) {
    LONTAR_ASSIGN(bool row, st.step());
    if (!row || st.int64(1) < since_ms) break;
    ++counts[static_cast<int>(st.int64(0))];
  }
  std::vector<std::pair<domain::EntryKind, std::uint64_t>> out;
  for (const auto& [kind, n] : counts) out.emplace_back(static_cast<domain::EntryKind>(kind), n);
  return out;
}

Status Store::forget_sync_state(std::span<const std::string_view> keys) {
  LONTAR_TRY(db_->exec("DELETE FROM checkpoint"));
  LONTAR_ASSIGN(auto st, db_->prepare("DELETE FROM settings WHERE key = ?1"));
  for (std::string_view key : keys) {
    st.reset();
    LONTAR_TRY(st.bind(1, key).run());
  }
  return db_->exec("INSERT OR IGNORE INTO outbox(seq) SELECT seq FROM entries");
}

Status Store::clear_rules_state() {
  rules_.reset();
  LONTAR_ASSIGN(auto tables, db_->prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                          "name LIKE 'rules\\_%' ESCAPE '\\'"));
  std::vector<std::string> names;
  for (;;) {
    LONTAR_ASSIGN(bool row, tables.step());
    if (!row) break;
    names.push_back(tables.text(0));
  }
  tables.reset();
  // The names come from sqlite_master and match rules\_%: safe to splice.
  for (const auto& n : names) LONTAR_TRY(db_->exec("DELETE FROM " + n));
  return {};
}

Result<std::optional<Store::EntryRow>> Store::entry_row(std::uint64_t seq) {
  if (!entry_row_) {
    LONTAR_ASSIGN(auto made, db_->prepare("SELECT hash, bytes FROM entries WHERE seq = ?1"));
    entry_row_.emplace(std::move(made));
  }
  store::Stmt& st = *entry_row_;
  st.reset();
  auto row = st.bind(1, seq).step();
  std::optional<EntryRow> out;
  if (row.ok() && *row) out = EntryRow{seq, st.hash(0), st.blob(1)};
  st.reset();  // no read transaction stays open
  if (!row.ok()) return std::move(row).error();
  return out;
}

Result<std::optional<std::uint64_t>> Store::first_unaccounted() {
  LONTAR_ASSIGN(auto st, db_->prepare("SELECT min(seq) FROM entries WHERE seq NOT IN (SELECT seq FROM outbox) AND "
                                      "seq NOT IN (SELECT seq FROM receipts)"));
  LONTAR_ASSIGN(bool row, st.step());
  if (!row || st.is_null(0)) return std::optional<std::uint64_t>{};
  return std::optional<std::uint64_t>{st.uint64(0)};
}

Result<std::uint64_t> Store::repair_outbox() {
  LONTAR_ASSIGN(auto st, db_->prepare("INSERT INTO outbox(seq) SELECT seq FROM entries WHERE seq NOT IN (SELECT seq "
                                      "FROM outbox) AND seq NOT IN (SELECT seq FROM receipts)"));
  LONTAR_TRY(st.run());
  return static_cast<std::uint64_t>(db_->changes());
}

Result<std::optional<Store::SeqRange>> Store::outbox_range() {
  LONTAR_ASSIGN(auto st, db_->prepare("SELECT min(seq), max(seq) FROM outbox"));
  LONTAR_ASSIGN(bool row, st.step());
  if (!row || st.is_null(0)) return std::optional<SeqRange>{};
  return std::optional<SeqRange>{SeqRange{st.uint64(0), st.uint64(1)}};
}

Result<std::uint64_t> Store::count_seals_from(std::uint64_t seq) {
  LONTAR_ASSIGN(auto st, db_->prepare("SELECT count(*) FROM seals WHERE last_seq >= ?1"));
  LONTAR_ASSIGN(bool row, st.bind(1, seq).step());
  return row ? st.uint64(0) : 0;
}

Result<Store::Cursor> Store::entries_after(std::uint64_t after_seq) {
  LONTAR_ASSIGN(auto st, db_->prepare("SELECT seq, bytes, hash FROM entries WHERE seq > ?1 ORDER BY seq"));
  st.bind(1, after_seq);
  return Cursor(std::move(st));
}

Result<Store::Cursor> Store::outbox_from(std::uint64_t from_seq) {
  LONTAR_ASSIGN(auto st, db_->prepare("SELECT e.seq, e.bytes, e.hash FROM outbox o JOIN entries e ON e.seq = o.seq "
                                      "WHERE o.seq >= ?1 ORDER BY o.seq"));
  st.bind(1, from_seq);
  return Cursor(std::move(st));
}

Result<Store::Cursor> Store::seals_from(std::uint64_t from_seq) {
  LONTAR_ASSIGN(auto st,
                db_->prepare("SELECT last_seq, bytes, NULL FROM seals WHERE last_seq >= ?1 ORDER BY last_seq"));
  st.bind(1, from_seq);
  return Cursor(std::move(st));
}

Result<std::optional<chain::Seal>> Store::last_seal() {
  LONTAR_ASSIGN(auto st, db_->prepare("SELECT bytes FROM seals ORDER BY last_seq DESC LIMIT 1"));
  LONTAR_ASSIGN(bool row, st.step());
  if (!row) return std::optional<chain::Seal>{};
  LONTAR_ASSIGN(auto seal, encoding::decode<chain::Seal>(st.blob_view(0), "seal"));
  return std::optional<chain::Seal>{std::move(seal)};
}

// ---- lookups for list / find / show ----

namespace {
// Whether a range of recorded days bounds the walk: when no NIK, name or reference
// drives it. The bounds are the least and greatest seq recorded in those days
// (dates_sql: one range of the recorded-time index, index only), so the walk stays
// in seq order and a page costs about `limit` steps when the clock was monotonic,
// and the days' entries at most.
bool dates_bound(const Store::EntryQuery& q) {
  return (q.from_ms || q.to_ms) && q.nik.empty() && fold(q.name).size() < 3 && q.ref.empty();
}
constexpr std::string_view dates_sql =
    "SELECT min(seq), max(seq) FROM entries INDEXED BY entries_recorded WHERE recorded_at_ms >= ?1 AND "
    "recorded_at_ms <= ?2";

// The statement of query_entries() for `q` (its parameters numbered as it binds them).
std::string entries_sql(const Store::EntryQuery& q) {
  using domain::EntryKind;
  const std::string folded = fold(q.name);
  const bool by_names = folded.size() >= 3;
  std::string from = "entries e";
  std::string where = " WHERE e.seq > ?2";
  std::string order = "e.seq";
  if (!q.nik.empty()) {
    from = "entries e INDEXED BY entries_nik";
  } else if (by_names) {
    // The trigram index yields rowids (= seq) in order; CROSS JOIN keeps it the driver.
    from = "entry_names n CROSS JOIN entries e ON e.seq = n.rowid";
    where = " WHERE entry_names MATCH ?5 AND n.rowid > ?2";
    order = "n.rowid";
  } else if (!q.ref.empty()) {
    from = "entries e INDEXED BY entries_kind_ref";
    // Every kind, so that the (kind, ref) index serves a lookup by ref alone.
    if (!q.kind) where += " AND e.kind IN (1, 2, 3, 10, 11, 12, 13, 14, 15)";
  } else if (q.outcome) {
    from = "entries e INDEXED BY entries_outcome";
  } else if (q.kind) {
    from = "entries e INDEXED BY entries_kind_seq";
  }
  if (q.kind) where += " AND e.kind = ?3";
  if (!q.nik.empty()) where += " AND e.nik = ?4";
  if (by_names && !q.nik.empty()) where += " AND e.seq IN (SELECT rowid FROM entry_names WHERE entry_names MATCH ?5)";
  if (!by_names && !q.name.empty()) where += " AND e.name LIKE '%' || ?6 || '%'";
  if (!q.ref.empty()) where += " AND e.ref = ?7";
  if (q.outcome) where += " AND e.outcome = ?8";
  // The recording time never drives the walk (the unary + keeps SQLite from sorting
  // by seq afterwards): a range of days bounds the seq walk instead (dates_bound()).
  if (q.from_ms) where += " AND +e.recorded_at_ms >= ?9";
  if (q.to_ms) where += " AND +e.recorded_at_ms <= ?10";
  if (dates_bound(q)) where += " AND e.seq BETWEEN ?13 AND ?14";
  if (q.seq) where += " AND e.seq = ?11";
  if (q.sync == Store::EntryQuery::Sync::unsynced) where += " AND o.seq IS NOT NULL";
  if (q.sync == Store::EntryQuery::Sync::synced) where += " AND o.seq IS NULL";
  return fmt::format(
      "SELECT e.seq, e.kind, e.recorded_at_ms, e.operator, e.nik, e.name, e.ref, e.bytes, "
      "COALESCE(r.verdict, e.verdict), o.seq IS NOT NULL, "
      "EXISTS(SELECT 1 FROM entries v WHERE v.kind = {} AND v.ref = ?1 || '#' || e.seq), e.hash "
      "FROM {} LEFT JOIN receipts r ON r.seq = e.seq LEFT JOIN outbox o ON o.seq = e.seq{} ORDER BY {}{}",
      static_cast<int>(EntryKind::entry_void), from, where, order, q.limit ? " LIMIT ?12" : "");
}
}  // namespace

Result<std::string> Store::query_plan(const EntryQuery& q) {
  std::string plan;
  for (const std::string& sql : {dates_bound(q) ? std::string(dates_sql) : std::string(), entries_sql(q)}) {
    if (sql.empty()) continue;
    LONTAR_ASSIGN(auto st, db_->prepare("EXPLAIN QUERY PLAN " + sql));
    for (;;) {
      LONTAR_ASSIGN(bool row, st.step());
      if (!row) break;
      plan += st.text(3) + "\n";
    }
  }
  return plan;
}

Result<std::uint64_t> Store::query_entries(const EntryQuery& q, const EachEntry& each) {
  using domain::EntryKind;
  const std::string folded = fold(q.name);
  const bool by_names = folded.size() >= 3;
  std::int64_t first_seq = 0, last_seq = 0;
  if (dates_bound(q)) {
    LONTAR_ASSIGN(auto bounds, db_->prepare(std::string(dates_sql)));
    bounds.bind(1, q.from_ms.value_or(std::numeric_limits<std::int64_t>::min()))
        .bind(2, q.to_ms.value_or(std::numeric_limits<std::int64_t>::max()));
    LONTAR_ASSIGN(bool row, bounds.step());
    if (!row || bounds.is_null(0)) return std::uint64_t{0};  // nothing recorded in those days
    first_seq = bounds.int64(0);
    last_seq = bounds.int64(1);
  }
  const std::string sql = entries_sql(q);
  LONTAR_ASSIGN(auto st, db_->prepare(sql));
  st.bind(1, q.office_id).bind(2, q.after_seq);
  if (q.kind) st.bind(3, static_cast<int>(*q.kind));
  if (!q.nik.empty()) st.bind(4, q.nik);
  const std::string phrase = "\"" + folded + "\"";  // fold() leaves only [a-z0-9]
  if (by_names) st.bind(5, phrase);
  if (!by_names && !q.name.empty()) st.bind(6, q.name);
  if (!q.ref.empty()) st.bind(7, q.ref);
  if (q.outcome) st.bind(8, static_cast<int>(*q.outcome));
  if (q.from_ms) st.bind(9, *q.from_ms);
  if (q.to_ms) st.bind(10, *q.to_ms);
  if (q.seq) st.bind(11, *q.seq);
  if (q.limit) st.bind(12, q.limit);
  if (dates_bound(q)) st.bind(13, first_seq).bind(14, last_seq);
  std::uint64_t seen = 0;
  for (;;) {
    LONTAR_ASSIGN(bool row, st.step());
    if (!row) break;
    const std::string op = st.text(3), nik = st.text(4), name = st.text(5), ref = st.text(6);
    ListedEntry e;
    e.seq = st.uint64(0);
    e.kind = static_cast<EntryKind>(st.int64(1));
    e.recorded_at_ms = st.int64(2);
    e.operator_id = op;
    e.nik = nik;
    e.name = name;
    e.ref = ref;
    e.bytes = st.blob_view(7);
    e.verdict = st.blob_view(8);
    e.synced = st.int64(9) == 0;
    e.voided = st.int64(10) != 0;
    e.hash = st.hash(11);
    ++seen;
    LONTAR_ASSIGN(bool more, each(e));
    if (!more) break;
  }
  return seen;
}

// ---- the office page's lookups ----

Result<std::vector<Store::FoundPerson>> Store::find_enrollments(std::string_view q, std::size_t limit,
                                                                std::size_t offset) {
  using domain::EntryKind;
  std::vector<FoundPerson> out;
  const bool digits = !q.empty() && std::all_of(q.begin(), q.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) {
    // Every NIK starting with q sorts in [q, q + ":"): ':' follows '9'.
    LONTAR_ASSIGN(auto st, db_->prepare("SELECT nik, name, seq, recorded_at_ms FROM entries INDEXED BY entries_nik "
                                        "WHERE nik >= ?1 AND nik < ?2 AND kind = ?3 ORDER BY nik, seq LIMIT ?4 "
                                        "OFFSET ?5"));
    st.bind(1, q)
        .bind(2, std::string(q) + ":")
        .bind(3, static_cast<int>(EntryKind::participant_enroll))
        .bind(4, static_cast<std::int64_t>(limit))
        .bind(5, static_cast<std::int64_t>(offset));
    for (;;) {
      LONTAR_ASSIGN(bool row, st.step());
      if (!row) break;
      out.push_back(FoundPerson{st.text(0), st.text(1), st.uint64(2), st.int64(3)});
    }
  } else {
    // By name: the enrollments whose enrolled name matches, and the people whose name a
    // correction here changed to one that matches (found through that update, which
    // carries the new name; a voided or rejected correction does not count), in seq order
    // of the enrollment. Every correction is read (they are few); enrollments only up to
    // the page's end, which is enough since both are merged in seq order.
    std::map<std::uint64_t, FoundPerson> found;
    EntryQuery query;
    query.kind = EntryKind::participant_enroll;
    query.name = std::string(q);
    query.limit = offset + limit;
    LONTAR_TRY(query_entries(query, [&](const ListedEntry& e) -> Result<bool> {
      found.emplace(e.seq, FoundPerson{std::string(e.nik), std::string(e.name), e.seq, e.recorded_at_ms});
      return true;
    }));
    query.kind = EntryKind::participant_update;
    query.limit = 0;
    LONTAR_ASSIGN(query.office_id, required_text("office"));       // whose voids count
    std::vector<std::pair<std::string, std::uint64_t>> corrected;  // (nik, update seq)
    LONTAR_TRY(query_entries(query, [&](const ListedEntry& e) -> Result<bool> {
      LONTAR_ASSIGN(auto verdict, encoding::decode<domain::Verdict>(e.verdict, "verdict"));
      if (!e.voided && verdict.outcome != domain::Outcome::rejected) corrected.emplace_back(std::string(e.nik), e.seq);
      return true;
    }));
    if (!corrected.empty()) {
      LONTAR_ASSIGN(auto st, db_->prepare("SELECT nik, name, seq, recorded_at_ms FROM entries INDEXED BY entries_nik "
                                          "WHERE nik = ?1 AND kind = ?2 AND seq < ?3 ORDER BY seq DESC LIMIT 1"));
      for (const auto& [nik, seq] : corrected) {
        st.reset();
        st.bind(1, nik).bind(2, static_cast<int>(EntryKind::participant_enroll)).bind(3, seq);
        LONTAR_ASSIGN(bool row, st.step());
        if (row) found.emplace(st.uint64(2), FoundPerson{st.text(0), st.text(1), st.uint64(2), st.int64(3)});
      }
    }
    std::size_t skipped = 0;
    for (auto& [seq, person] : found) {
      if (skipped++ < offset) continue;
      if (out.size() == limit) break;
      out.push_back(std::move(person));
    }
  }
  // Each person is shown by their name now: as this office's corrections left it.
  for (auto& person : out) {
    LONTAR_ASSIGN(auto now, own_enrollment(person.nik));
    if (now) person.name = now->name;
  }
  return out;
}

namespace {
constexpr const char* shown_columns =
    "SELECT seq, kind, recorded_at_ms, operator, nik, name, ref, verdict FROM entries ";
}  // namespace

Result<std::vector<Store::ShownEntry>> Store::shown_entries(store::Stmt& st) {
  std::vector<ShownEntry> out;
  for (;;) {
    LONTAR_ASSIGN(bool row, st.step());
    if (!row) break;
    ShownEntry e;
    e.seq = st.uint64(0);
    e.kind = static_cast<domain::EntryKind>(st.int64(1));
    e.recorded_at_ms = st.int64(2);
    e.operator_id = st.text(3);
    e.nik = st.text(4);
    e.name = st.text(5);
    e.ref = st.text(6);
    // A verdict that does not decode shows as accepted here; `verify` names the damage.
    if (auto v = encoding::decode<domain::Verdict>(st.blob_view(7), "verdict"); v.ok()) e.local = *v;
    out.push_back(std::move(e));
  }
  for (auto& e : out) {
    LONTAR_ASSIGN(e.receipt, receipt(e.seq));
  }
  return out;
}

Result<std::vector<Store::ShownEntry>> Store::person_entries(std::string_view office_id, std::string_view nik,
                                                             std::size_t limit, std::size_t offset) {
  using domain::EntryKind;
  LONTAR_ASSIGN(auto st,
                db_->prepare(std::string(shown_columns) +
                             "WHERE nik = ?1 "
                             "OR (kind = ?2 AND ref IN (SELECT ref FROM entries WHERE kind = ?3 AND nik = ?1)) "
                             "OR (kind = ?4 AND ref IN (SELECT ?5 || '#' || seq FROM entries WHERE nik = ?1)) "
                             "ORDER BY seq LIMIT ?6 OFFSET ?7"));
  st.bind(1, nik)
      .bind(2, static_cast<int>(EntryKind::payout_made))
      .bind(3, static_cast<int>(EntryKind::claim_filed))
      .bind(4, static_cast<int>(EntryKind::entry_void))
      .bind(5, office_id)
      .bind(6, static_cast<std::int64_t>(limit))
      .bind(7, static_cast<std::int64_t>(offset));
  return shown_entries(st);
}

Result<std::vector<Store::ShownEntry>> Store::entries_of(domain::EntryKind kind, std::string_view nik) {
  LONTAR_ASSIGN(auto st, db_->prepare(std::string(shown_columns) +
                                      "INDEXED BY entries_nik WHERE nik = ?1 AND kind = ?2 ORDER BY seq"));
  st.bind(1, nik).bind(2, static_cast<int>(kind));
  return shown_entries(st);
}

Result<std::optional<Store::ShownEntry>> Store::shown_entry(std::uint64_t seq) {
  LONTAR_ASSIGN(auto st, db_->prepare(std::string(shown_columns) + "WHERE seq = ?1"));
  st.bind(1, seq);
  LONTAR_ASSIGN(auto rows, shown_entries(st));
  if (rows.empty()) return std::optional<ShownEntry>{};
  return std::optional<ShownEntry>{std::move(rows.front())};
}

// ---- clerk accounts ----

Status Store::create_clerks_table() {
  return db_->exec(
      "CREATE TABLE IF NOT EXISTS clerks (id TEXT PRIMARY KEY, name TEXT NOT NULL, passphrase TEXT NOT NULL, "
      "active INTEGER NOT NULL, created_at_ms INTEGER NOT NULL) WITHOUT ROWID");
}

Result<bool> Store::insert_clerk(const ClerkRow& c) {
  LONTAR_TRY(create_clerks_table());
  LONTAR_ASSIGN(auto s, db_->prepare("INSERT OR IGNORE INTO clerks (id, name, passphrase, active, created_at_ms) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5)"));
  s.bind(1, c.id).bind(2, c.name).bind(3, c.passphrase).bind(4, c.active ? 1 : 0).bind(5, c.created_at_ms);
  LONTAR_TRY(s.run());
  return db_->changes() > 0;
}

Result<bool> Store::set_clerk_active(std::string_view id, bool active) {
  LONTAR_TRY(create_clerks_table());
  LONTAR_ASSIGN(auto s, db_->prepare("UPDATE clerks SET active = ?1 WHERE id = ?2"));
  LONTAR_TRY(s.bind(1, active ? 1 : 0).bind(2, id).run());
  return db_->changes() > 0;
}

Result<bool> Store::set_clerk_passphrase(std::string_view id, std::string_view passphrase_hash) {
  LONTAR_TRY(create_clerks_table());
  LONTAR_ASSIGN(auto s, db_->prepare("UPDATE clerks SET passphrase = ?1 WHERE id = ?2"));
  LONTAR_TRY(s.bind(1, passphrase_hash).bind(2, id).run());
  return db_->changes() > 0;
}

Result<std::vector<Store::ClerkRow>> Store::clerks() {
  LONTAR_TRY(create_clerks_table());
  LONTAR_ASSIGN(auto s, db_->prepare("SELECT id, name, active, created_at_ms FROM clerks ORDER BY id"));
  std::vector<ClerkRow> out;
  for (;;) {
    LONTAR_ASSIGN(bool row, s.step());
    if (!row) break;
    out.push_back(ClerkRow{s.text(0), s.text(1), "", s.int64(2) != 0, s.int64(3)});
  }
  return out;
}

Result<std::optional<Store::ClerkRow>> Store::clerk(std::string_view id) {
  LONTAR_TRY(create_clerks_table());
  LONTAR_ASSIGN(auto s, db_->prepare("SELECT id, name, passphrase, active, created_at_ms FROM clerks WHERE id = ?1"));
  LONTAR_ASSIGN(bool row, s.bind(1, id).step());
  if (!row) return std::optional<ClerkRow>{};
  return std::optional<ClerkRow>{ClerkRow{s.text(0), s.text(1), s.text(2), s.int64(3) != 0, s.int64(4)}};
}

Result<std::uint64_t> Store::count_clerks() {
  LONTAR_ASSIGN(auto table,
                db_->query_int("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'clerks'"));
  if (!table || *table == 0) return std::uint64_t{0};
  LONTAR_ASSIGN(auto n, db_->query_int("SELECT count(*) FROM clerks"));
  return static_cast<std::uint64_t>(n.value_or(0));
}

// ---- lookups for the import ----
// INDEXED BY entries_nik: a person has a handful of entries, while the planner would otherwise
// walk entries_kind_seq backwards through every entry of the kind for a NIK not seen yet
// (quadratic over an import: 20,000 rows took 58 s).

Result<std::optional<std::uint64_t>> Store::last_seq_of(domain::EntryKind kind, std::string_view nik,
                                                        std::string_view ref) {
  if (!last_seq_of_) {
    LONTAR_ASSIGN(auto st,
                  db_->prepare("SELECT max(seq) FROM entries INDEXED BY entries_nik WHERE nik = ?1 AND kind = ?2 AND "
                               "(?3 = '' OR ref = ?3)"));
    last_seq_of_.emplace(std::move(st));
  }
  store::Stmt& st = *last_seq_of_;
  st.reset();
  st.bind(1, nik).bind(2, static_cast<int>(kind)).bind(3, ref);
  LONTAR_ASSIGN(bool row, st.step());
  std::optional<std::uint64_t> seq;
  if (row && !st.is_null(0)) seq = st.uint64(0);
  st.reset();
  return seq;
}

Status Store::each_nik(const std::function<void(std::string_view)>& each) {
  LONTAR_ASSIGN(auto st, db_->prepare("SELECT DISTINCT nik FROM entries INDEXED BY entries_nik WHERE nik != ''"));
  for (;;) {
    LONTAR_ASSIGN(bool row, st.step());
    if (!row) break;
    each(as_chars(st.blob_view(0)));
  }
  return {};
}

void apply_update(domain::ParticipantEnroll& e, const domain::ParticipantUpdate& u) {
  if (u.phone) e.phone = *u.phone;
  if (u.address) e.address = *u.address;
  if (u.replace_heirs) e.heirs = u.heirs;
  if (u.name) e.name = *u.name;
  if (u.birth_date) e.birth_date = *u.birth_date;
  if (u.occupation) e.occupation = *u.occupation;
}

Result<std::optional<domain::ParticipantEnroll>> Store::own_enrollment(std::string_view nik) {
  using domain::EntryKind;
  if (!own_enrollment_) {
    LONTAR_ASSIGN(auto st,
                  db_->prepare("SELECT bytes, seq FROM entries INDEXED BY entries_nik WHERE nik = ?1 AND kind = ?2 "
                               "ORDER BY seq DESC LIMIT 1"));
    own_enrollment_.emplace(std::move(st));
  }
  if (!own_updates_) {
    // The office's voids name their target as "OFFICE#seq" (record.cpp, index_of);
    // an update the server rejected changed nothing.
    LONTAR_ASSIGN(
        auto st,
        db_->prepare(fmt::format(
            "SELECT e.bytes FROM entries e INDEXED BY entries_nik WHERE e.nik = ?1 AND e.kind = {} "
            "AND e.seq > ?2 AND e.outcome != {} AND NOT EXISTS(SELECT 1 FROM entries v WHERE v.kind = {} AND v.ref = "
            "(SELECT CAST(value AS TEXT) FROM settings WHERE key = 'office') || '#' || e.seq) "
            "ORDER BY e.seq",
            static_cast<int>(EntryKind::participant_update), static_cast<int>(domain::Outcome::rejected),
            static_cast<int>(EntryKind::entry_void))));
    own_updates_.emplace(std::move(st));
  }
  // Decodes the payload of the entry in column 0 of the current row.
  auto payload_of = [](store::Stmt& st, EntryKind kind) -> Result<domain::Payload> {
    LONTAR_ASSIGN(auto entry, encoding::decode<chain::Entry>(st.blob_view(0), "entry"));
    return domain::decode_payload(kind, entry.payload);
  };
  std::optional<domain::ParticipantEnroll> out;
  std::uint64_t enroll_seq = 0;
  {
    store::Stmt& st = *own_enrollment_;
    st.reset();
    st.bind(1, nik).bind(2, static_cast<int>(EntryKind::participant_enroll));
    auto row = st.step();
    if (row.ok() && *row) {
      auto payload = payload_of(st, EntryKind::participant_enroll);
      if (!payload.ok()) {
        st.reset();
        return std::move(payload).error();
      }
      out = std::get<domain::ParticipantEnroll>(std::move(payload).value());
      enroll_seq = st.uint64(1);
    }
    st.reset();
    if (!row.ok()) return std::move(row).error();
  }
  if (!out) return out;
  store::Stmt& st = *own_updates_;
  st.reset();
  st.bind(1, nik).bind(2, enroll_seq);
  for (;;) {
    auto row = st.step();
    if (!row.ok() || !*row) {
      st.reset();
      if (!row.ok()) return std::move(row).error();
      break;
    }
    auto payload = payload_of(st, EntryKind::participant_update);
    if (!payload.ok()) {
      st.reset();
      return std::move(payload).error();
    }
    apply_update(*out, std::get<domain::ParticipantUpdate>(*payload));
  }
  return out;
}

}  // namespace lontar::agent
