// sqlite_state.cpp — the rules state in SQLite tables prefixed "rules_".
//
// Every query is one lookup on a primary key or index; statements are prepared
// once and reset after each use (so no read snapshot stays open between calls).
// principal() and schedule() are asked for nearly every entry, of tables that
// change only by admin entries: a small cache answers them (PrincipalCache).
// Dates are stored as YYYYMMDD integers and months as year * 12 + month - 1,
// both of which order as the dates do.
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "rules/batch_writer.hpp"
#include "rules/person_filter.hpp"
#include "rules/rules.hpp"
#include "store/db.hpp"

namespace lontar::rules {
namespace {

using domain::Programme;
using domain::Rupiah;
using store::Stmt;

// In a savepoint: one commit (one fsync) when the caller has no transaction open.
constexpr std::string_view schema = R"sql(
SAVEPOINT rules_schema;
CREATE TABLE IF NOT EXISTS rules_participants(
  person BLOB PRIMARY KEY, principal TEXT NOT NULL, seq INTEGER NOT NULL,
  programmes INTEGER NOT NULL, coverage_start INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rules_claims(
  claim_no TEXT PRIMARY KEY, person BLOB NOT NULL, principal TEXT NOT NULL, seq INTEGER NOT NULL,
  programme INTEGER NOT NULL, event_date INTEGER NOT NULL, paid INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rules_claims_by_person ON rules_claims(person, programme);
CREATE TABLE IF NOT EXISTS rules_principals(
  id TEXT PRIMARY KEY, role INTEGER NOT NULL, name TEXT NOT NULL, scope TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rules_keys(
  id TEXT NOT NULL, key BLOB NOT NULL, active INTEGER NOT NULL, PRIMARY KEY(id, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rules_receipts(
  principal TEXT NOT NULL, receipt_no TEXT NOT NULL, PRIMARY KEY(principal, receipt_no)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rules_coverage(
  person BLOB NOT NULL, first_month INTEGER NOT NULL, last_month INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS rules_coverage_by_person ON rules_coverage(person, first_month);
CREATE TABLE IF NOT EXISTS rules_schedules(
  programme INTEGER NOT NULL, effective INTEGER NOT NULL, benefit_max INTEGER NOT NULL,
  contribution_monthly INTEGER NOT NULL, PRIMARY KEY(programme, effective)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rules_applied(
  principal TEXT NOT NULL, seq INTEGER NOT NULL, kind INTEGER NOT NULL, voided INTEGER NOT NULL,
  undo BLOB NOT NULL, PRIMARY KEY(principal, seq)) WITHOUT ROWID;
RELEASE rules_schema;
)sql";

std::int64_t date_int(domain::Date d) { return d.year * 10000 + d.month * 100 + d.day; }
domain::Date date_of(std::int64_t v) {
  return {static_cast<std::uint16_t>(v / 10000), static_cast<std::uint8_t>(v / 100 % 100),
          static_cast<std::uint8_t>(v % 100)};
}
std::int64_t month_int(domain::YearMonth m) { return m.year * 12 + (m.month - 1); }

// Resets a statement when the lookup that uses it ends. (Every use ends so, and
// run() resets after writing: a statement is always found reset.)
class Use {
 public:
  explicit Use(Stmt& s) : s_(s) {}
  ~Use() { s_.reset(); }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  Stmt* operator->() { return &s_; }
  Stmt& operator*() { return s_; }

 private:
  Stmt& s_;
};

struct Statements {
  Stmt participant, put_participant, end_participant;
  Stmt claim, put_claim, end_claim, add_paid, death_benefits;
  Stmt has_principals, principal, put_principal, put_key, key_active, revoke_key;
  Stmt receipt_used, put_receipt, remove_receipt;
  Stmt covered, add_coverage, remove_coverage;
  Stmt schedule, put_schedule;
  Stmt applied, put_applied, mark_voided;
};

Result<Statements> prepare(store::Db& db) {
  auto p = [&db](std::string_view sql) { return db.prepare(sql); };
  LONTAR_ASSIGN(Stmt participant,
                p("SELECT principal, seq, programmes, coverage_start FROM rules_participants WHERE person = ?"));
  LONTAR_ASSIGN(Stmt put_participant, p("INSERT OR REPLACE INTO rules_participants VALUES(?, ?, ?, ?, ?)"));
  LONTAR_ASSIGN(Stmt end_participant, p("DELETE FROM rules_participants WHERE person = ?"));
  LONTAR_ASSIGN(Stmt claim, p("SELECT person, principal, seq, programme, event_date, paid FROM rules_claims "
                              "WHERE claim_no = ?"));
  LONTAR_ASSIGN(Stmt put_claim, p("INSERT OR REPLACE INTO rules_claims VALUES(?, ?, ?, ?, ?, ?, ?)"));
  LONTAR_ASSIGN(Stmt end_claim, p("DELETE FROM rules_claims WHERE claim_no = ?"));
  LONTAR_ASSIGN(Stmt add_paid, p("UPDATE rules_claims SET paid = paid + ? WHERE claim_no = ?"));
  LONTAR_ASSIGN(Stmt death_benefits,
                p("SELECT coalesce(sum(paid), 0) FROM rules_claims WHERE person = ? AND programme = ?"));
  LONTAR_ASSIGN(Stmt has_principals, p("SELECT EXISTS(SELECT 1 FROM rules_principals)"));
  LONTAR_ASSIGN(Stmt principal, p("SELECT role, name, scope, (SELECT count(*) FROM rules_keys k WHERE k.id = p.id "
                                  "AND k.active = 1) FROM rules_principals p WHERE id = ?"));
  LONTAR_ASSIGN(Stmt put_principal, p("INSERT INTO rules_principals VALUES(?, ?, ?, ?) ON CONFLICT(id) DO UPDATE "
                                      "SET role = excluded.role, name = excluded.name, scope = excluded.scope"));
  LONTAR_ASSIGN(Stmt put_key,
                p("INSERT INTO rules_keys VALUES(?, ?, 1) ON CONFLICT(id, key) DO UPDATE SET active = 1"));
  LONTAR_ASSIGN(Stmt key_active, p("SELECT active FROM rules_keys WHERE id = ? AND key = ?"));
  LONTAR_ASSIGN(Stmt revoke_key, p("UPDATE rules_keys SET active = 0 WHERE id = ? AND key = ?"));
  LONTAR_ASSIGN(Stmt receipt_used, p("SELECT 1 FROM rules_receipts WHERE principal = ? AND receipt_no = ?"));
  LONTAR_ASSIGN(Stmt put_receipt, p("INSERT OR IGNORE INTO rules_receipts VALUES(?, ?)"));
  LONTAR_ASSIGN(Stmt remove_receipt, p("DELETE FROM rules_receipts WHERE principal = ? AND receipt_no = ?"));
  LONTAR_ASSIGN(Stmt covered, p("SELECT 1 FROM rules_coverage WHERE person = ? AND first_month <= ? AND "
                                "last_month >= ? LIMIT 1"));
  LONTAR_ASSIGN(Stmt add_coverage, p("INSERT INTO rules_coverage VALUES(?, ?, ?)"));
  LONTAR_ASSIGN(Stmt remove_coverage,
                p("DELETE FROM rules_coverage WHERE rowid = (SELECT rowid FROM rules_coverage WHERE person = ? "
                  "AND first_month = ? AND last_month = ? LIMIT 1)"));
  LONTAR_ASSIGN(Stmt schedule, p("SELECT benefit_max, contribution_monthly FROM rules_schedules WHERE programme = ? "
                                 "AND effective <= ? ORDER BY effective DESC LIMIT 1"));
  LONTAR_ASSIGN(Stmt put_schedule, p("INSERT OR REPLACE INTO rules_schedules VALUES(?, ?, ?, ?)"));
  LONTAR_ASSIGN(Stmt applied, p("SELECT kind, voided, undo FROM rules_applied WHERE principal = ? AND seq = ?"));
  LONTAR_ASSIGN(Stmt put_applied, p("INSERT OR REPLACE INTO rules_applied VALUES(?, ?, ?, 0, ?)"));
  LONTAR_ASSIGN(Stmt mark_voided, p("UPDATE rules_applied SET voided = 1 WHERE principal = ? AND seq = ?"));
  return Statements{
      std::move(participant),    std::move(put_participant), std::move(end_participant), std::move(claim),
      std::move(put_claim),      std::move(end_claim),       std::move(add_paid),        std::move(death_benefits),
      std::move(has_principals), std::move(principal),       std::move(put_principal),   std::move(put_key),
      std::move(key_active),     std::move(revoke_key),      std::move(receipt_used),    std::move(put_receipt),
      std::move(remove_receipt), std::move(covered),         std::move(add_coverage),    std::move(remove_coverage),
      std::move(schedule),       std::move(put_schedule),    std::move(applied),         std::move(put_applied),
      std::move(mark_voided)};
}

// Runs a statement that returns no rows, then resets it.
Status run(Stmt& s) {
  Status st = s.run();
  s.reset();
  return st;
}

// One multi-row INSERT, prepared (when first needed) for each of the row counts
// `sizes`: n rows are written by as many statements of the largest size as fit,
// then of the next size, and so on (at most three of each smaller size). Every
// statement has exactly the effect of its rows' single-row INSERTs in order.
class MultiInsert {
 public:
  static constexpr std::array<std::size_t, 5> sizes = {256, 64, 16, 4, 1};

  // `head` up to VALUES, `tuple` one row's "(?, ?, ...)" with `columns` parameters.
  MultiInsert(std::string head, std::string tuple, int columns)
      : head_(std::move(head)), tuple_(std::move(tuple)), columns_(columns) {}

  // bind(stmt, first parameter index, row) binds one row's `columns` parameters.
  template <class Row, class Bind>
  Status write(store::Db& db, std::span<const Row> rows, Bind bind) {
    std::size_t at = 0;
    for (std::size_t k = 0; k < sizes.size(); ++k) {
      const std::size_t n = sizes[k];
      while (rows.size() - at >= n) {
        if (!stmts_[k]) {
          std::string sql = head_;
          for (std::size_t i = 0; i < n; ++i) sql += (i ? ", " : " ") + tuple_;
          LONTAR_ASSIGN(Stmt s, db.prepare(sql));
          stmts_[k].emplace(std::move(s));
        }
        Stmt& s = *stmts_[k];
        for (std::size_t i = 0; i < n; ++i) bind(s, static_cast<int>(i) * columns_ + 1, rows[at + i]);
        LONTAR_TRY(run(s));
        at += n;
      }
    }
    return {};
  }

 private:
  std::string head_, tuple_;
  int columns_;
  std::array<std::optional<Stmt>, sizes.size()> stmts_;
};

// Answers principal() and schedule() from memory while the database file is
// provably unchanged. The database's data version (SQLITE_FCNTL_DATA_VERSION)
// changes on every commit, this connection's or another's, and is current while a
// transaction is open on the database. So the cache is used only inside a
// transaction, and emptied whenever the version moved. A write of a principal, a
// key or a schedule through this state empties it and turns it off until the next
// commit, so that a rolled-back write (which leaves the version as it was) is
// never remembered. Every state on one connection shares the connection's cache
// (cache_of), so that a write through one of them empties it for all.
class PrincipalCache {
 public:
  using Principal = StateView::Principal;
  static constexpr std::size_t entries_max = 1024;  // each map; emptied when full

  explicit PrincipalCache(sqlite3* db) : db_(db) {}

  // True when the cache may answer now (empties it first if the database moved on).
  bool usable() {
    if (sqlite3_txn_state(db_, "main") == SQLITE_TXN_NONE) return false;
    unsigned int version = 0;
    if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_DATA_VERSION, &version) != SQLITE_OK) return false;
    if (!valid_ || version != version_) {
      clear();
      valid_ = !written_ || version != written_version_;
      if (valid_) written_ = false;
      version_ = version;
    }
    return valid_;
  }

  // Before this connection writes a principal, a key or a schedule.
  void before_write() {
    unsigned int version = 0;
    (void)sqlite3_file_control(db_, "main", SQLITE_FCNTL_DATA_VERSION, &version);
    clear();
    valid_ = false;
    written_ = true;
    written_version_ = version;
  }

  std::map<std::string, std::optional<Principal>, std::less<>> principals;
  std::map<std::pair<Programme, std::int64_t>, std::optional<domain::ScheduleItem>> schedules;

 private:
  void clear() {
    principals.clear();
    schedules.clear();
  }

  sqlite3* db_;
  bool valid_ = false;
  unsigned int version_ = 0;
  bool written_ = false;              // a write since written_version_ may still be rolled back
  unsigned int written_version_ = 0;  // the version when it was written
};

// The cache of the connection `db`, shared by the states made on it.
std::shared_ptr<PrincipalCache> cache_of(store::Db& db) {
  static std::mutex mutex;
  static std::map<sqlite3*, std::weak_ptr<PrincipalCache>> caches;
  std::lock_guard lock(mutex);
  std::erase_if(caches, [](const auto& c) { return c.second.expired(); });
  auto& slot = caches[db.native()];
  auto cache = slot.lock();
  if (!cache) {
    cache = std::make_shared<PrincipalCache>(db.native());
    slot = cache;
  }
  return cache;
}

class SqliteState final : public State, public BatchWriter {
 public:
  SqliteState(store::Db& db, const NikKey& key, Statements q, PersonFilter* filter)
      : db_(db), key_(key), q_(std::move(q)), cache_(cache_of(db)), filter_(filter) {}

  const NikKey& nik_key() const override { return key_; }

  Result<std::optional<Participant>> participant(const Hash& person) const override {
    if (filter_ != nullptr && filter_->armed()) {
      LONTAR_ASSIGN(bool maybe, filter_->may_hold(db_, person));
      if (!maybe) return std::optional<Participant>{};
    }
    Use s(q_.participant);
    s->bind(1, person);
    LONTAR_ASSIGN(bool row, s->step());
    if (!row) return std::optional<Participant>{};
    return std::optional<Participant>(
        Participant{s->text(0), s->uint64(1), static_cast<domain::ProgrammeSet>(s->int64(2)), date_of(s->int64(3))});
  }

  Result<std::optional<Claim>> claim(std::string_view claim_no) const override {
    Use s(q_.claim);
    s->bind(1, claim_no);
    LONTAR_ASSIGN(bool row, s->step());
    if (!row) return std::optional<Claim>{};
    return std::optional<Claim>(Claim{s->hash(0), s->text(1), s->uint64(2), static_cast<Programme>(s->int64(3)),
                                      date_of(s->int64(4)), s->int64(5)});
  }

  Result<bool> has_principals() const override {
    Use s(q_.has_principals);
    LONTAR_ASSIGN(bool row, s->step());
    return row && s->int64(0) != 0;
  }

  Result<std::optional<Principal>> principal(std::string_view id) const override {
    if (!cache_->usable()) return read_principal(id);
    if (auto it = cache_->principals.find(id); it != cache_->principals.end()) return it->second;
    LONTAR_ASSIGN(auto p, read_principal(id));
    if (cache_->principals.size() >= PrincipalCache::entries_max) cache_->principals.clear();
    cache_->principals.emplace(std::string(id), p);
    return p;
  }

  Result<bool> key_active(std::string_view id, const crypto::PublicKey& key) const override {
    Use s(q_.key_active);
    s->bind(1, id).bind(2, ByteView(key));
    LONTAR_ASSIGN(bool row, s->step());
    return row && s->int64(0) != 0;
  }

  Result<bool> receipt_used(std::string_view principal, std::string_view receipt_no) const override {
    Use s(q_.receipt_used);
    s->bind(1, principal).bind(2, receipt_no);
    return s->step();
  }

  Result<bool> covered(const Hash& person, domain::YearMonth month) const override {
    Use s(q_.covered);
    s->bind(1, person).bind(2, month_int(month)).bind(3, month_int(month));
    return s->step();
  }

  Result<Rupiah> death_benefits_paid(const Hash& person) const override {
    Use s(q_.death_benefits);
    s->bind(1, person).bind(2, static_cast<int>(Programme::jkm));
    LONTAR_ASSIGN(bool row, s->step());
    return row ? s->int64(0) : Rupiah{0};
  }

  Result<std::optional<domain::ScheduleItem>> schedule(Programme programme, domain::Date on) const override {
    if (!cache_->usable()) return read_schedule(programme, on);
    const std::pair key{programme, date_int(on)};
    if (auto it = cache_->schedules.find(key); it != cache_->schedules.end()) return it->second;
    LONTAR_ASSIGN(auto item, read_schedule(programme, on));
    if (cache_->schedules.size() >= PrincipalCache::entries_max) cache_->schedules.clear();
    cache_->schedules.emplace(key, item);
    return item;
  }

  Result<std::optional<Applied>> applied(std::string_view principal, std::uint64_t seq) const override {
    Use s(q_.applied);
    s->bind(1, principal).bind(2, seq);
    LONTAR_ASSIGN(bool row, s->step());
    if (!row) return std::optional<Applied>{};
    return std::optional<Applied>(Applied{static_cast<domain::EntryKind>(s->int64(0)), s->int64(1) != 0, s->blob(2)});
  }

  Status put_participant(const Hash& person, const Participant& p) override {
    if (filter_ != nullptr) filter_->add(person);
    q_.put_participant.bind(1, person).bind(2, p.principal).bind(3, p.seq).bind(4, int{p.programmes});
    q_.put_participant.bind(5, date_int(p.coverage_start));
    return run(q_.put_participant);
  }

  Status end_participant(const Hash& person) override {
    q_.end_participant.bind(1, person);
    return run(q_.end_participant);
  }

  Status put_claim(std::string_view claim_no, const Claim& c) override {
    q_.put_claim.bind(1, claim_no).bind(2, c.person).bind(3, c.principal).bind(4, c.seq);
    q_.put_claim.bind(5, static_cast<int>(c.programme)).bind(6, date_int(c.event_date)).bind(7, c.paid);
    return run(q_.put_claim);
  }

  Status end_claim(std::string_view claim_no) override {
    q_.end_claim.bind(1, claim_no);
    return run(q_.end_claim);
  }

  Status add_paid(std::string_view claim_no, Rupiah amount) override {
    q_.add_paid.bind(1, amount).bind(2, claim_no);
    return run(q_.add_paid);
  }

  Status put_principal(std::string_view id, const Principal& p, const crypto::PublicKey& key) override {
    cache_->before_write();
    q_.put_principal.bind(1, id).bind(2, static_cast<int>(p.role)).bind(3, p.name).bind(4, p.scope);
    LONTAR_TRY(run(q_.put_principal));
    q_.put_key.bind(1, id).bind(2, ByteView(key));
    return run(q_.put_key);
  }

  Status revoke_key(std::string_view id, const crypto::PublicKey& key) override {
    cache_->before_write();
    q_.revoke_key.bind(1, id).bind(2, ByteView(key));
    return run(q_.revoke_key);
  }

  Status put_receipt(std::string_view principal, std::string_view receipt_no) override {
    q_.put_receipt.bind(1, principal).bind(2, receipt_no);
    return run(q_.put_receipt);
  }

  Status remove_receipt(std::string_view principal, std::string_view receipt_no) override {
    q_.remove_receipt.bind(1, principal).bind(2, receipt_no);
    return run(q_.remove_receipt);
  }

  Status add_coverage(const Hash& person, domain::YearMonth first, std::uint16_t months, int sign) override {
    Stmt& s = sign > 0 ? q_.add_coverage : q_.remove_coverage;
    s.bind(1, person).bind(2, month_int(first)).bind(3, month_int(first) + months - 1);
    return run(s);
  }

  Status put_schedule(const domain::ScheduleSet& set) override {
    cache_->before_write();
    for (const auto& item : set.items) {
      q_.put_schedule.bind(1, static_cast<int>(item.programme)).bind(2, date_int(set.effective));
      q_.put_schedule.bind(3, item.benefit_max).bind(4, item.contribution_monthly);
      LONTAR_TRY(run(q_.put_schedule));
    }
    return {};
  }

  Status put_applied(std::string_view principal, std::uint64_t seq, domain::EntryKind kind, ByteView undo) override {
    q_.put_applied.bind(1, principal).bind(2, seq).bind(3, static_cast<int>(kind)).bind(4, undo);
    return run(q_.put_applied);
  }

  Status mark_voided(std::string_view principal, std::uint64_t seq) override {
    q_.mark_voided.bind(1, principal).bind(2, seq);
    return run(q_.mark_voided);
  }

  // ---- BatchWriter: the same rows as the put_* statements above, many per statement

  Status put_participants(std::span<const ParticipantRow> rows) override {
    if (filter_ != nullptr) {
      for (const auto& r : rows) filter_->add(*r.person);
    }
    return participants_.write(db_, rows, [](Stmt& s, int i, const ParticipantRow& r) {
      s.bind(i, *r.person).bind(i + 1, r.p->principal).bind(i + 2, r.p->seq).bind(i + 3, int{r.p->programmes});
      s.bind(i + 4, date_int(r.p->coverage_start));
    });
  }

  Status put_claims(std::span<const ClaimRow> rows) override {
    return claims_.write(db_, rows, [](Stmt& s, int i, const ClaimRow& r) {
      s.bind(i, r.claim_no).bind(i + 1, r.c->person).bind(i + 2, r.c->principal).bind(i + 3, r.c->seq);
      s.bind(i + 4, static_cast<int>(r.c->programme)).bind(i + 5, date_int(r.c->event_date)).bind(i + 6, r.c->paid);
    });
  }

  Status put_receipts(std::span<const ReceiptRow> rows) override {
    return receipts_.write(
        db_, rows, [](Stmt& s, int i, const ReceiptRow& r) { s.bind(i, r.principal).bind(i + 1, r.receipt_no); });
  }

  Status add_coverages(std::span<const CoverageRow> rows) override {
    return coverage_.write(db_, rows, [](Stmt& s, int i, const CoverageRow& r) {
      s.bind(i, *r.person).bind(i + 1, month_int(r.first)).bind(i + 2, month_int(r.first) + r.months - 1);
    });
  }

  Status put_applieds(std::span<const AppliedRow> rows) override {
    return applied_.write(db_, rows, [](Stmt& s, int i, const AppliedRow& r) {
      s.bind(i, r.principal).bind(i + 1, r.seq).bind(i + 2, static_cast<int>(r.kind)).bind(i + 3, r.voided ? 1 : 0);
      s.bind(i + 4, r.undo);
    });
  }

 private:
  Result<std::optional<Principal>> read_principal(std::string_view id) const {
    Use s(q_.principal);
    s->bind(1, id);
    LONTAR_ASSIGN(bool row, s->step());
    if (!row) return std::optional<Principal>{};
    return std::optional<Principal>(Principal{static_cast<domain::Role>(s->int64(0)), s->text(1), s->text(2),
                                              static_cast<std::uint32_t>(s->int64(3))});
  }

  Result<std::optional<domain::ScheduleItem>> read_schedule(Programme programme, domain::Date on) const {
    Use s(q_.schedule);
    s->bind(1, static_cast<int>(programme)).bind(2, date_int(on));
    LONTAR_ASSIGN(bool row, s->step());
    if (!row) return std::optional<domain::ScheduleItem>{};
    return std::optional<domain::ScheduleItem>(domain::ScheduleItem{programme, s->int64(0), s->int64(1)});
  }

  store::Db& db_;
  NikKey key_;
  mutable Statements q_;                   // prepared statements change state when stepped, not the rules state
  std::shared_ptr<PrincipalCache> cache_;  // a copy of committed rows, not rules state
  PersonFilter* filter_;                   // null, or what person_filter.hpp says
  MultiInsert participants_{"INSERT OR REPLACE INTO rules_participants VALUES", "(?, ?, ?, ?, ?)", 5};
  MultiInsert claims_{"INSERT OR REPLACE INTO rules_claims VALUES", "(?, ?, ?, ?, ?, ?, ?)", 7};
  MultiInsert receipts_{"INSERT OR IGNORE INTO rules_receipts VALUES", "(?, ?)", 2};
  MultiInsert coverage_{"INSERT INTO rules_coverage VALUES", "(?, ?, ?)", 3};
  MultiInsert applied_{"INSERT OR REPLACE INTO rules_applied VALUES", "(?, ?, ?, ?, ?)", 5};
};

}  // namespace

namespace {
Result<std::unique_ptr<State>> make_state(store::Db& db, const NikKey& key, PersonFilter* filter) {
  if (auto s = db.exec(schema); !s.ok()) {
    (void)db.exec("ROLLBACK TO rules_schema; RELEASE rules_schema;");
    return std::move(s).error().prefix("creating the rules_ tables");
  }
  LONTAR_ASSIGN(Statements q, prepare(db));
  return std::unique_ptr<State>(std::make_unique<SqliteState>(db, key, std::move(q), filter));
}
}  // namespace

Result<std::unique_ptr<State>> make_sqlite_state(store::Db& db, const NikKey& key) {
  return make_state(db, key, nullptr);
}

Result<std::unique_ptr<State>> make_sqlite_state(store::Db& db, const NikKey& key, PersonFilter& filter) {
  return make_state(db, key, &filter);
}

// ---------------------------------------------------------------- PersonFilter

Status PersonFilter::arm(store::Db& db) {
  LONTAR_ASSIGN(auto version, db.query_int("PRAGMA data_version"));
  const std::int64_t v = version.value_or(0);
  if (data_version_ && *data_version_ != v) loaded_ = false;  // another connection committed
  data_version_ = v;
  armed_ = true;
  return {};
}

Result<bool> PersonFilter::may_hold(store::Db& db, const Hash& person) {
  if (!loaded_) LONTAR_TRY(load(db));
  return test(person);
}

void PersonFilter::add(const Hash& person) {
  if (!loaded_) return;  // the next load reads the row from the table
  set(person);
  if (++count_ > capacity_) loaded_ = false;  // read again into a larger filter
}

Status PersonFilter::load(store::Db& db) {
  LONTAR_ASSIGN(auto rows, db.query_int("SELECT count(*) FROM rules_participants"));
  const std::uint64_t n = static_cast<std::uint64_t>(rows.value_or(0));
  std::uint64_t bits = std::uint64_t{1} << 23;  // 1 MiB
  while (bits < 16 * (n + 65'536)) bits <<= 1;
  words_.assign(bits / 64, 0);
  mask_ = bits - 1;
  capacity_ = bits / 12;  // grown before the false "maybe" passes about 1 %
  count_ = 0;
  LONTAR_ASSIGN(Stmt all, db.prepare("SELECT person FROM rules_participants"));
  for (;;) {
    LONTAR_ASSIGN(bool row, all.step());
    if (!row) break;
    ByteView key = all.blob_view(0);
    if (key.size() != Hash{}.size()) return Error{Code::corrupt, "rules_participants: a person key is not 32 bytes"};
    Hash h;
    std::copy(key.begin(), key.end(), h.begin());
    set(h);
    ++count_;
  }
  loaded_ = true;
  ++loads_;
  return {};
}

namespace {
// Probe i of a person key: bytes 8i..8i+7 of the HMAC (uniform, independent).
std::uint64_t probe(const Hash& person, int i) {
  std::uint64_t v = 0;
  std::memcpy(&v, person.data() + 8 * i, 8);
  return v;
}
}  // namespace

void PersonFilter::set(const Hash& person) {
  for (int i = 0; i < 4; ++i) {
    const std::uint64_t bit = probe(person, i) & mask_;
    words_[bit / 64] |= std::uint64_t{1} << (bit % 64);
  }
}

bool PersonFilter::test(const Hash& person) const {
  for (int i = 0; i < 4; ++i) {
    const std::uint64_t bit = probe(person, i) & mask_;
    if ((words_[bit / 64] & (std::uint64_t{1} << (bit % 64))) == 0) return false;
  }
  return true;
}

}  // namespace lontar::rules
