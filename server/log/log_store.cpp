#include "log/log_store.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "encoding/encoding.hpp"
#include "merkle/tile_writer.hpp"
#include "note/checkpoint.hpp"
#include "store/db.hpp"

namespace lontar::server {

static_assert(bundle_leaf_bytes_max == merkle::bundle_entry_bytes_max);

namespace {

constexpr int schema_version = 1;
// WAL checkpoints run on a thread of their own, off the integrator's path, once the
// WAL holds this many pages (SQLite's own default threshold) ...
constexpr int wal_checkpoint_pages = 1000;
// ... and by the integrator itself, after its commit, when the WAL has grown this far
// all the same (the checkpointer is behind): the WAL stays bounded.
constexpr int wal_pages_max = 16 * wal_checkpoint_pages;
// Principals whose heads stay cached in RAM; beyond this the cache is dropped and refilled.
constexpr std::size_t head_cache_max = 100'000;

constexpr std::string_view schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS log_settings(name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
-- Leaf hashes live in the level-0 tiles; a leaf row holds only the leaf's bytes.
CREATE TABLE IF NOT EXISTS log_leaves(idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS log_entries(
  principal TEXT NOT NULL, seq INTEGER NOT NULL, leaf_index INTEGER NOT NULL, entry_hash BLOB NOT NULL,
  PRIMARY KEY(principal, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_seals(
  principal TEXT NOT NULL, last_seq INTEGER NOT NULL, leaf_index INTEGER NOT NULL,
  PRIMARY KEY(principal, last_seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_heads(principal TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_tiles(level INTEGER NOT NULL, idx INTEGER NOT NULL, hashes BLOB NOT NULL,
  PRIMARY KEY(level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_checkpoints(size INTEGER PRIMARY KEY, note TEXT NOT NULL, signed_at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS log_equivocations(
  id INTEGER PRIMARY KEY, principal TEXT NOT NULL, seq INTEGER NOT NULL, logged_hash BLOB NOT NULL,
  offered_hash BLOB NOT NULL, offered_batch BLOB NOT NULL, detected_at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS log_keys(key BLOB PRIMARY KEY, principal TEXT NOT NULL, role INTEGER NOT NULL,
  active INTEGER NOT NULL) WITHOUT ROWID;
)sql";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Head {
  std::uint64_t seq = 0;
  Hash hash{};
};

// A push on its way through the queue: the batch with its entries already encoded,
// hashed, checked (chain links and seal), decoded and keyed for the rules engine
// (rules::Prepared, pointing into `batch`) in the caller's thread, so that many
// pushes do this in parallel and the one integrator only judges and writes.
struct Pending {
  chain::Batch batch;
  std::vector<Bytes> entry_bytes;
  std::vector<Hash> entry_hashes;
  std::vector<rules::Prepared> prepared;
  std::promise<Result<protocol::PushResponse>> done;
};

// What one group commit changes in the counters (added only after the commit).
struct Counts {
  std::uint64_t integrated = 0, replayed = 0, equivocations = 0, refused = 0, rejected = 0, flagged = 0;
};

Error refusal(Code code, const std::string& principal, const std::string& why) {
  return Error{code, "push from " + principal + " refused: " + why};
}

// leaf = encode(chain::entry_leaf(entry, verdict)), built from the entry's bytes:
// cereal's flag byte, the leaf type, then the entry's and the verdict's fields.
Result<Bytes> entry_leaf_bytes(const Bytes& entry_bytes, const domain::Verdict& verdict) {
  // Most verdicts are a plain accepted one: its bytes are encoded once.
  static const Result<Bytes> accepted = encoding::encode(domain::Verdict{});
  Result<Bytes> encoded = verdict == domain::Verdict{} ? accepted : encoding::encode(verdict);
  LONTAR_ASSIGN(Bytes v, std::move(encoded));
  Bytes leaf;
  leaf.reserve(entry_bytes.size() + v.size());
  leaf.push_back(0x01);
  leaf.push_back(static_cast<std::uint8_t>(chain::LeafType::entry));
  leaf.insert(leaf.end(), entry_bytes.begin() + 1, entry_bytes.end());
  leaf.insert(leaf.end(), v.begin() + 1, v.end());
  return leaf;
}

// The bytes of hash tile `id` from the `stored` version: the store keeps the newest
// (widest) version of each tile, of which a tree of any published size needs a prefix.
Result<Bytes> tile_prefix(Bytes stored, const merkle::TileId& id) {
  const std::size_t bytes = std::size_t{id.width} * sizeof(Hash);
  if (stored.size() < bytes) {
    return Error{Code::corrupt, merkle::tile_path(id) + ": the stored tile holds " +
                                    std::to_string(stored.size() / sizeof(Hash)) +
                                    " hashes, fewer than the tree needs; the store is damaged — restore it from a "
                                    "backup"};
  }
  stored.resize(bytes);
  return stored;
}

}  // namespace

struct LogStore::Impl {
  Impl(std::string p, crypto::PrivateKey key) : path(std::move(p)), log_key(std::move(key)) {}
  std::string path;
  std::string origin;
  crypto::PrivateKey log_key;
  rules::NikKey nik_key{};
  LogStoreOptions options;

  // ---- the integrator's own (only its thread touches these after open) ----
  std::unique_ptr<store::Db> writer;
  std::unique_ptr<rules::State> state;
  merkle::TileWriter edge;
  std::unordered_map<std::string, Head> heads;
  struct Stmts {
    std::optional<store::Stmt> head_get, head_put, entry_get, leaf_get, entry_put, leaf_put, seal_put, seal_find,
        tile_put, checkpoint_put, equivocation_put, key_put, key_revoke;
  } st;

  // ---- readers (HTTP threads) ----
  std::mutex read_mu;
  std::unique_ptr<store::Db> reader;
  std::optional<store::Stmt> reader_tile_get;

  // ---- published state ----
  mutable std::mutex pub_mu;
  std::string checkpoint;
  std::uint64_t published_size = 0;
  // The publisher's: a committed checkpoint that before_publish refused (served once it succeeds).
  std::string unpublished;
  std::uint64_t unpublished_size = 0;

  // ---- publishing: recording a checkpoint (before_publish: a file write and its fsyncs),
  // serving it and answering the pushes run on a thread of their own, so that the
  // integrator meanwhile integrates the next group. Groups committed while a recording
  // is under way are published together, with one recording of the newest checkpoint.
  struct Integrated {
    std::vector<std::unique_ptr<Pending>> group;
    std::vector<std::optional<Result<protocol::PushResponse>>> outcomes;
    Counts counts;
    std::string note;        // the checkpoint signed for it; empty when it added no leaf
    std::uint64_t size = 0;  // the tree size after it
  };
  std::mutex pq_mu;
  std::condition_variable pq_not_empty;
  std::deque<Integrated> publish_queue;
  bool publisher_stopping = false;
  std::thread publisher;

  // ---- the queue ----
  std::mutex q_mu;
  std::condition_variable q_not_empty, q_not_full;
  std::deque<std::unique_ptr<Pending>> queue;
  bool stopping = false;
  std::atomic<std::size_t> in_flight{0};
  std::thread integrator;

  // ---- WAL checkpoints (SQLite's automatic ones would run in the integrator's commit) ----
  std::unique_ptr<store::Db> checkpointer_db;
  std::thread checkpointer;
  std::mutex ck_mu;
  std::condition_variable ck_wanted;
  bool ck_pending = false, ck_stopping = false;
  std::atomic<int> wal_pages{0};  // frames in the WAL after the writer's last commit

  // ---- counters ----
  std::atomic<std::uint64_t> pushes_total{0}, entries_integrated_total{0}, entries_replayed_total{0},
      equivocations_total{0}, batches_refused_total{0}, integrations_total{0}, verdicts_rejected_total{0},
      verdicts_flagged_total{0};

  Status prepare_statements();
  Status start_checkpointer();
  void run_checkpointer();
  void stop_checkpointer();
  Status load();
  Result<Head> head_of(const std::string& principal);
  void run();
  void integrate(std::vector<std::unique_ptr<Pending>>& group);
  void run_publisher();
  void publish(std::vector<Integrated>& done);
  void stop_publisher();
  Status integrate_one(Pending& p, Counts& counts, std::optional<Result<protocol::PushResponse>>& outcome);
  Status record_equivocation(Pending& p, std::uint64_t seq, const Hash& logged, const Hash& offered);
  Status append_leaf(const Bytes& leaf);
  Status track_keys(const chain::Entry& e, const domain::Verdict& v);
  Result<Bytes> read_tile(store::Db& db, unsigned level, std::uint64_t index);
  Result<Bytes> read_tile_for_reader(const merkle::TileId& id);
  // Hash tiles at the widths asked for, from the writer's or the reader's connection.
  merkle::TileFetch writer_tiles();
  merkle::TileReader reader_tiles(std::uint64_t size);
  // The signed checkpoint of the tree as it is now.
  Result<std::string> sign_checkpoint();
};

// ---------------------------------------------------------------- open / create

namespace {

Status put_setting(store::Db& db, std::string_view name, ByteView value) {
  LONTAR_ASSIGN(store::Stmt st, db.prepare("INSERT INTO log_settings(name, value) VALUES(?, ?)"));
  return st.bind(1, name).bind(2, value).run();
}

Result<Bytes> get_setting(store::Db& db, std::string_view name) {
  LONTAR_ASSIGN(store::Stmt st, db.prepare("SELECT value FROM log_settings WHERE name = ?"));
  LONTAR_ASSIGN(bool row, st.bind(1, name).step());
  if (!row) {
    return Error{Code::corrupt, db.path() + ": setting '" + std::string(name) +
                                    "' is missing; this is not a lontar-server ledger (create one with init)"};
  }
  return st.blob(0);
}

Result<std::unique_ptr<LogStore>> start(std::unique_ptr<LogStore::Impl> impl) {
  LONTAR_TRY(impl->prepare_statements());
  LONTAR_TRY(impl->load());
  LONTAR_ASSIGN(impl->reader, store::Db::open(impl->path, {.create = false}));
  LONTAR_ASSIGN(impl->reader_tile_get,
                impl->reader->prepare("SELECT hashes FROM log_tiles WHERE level = ? AND idx = ?"));
  LONTAR_TRY(impl->start_checkpointer());
  auto* raw = impl.get();
  auto store = std::make_unique<LogStore>(std::move(impl));
  raw->publisher = std::thread([raw] { raw->run_publisher(); });
  raw->integrator = std::thread([raw] { raw->run(); });
  // Named (15 characters at most) for `top -H` and for the benchmark, which reads the integrator's CPU time.
  pthread_setname_np(raw->integrator.native_handle(), "log-integrator");
  pthread_setname_np(raw->publisher.native_handle(), "log-publisher");
  return store;
}

}  // namespace

LogStore::LogStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<LogStore>> LogStore::create(const std::string& path, const std::string& origin,
                                                   crypto::PrivateKey log_key, const rules::NikKey& nik_key,
                                                   LogStoreOptions options) {
  if (std::filesystem::exists(path)) {
    return Error{Code::conflict, path + " already exists; a new ledger needs a new file (or open the existing one)"};
  }
  if (auto s = note::check_key_name(origin); !s.ok()) {
    return std::move(s).error().prefix("log origin '" + origin + "'");
  }
  auto impl = std::make_unique<Impl>(path, std::move(log_key));
  impl->origin = origin;
  impl->nik_key = nik_key;
  impl->options = options;
  LONTAR_ASSIGN(impl->writer, store::Db::open(path));
  {
    LONTAR_ASSIGN(store::Transaction tx, store::Transaction::begin(*impl->writer));
    LONTAR_TRY(impl->writer->exec(schema_sql));
    LONTAR_TRY(put_setting(*impl->writer, "schema_version", as_bytes(std::to_string(schema_version))));
    LONTAR_TRY(put_setting(*impl->writer, "origin", as_bytes(origin)));
    LONTAR_TRY(put_setting(*impl->writer, "log_public_key", impl->log_key.public_key()));
    LONTAR_TRY(put_setting(*impl->writer, "nik_key", nik_key));
    LONTAR_ASSIGN(impl->state, rules::make_sqlite_state(*impl->writer, nik_key));
    LONTAR_TRY(tx.commit());
  }
  return start(std::move(impl));
}

Result<std::unique_ptr<LogStore>> LogStore::open(const std::string& path, crypto::PrivateKey log_key,
                                                 LogStoreOptions options) {
  if (!std::filesystem::exists(path)) {
    return Error{Code::not_found, path + " does not exist; create the ledger with 'lontar-server init'"};
  }
  auto impl = std::make_unique<Impl>(path, std::move(log_key));
  impl->options = options;
  LONTAR_ASSIGN(impl->writer, store::Db::open(path, {.create = false}));
  LONTAR_ASSIGN(Bytes version, get_setting(*impl->writer, "schema_version"));
  if (as_chars(version) != std::to_string(schema_version)) {
    return Error{Code::corrupt, path + ": ledger schema version " + std::string(as_chars(version)) +
                                    " is not the supported " + std::to_string(schema_version)};
  }
  LONTAR_ASSIGN(Bytes origin, get_setting(*impl->writer, "origin"));
  impl->origin = std::string(as_chars(origin));
  LONTAR_ASSIGN(Bytes pub, get_setting(*impl->writer, "log_public_key"));
  crypto::PublicKey expected = impl->log_key.public_key();
  if (!std::equal(pub.begin(), pub.end(), expected.begin(), expected.end())) {
    return Error{Code::unauthorized, path + ": the log key given (" + crypto::fingerprint(expected) +
                                         ") is not the key this ledger was created with; use its log.key"};
  }
  LONTAR_ASSIGN(Bytes nik, get_setting(*impl->writer, "nik_key"));
  if (nik.size() != impl->nik_key.size()) return Error{Code::corrupt, path + ": stored NIK key has the wrong size"};
  std::copy(nik.begin(), nik.end(), impl->nik_key.begin());
  LONTAR_ASSIGN(impl->state, rules::make_sqlite_state(*impl->writer, impl->nik_key));
  return start(std::move(impl));
}

LogStore::~LogStore() { shutdown(); }

void LogStore::shutdown() {
  {
    std::lock_guard lock(impl_->q_mu);
    impl_->stopping = true;
  }
  impl_->q_not_empty.notify_all();
  impl_->q_not_full.notify_all();
  if (impl_->integrator.joinable()) impl_->integrator.join();
  impl_->stop_publisher();
  impl_->stop_checkpointer();
}

// ---------------------------------------------------------------- WAL checkpoints

namespace {
// sqlite3_wal_hook: called on the writer's thread after each commit. Taking the hook
// turns SQLite's automatic checkpoint (which would run right here) off.
int on_wal_commit(void* impl, sqlite3*, const char*, int pages) {
  auto* m = static_cast<LogStore::Impl*>(impl);
  m->wal_pages = pages;
  if (pages >= wal_checkpoint_pages) {
    {
      std::lock_guard lock(m->ck_mu);
      m->ck_pending = true;
    }
    m->ck_wanted.notify_one();
  }
  return SQLITE_OK;
}
}  // namespace

Status LogStore::Impl::start_checkpointer() {
  LONTAR_ASSIGN(checkpointer_db, store::Db::open(path, {.create = false}));
  sqlite3_wal_hook(writer->native(), on_wal_commit, this);
  checkpointer = std::thread([this] { run_checkpointer(); });
  pthread_setname_np(checkpointer.native_handle(), "log-checkpoint");
  return {};
}

// PASSIVE: copies what no reader still needs and never blocks the writer or readers.
// A checkpoint that fails (disk full) is logged and retried at the next threshold;
// the WAL keeps every committed transaction meanwhile.
void LogStore::Impl::run_checkpointer() {
  std::unique_lock lock(ck_mu);
  while (true) {
    ck_wanted.wait(lock, [&] { return ck_pending || ck_stopping; });
    if (ck_stopping) return;
    ck_pending = false;
    lock.unlock();
    if (auto s = checkpointer_db->exec("PRAGMA wal_checkpoint(PASSIVE)"); !s.ok()) {
      spdlog::warn("WAL checkpoint of {} failed (retried later): {}", path, s.error().message);
    }
    lock.lock();
  }
}

void LogStore::Impl::stop_checkpointer() {
  {
    std::lock_guard lock(ck_mu);
    ck_stopping = true;
  }
  ck_wanted.notify_all();
  if (checkpointer.joinable()) checkpointer.join();
}

const std::string& LogStore::origin() const { return impl_->origin; }
const rules::NikKey& LogStore::nik_key() const { return impl_->nik_key; }
std::string LogStore::verifier_key() const {
  auto v = note::Verifier::make(impl_->origin, impl_->log_key.public_key());
  return v.ok() ? v->to_string() : std::string();
}

Status LogStore::Impl::prepare_statements() {
  auto& db = *writer;
  // The integrator revisits the same pages (heads, rules state, the tree's edge):
  // a larger page cache saves re-reading them from the file.
  LONTAR_TRY(db.exec("PRAGMA cache_size = -65536"));
  LONTAR_ASSIGN(st.head_get, db.prepare("SELECT seq, hash FROM log_heads WHERE principal = ?"));
  LONTAR_ASSIGN(st.head_put, db.prepare("INSERT OR REPLACE INTO log_heads(principal, seq, hash) VALUES(?, ?, ?)"));
  LONTAR_ASSIGN(st.entry_get,
                db.prepare("SELECT leaf_index, entry_hash FROM log_entries WHERE principal = ? AND seq = ?"));
  LONTAR_ASSIGN(st.entry_put,
                db.prepare("INSERT INTO log_entries(principal, seq, leaf_index, entry_hash) VALUES(?, ?, ?, ?)"));
  LONTAR_ASSIGN(st.leaf_get, db.prepare("SELECT leaf FROM log_leaves WHERE idx = ?"));
  LONTAR_ASSIGN(st.leaf_put, db.prepare("INSERT INTO log_leaves(idx, leaf) VALUES(?, ?)"));
  LONTAR_ASSIGN(st.seal_put,
                db.prepare("INSERT OR REPLACE INTO log_seals(principal, last_seq, leaf_index) VALUES(?, ?, ?)"));
  LONTAR_ASSIGN(st.seal_find, db.prepare("SELECT leaf_index FROM log_seals WHERE principal = ? AND last_seq >= ? "
                                         "ORDER BY last_seq LIMIT 1"));
  LONTAR_ASSIGN(st.tile_put, db.prepare("INSERT OR REPLACE INTO log_tiles(level, idx, hashes) VALUES(?, ?, ?)"));
  LONTAR_ASSIGN(st.checkpoint_put, db.prepare("INSERT INTO log_checkpoints(size, note, signed_at_ms) VALUES(?, ?, ?)"));
  LONTAR_ASSIGN(st.equivocation_put,
                db.prepare("INSERT INTO log_equivocations(principal, seq, logged_hash, offered_hash, offered_batch, "
                           "detected_at_ms) VALUES(?, ?, ?, ?, ?, ?)"));
  LONTAR_ASSIGN(st.key_put,
                db.prepare("INSERT OR REPLACE INTO log_keys(key, principal, role, active) VALUES(?, ?, ?, 1)"));
  LONTAR_ASSIGN(st.key_revoke, db.prepare("UPDATE log_keys SET active = 0 WHERE key = ? AND principal = ?"));
  return {};
}

Result<Bytes> LogStore::Impl::read_tile(store::Db& db, unsigned level, std::uint64_t index) {
  LONTAR_ASSIGN(store::Stmt q, db.prepare("SELECT hashes FROM log_tiles WHERE level = ? AND idx = ?"));
  LONTAR_ASSIGN(bool row, q.bind(1, static_cast<std::int64_t>(level)).bind(2, index).step());
  if (!row) return Bytes{};
  return q.blob(0);
}

// Reads hash tile `id` on the reader connection; requires read_mu held.
Result<Bytes> LogStore::Impl::read_tile_for_reader(const merkle::TileId& id) {
  auto& q = *reader_tile_get;
  q.reset();
  LONTAR_ASSIGN(bool row, q.bind(1, static_cast<std::int64_t>(id.level)).bind(2, id.index).step());
  Bytes out = row ? q.blob(0) : Bytes{};
  q.reset();
  return tile_prefix(std::move(out), id);
}

merkle::TileFetch LogStore::Impl::writer_tiles() {
  return [this](const merkle::TileId& id) -> Result<Bytes> {
    LONTAR_ASSIGN(Bytes stored, read_tile(*writer, id.level, id.index));
    return tile_prefix(std::move(stored), id);
  };
}

merkle::TileReader LogStore::Impl::reader_tiles(std::uint64_t size) {
  return merkle::TileReader(size, [this](const merkle::TileId& id) { return read_tile_for_reader(id); });
}

Result<std::string> LogStore::Impl::sign_checkpoint() {
  return note::sign_checkpoint(note::Checkpoint{origin, edge.size(), edge.root(), {}}, origin, log_key);
}

// Restores the edge of the tree and the latest checkpoint, and checks they agree.
Status LogStore::Impl::load() {
  LONTAR_ASSIGN(auto end, writer->query_int("SELECT coalesce(max(idx) + 1, 0) FROM log_leaves"));
  std::uint64_t size = static_cast<std::uint64_t>(end.value_or(0));
  LONTAR_ASSIGN(auto count, writer->query_int("SELECT count(*) FROM log_leaves"));
  if (count.value_or(0) != static_cast<std::int64_t>(size)) {
    return Error{Code::corrupt, path + ": the log has " + std::to_string(count.value_or(0)) +
                                    " leaves but its last index is " + std::to_string(size) +
                                    " - 1; the store is damaged — restore it from a backup"};
  }
  LONTAR_ASSIGN(edge, merkle::TileWriter::resume(size, writer_tiles()));
  LONTAR_ASSIGN(store::Stmt q, writer->prepare("SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1"));
  LONTAR_ASSIGN(bool row, q.step());
  std::string note;
  if (row) {
    if (q.uint64(0) != size) {
      return Error{Code::corrupt, path + ": the latest checkpoint is for " + std::to_string(q.uint64(0)) +
                                      " leaves but the log holds " + std::to_string(size) +
                                      "; the store is damaged — restore it from a backup"};
    }
    note = q.text(1);
    std::string body = origin + "\n" + std::to_string(size) + "\n" + to_base64(edge.root()) + "\n";
    if (!note.starts_with(body)) {
      return Error{Code::corrupt, path +
                                      ": the stored tree's root does not match the latest checkpoint; "
                                      "the store is damaged — restore it from a backup"};
    }
  } else if (size != 0) {
    return Error{Code::corrupt, path + ": the log holds leaves but no checkpoint; restore it from a backup"};
  } else {
    // An empty log still serves a signed checkpoint (of the empty tree); it is not stored.
    LONTAR_ASSIGN(note, sign_checkpoint());
  }
  LONTAR_ASSIGN(auto equiv, writer->query_int("SELECT count(*) FROM log_equivocations"));
  equivocations_total = static_cast<std::uint64_t>(equiv.value_or(0));
  std::lock_guard lock(pub_mu);
  checkpoint = std::move(note);
  published_size = size;
  return {};
}

// ---------------------------------------------------------------- push

Result<protocol::PushResponse> LogStore::push(const Caller& caller, chain::Batch batch) {
  Impl& m = *impl_;
  auto refuse = [&](Error e) -> Result<protocol::PushResponse> {
    ++m.pushes_total;
    ++m.batches_refused_total;
    spdlog::warn("{}", e.message);
    return e;
  };
  const std::string& who = batch.principal;
  if (caller.principal != batch.principal) {
    return refuse(refusal(Code::unauthorized, who,
                          "the caller is " + caller.principal + "; a principal may push only its own entries"));
  }
  if (batch.entries.empty()) return refuse(refusal(Code::bad_input, who, "the batch has no entries"));
  if (batch.entries.size() > chain::batch_entries_max) {
    return refuse(refusal(Code::bad_input, who,
                          "the batch has " + std::to_string(batch.entries.size()) + " entries, more than " +
                              std::to_string(chain::batch_entries_max) + "; push it in smaller batches"));
  }
  if (batch.seal.principal != batch.principal) {
    return refuse(refusal(Code::bad_input, who, "the seal is for " + batch.seal.principal + ", not " + who));
  }
  if (batch.entries.front().seq == 0) return refuse(refusal(Code::bad_input, who, "entry seq 0 does not exist"));
  // Chain links within the batch and the seal's signature: checked here, in the
  // caller's thread, so that many pushes verify in parallel. The link to the
  // server's head is checked by the integrator, which knows it.
  const chain::Entry& first = batch.entries.front();
  if (auto s = chain::verify_run(batch.entries, first.seq - 1, first.prev, &batch.seal); !s.ok()) {
    Error e = std::move(s).error();
    return refuse(refusal(e.code == Code::unauthorized ? Code::unauthorized : Code::bad_input, who, e.message));
  }
  auto p = std::make_unique<Pending>();
  p->entry_bytes.reserve(batch.entries.size());
  p->entry_hashes.reserve(batch.entries.size());
  for (const chain::Entry& e : batch.entries) {
    auto bytes = encoding::encode(e);
    if (!bytes.ok())
      return refuse(refusal(Code::bad_input, who, "seq " + std::to_string(e.seq) + ": " + bytes.error().message));
    if (bytes->size() > entry_bytes_max) {
      return refuse(refusal(Code::bad_input, who,
                            "seq " + std::to_string(e.seq) + " is " + std::to_string(bytes->size()) +
                                " bytes encoded, more than the log's " + std::to_string(entry_bytes_max)));
    }
    p->entry_hashes.push_back(chain::entry_hash_of_bytes(*bytes));
    p->entry_bytes.push_back(std::move(bytes).value());
  }
  p->batch = std::move(batch);
  p->prepared.reserve(p->batch.entries.size());
  for (const chain::Entry& e : p->batch.entries) p->prepared.emplace_back(e, m.nik_key);
  auto done = p->done.get_future();
  {
    std::unique_lock lock(m.q_mu);
    m.q_not_full.wait(lock, [&] { return m.stopping || m.queue.size() < m.options.push_queue_max; });
    if (m.stopping) {
      return refuse(Error{Code::io, "the server is shutting down; push again after it restarts"});
    }
    m.queue.push_back(std::move(p));
    ++m.in_flight;
  }
  m.q_not_empty.notify_one();
  return done.get();
}

void LogStore::Impl::run() {
  while (true) {
    std::vector<std::unique_ptr<Pending>> group;
    {
      std::unique_lock lock(q_mu);
      q_not_empty.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and every queued push was integrated
      std::size_t entries = 0;
      while (!queue.empty() &&
             (group.empty() || entries + queue.front()->batch.entries.size() <= options.integration_entries_max)) {
        entries += queue.front()->batch.entries.size();
        group.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    q_not_full.notify_all();
    integrate(group);
  }
}

Result<Head> LogStore::Impl::head_of(const std::string& principal) {
  if (auto it = heads.find(principal); it != heads.end()) return it->second;
  auto& q = *st.head_get;
  q.reset();
  LONTAR_ASSIGN(bool row, q.bind(1, principal).step());
  Head h;
  if (row) {
    h.seq = q.uint64(0);
    h.hash = q.hash(1);
  }
  q.reset();
  if (heads.size() >= head_cache_max) heads.clear();
  heads.emplace(principal, h);
  return h;
}

Status LogStore::Impl::append_leaf(const Bytes& leaf) {
  Hash h = merkle::leaf_hash(leaf);
  auto& q = *st.leaf_put;
  q.reset();
  LONTAR_TRY(q.bind(1, edge.size()).bind(2, ByteView(leaf)).run());
  edge.append(h);
  return {};
}

Status LogStore::Impl::record_equivocation(Pending& p, std::uint64_t seq, const Hash& logged, const Hash& offered) {
  LONTAR_ASSIGN(Bytes evidence, encoding::encode(p.batch));
  auto& q = *st.equivocation_put;
  q.reset();
  LONTAR_TRY(q.bind(1, p.batch.principal)
                 .bind(2, seq)
                 .bind(3, logged)
                 .bind(4, offered)
                 .bind(5, ByteView(evidence))
                 .bind(6, now_ms())
                 .run());
  spdlog::critical(
      "EQUIVOCATION: {} signed a different entry under seq {} (logged {}, offered {}); "
      "the batch is refused and kept as evidence in log_equivocations — investigate this office's keys",
      p.batch.principal, seq, to_hex(logged), to_hex(offered));
  return {};
}

// Keeps the key → principal table (for authenticate) in step with applied admin entries.
Status LogStore::Impl::track_keys(const chain::Entry& e, const domain::Verdict& v) {
  if (v.outcome == domain::Outcome::rejected) return {};
  if (e.kind != domain::EntryKind::principal_register && e.kind != domain::EntryKind::principal_revoke) return {};
  LONTAR_ASSIGN(domain::Payload payload, domain::decode_payload(e.kind, e.payload));
  if (auto* r = std::get_if<domain::PrincipalRegister>(&payload)) {
    auto& q = *st.key_put;
    q.reset();
    return q.bind(1, ByteView(r->key)).bind(2, r->principal_id).bind(3, static_cast<int>(r->role)).run();
  }
  if (auto* r = std::get_if<domain::PrincipalRevoke>(&payload)) {
    auto& q = *st.key_revoke;
    q.reset();
    return q.bind(1, ByteView(r->key)).bind(2, r->principal_id).run();
  }
  return {};
}

Status LogStore::Impl::integrate_one(Pending& p, Counts& counts,
                                     std::optional<Result<protocol::PushResponse>>& outcome) {
  const chain::Batch& b = p.batch;
  const std::string& who = b.principal;
  auto refuse = [&](Error e) {
    ++counts.refused;
    spdlog::warn("{}", e.message);
    outcome = std::move(e);
    return Status{};
  };
  LONTAR_ASSIGN(Head head, head_of(who));
  LONTAR_ASSIGN(rules::SealGrant grant, rules::seal_allowed(b.seal, &b.entries.front(), *state));
  if (grant == rules::SealGrant::refused) {
    return refuse(refusal(Code::unauthorized, who,
                          "the seal's key " + crypto::fingerprint(b.seal.key) + " is not registered for " + who +
                              " or was revoked; ask an admin to register this office's current key"));
  }
  protocol::PushResponse resp;
  resp.receipts.reserve(b.entries.size());
  // Entries at or below the head were logged before: the same hash gets its earlier
  // receipt; a different one is equivocation.
  std::size_t first_new = 0;
  while (first_new < b.entries.size() && b.entries[first_new].seq <= head.seq) {
    const chain::Entry& e = b.entries[first_new];
    auto& q = *st.entry_get;
    q.reset();
    LONTAR_ASSIGN(bool row, q.bind(1, who).bind(2, e.seq).step());
    if (!row) {
      return Error{Code::corrupt, path + ": " + who + " seq " + std::to_string(e.seq) +
                                      " is below its head but not in the log; the store is damaged"};
    }
    std::uint64_t leaf_index = q.uint64(0);
    Hash logged = q.hash(1);
    q.reset();
    if (logged != p.entry_hashes[first_new]) {
      LONTAR_TRY(record_equivocation(p, e.seq, logged, p.entry_hashes[first_new]));
      ++counts.equivocations;
      return refuse(refusal(Code::conflict, who,
                            "EQUIVOCATION: seq " + std::to_string(e.seq) +
                                " differs from the entry already logged under that seq; the batch is kept as "
                                "evidence and the incident must be investigated"));
    }
    auto& lq = *st.leaf_get;
    lq.reset();
    LONTAR_ASSIGN(bool lrow, lq.bind(1, leaf_index).step());
    if (!lrow) return Error{Code::corrupt, path + ": leaf " + std::to_string(leaf_index) + " is missing"};
    auto leaf = encoding::decode<chain::Leaf>(lq.blob_view(0), "stored leaf");
    lq.reset();
    if (!leaf.ok()) return std::move(leaf).error().prefix(path);
    resp.receipts.push_back({e.seq, leaf_index, leaf->verdict});
    ++first_new;
  }
  std::size_t replayed = first_new;
  if (first_new < b.entries.size()) {
    const chain::Entry& e = b.entries[first_new];
    if (e.seq != head.seq + 1) {
      return refuse(refusal(Code::bad_input, who,
                            "the server's head for " + who + " is seq " + std::to_string(head.seq) +
                                " but the batch continues at seq " + std::to_string(e.seq) +
                                "; push the entries from seq " + std::to_string(head.seq + 1) + " on"));
    }
    if (first_new == 0 && e.prev != head.hash) {
      LONTAR_TRY(record_equivocation(p, head.seq, head.hash, e.prev));
      ++counts.equivocations;
      return refuse(refusal(Code::conflict, who,
                            "EQUIVOCATION: seq " + std::to_string(e.seq) + " links to a seq " +
                                std::to_string(head.seq) + " other than the one logged; this office's chain forked"));
    }
  }
  if (first_new == b.entries.size()) {
    // Nothing new: the earlier seal that covers the batch's last entry.
    auto& q = *st.seal_find;
    q.reset();
    LONTAR_ASSIGN(bool row, q.bind(1, who).bind(2, b.entries.back().seq).step());
    if (!row)
      return Error{Code::corrupt, path + ": no seal covers " + who + " seq " + std::to_string(b.entries.back().seq)};
    resp.seal_leaf_index = q.uint64(0);
    q.reset();
  } else {
    resp.seal_leaf_index = edge.size();
    LONTAR_ASSIGN(Bytes seal_leaf, encoding::encode(chain::seal_leaf(b.seal)));
    LONTAR_TRY(append_leaf(seal_leaf));
    auto& sq = *st.seal_put;
    sq.reset();
    LONTAR_TRY(sq.bind(1, who).bind(2, b.seal.last_seq).bind(3, resp.seal_leaf_index).run());
    for (std::size_t i = first_new; i < b.entries.size(); ++i) {
      const chain::Entry& e = b.entries[i];
      LONTAR_ASSIGN(domain::Verdict verdict, rules::judge_and_apply(p.prepared[i], *state));
      LONTAR_ASSIGN(Bytes leaf, entry_leaf_bytes(p.entry_bytes[i], verdict));
      std::uint64_t leaf_index = edge.size();
      LONTAR_TRY(append_leaf(leaf));
      auto& eq = *st.entry_put;
      eq.reset();
      LONTAR_TRY(eq.bind(1, who).bind(2, e.seq).bind(3, leaf_index).bind(4, p.entry_hashes[i]).run());
      LONTAR_TRY(track_keys(e, verdict));
      if (verdict.outcome == domain::Outcome::rejected) ++counts.rejected;
      if (verdict.outcome == domain::Outcome::flagged) ++counts.flagged;
      resp.receipts.push_back({e.seq, leaf_index, std::move(verdict)});
    }
    head = Head{b.entries.back().seq, p.entry_hashes.back()};
    auto& hq = *st.head_put;
    hq.reset();
    LONTAR_TRY(hq.bind(1, who).bind(2, head.seq).bind(3, head.hash).run());
    heads[who] = head;
  }
  counts.replayed += replayed;
  counts.integrated += b.entries.size() - replayed;
  outcome = std::move(resp);
  return {};
}

void LogStore::Impl::integrate(std::vector<std::unique_ptr<Pending>>& group) {
  std::vector<std::optional<Result<protocol::PushResponse>>> outcomes(group.size());
  Counts counts;
  std::string note;
  std::uint64_t start_size = edge.size();
  auto attempt = [&]() -> Status {
    LONTAR_ASSIGN(store::Transaction tx, store::Transaction::begin(*writer));
    for (std::size_t i = 0; i < group.size(); ++i) {
      LONTAR_TRY(integrate_one(*group[i], counts, outcomes[i]));
    }
    if (edge.size() != start_size) {
      for (const merkle::TileWrite& t : edge.take_writes()) {
        auto& q = *st.tile_put;
        q.reset();
        LONTAR_TRY(
            q.bind(1, static_cast<std::int64_t>(t.id.level)).bind(2, t.id.index).bind(3, ByteView(t.hashes)).run());
      }
      LONTAR_ASSIGN(note, sign_checkpoint());
      auto& q = *st.checkpoint_put;
      q.reset();
      LONTAR_TRY(q.bind(1, edge.size()).bind(2, note).bind(3, now_ms()).run());
    }
    return tx.commit();
  };
  Status s = attempt();
  if (!s.ok()) {
    // Nothing of the group is in the store: restore the in-memory view from it.
    Error e = std::move(s).error();
    e.prefix("integration of " + std::to_string(group.size()) + " pushes failed and was rolled back");
    spdlog::error("{}", e.message);
    heads.clear();
    if (auto restored = merkle::TileWriter::resume(start_size, writer_tiles()); restored.ok()) {
      edge = std::move(restored).value();
    } else {
      spdlog::critical("cannot restore the tree edge after a failed integration: {}", restored.error().message);
    }
    batches_refused_total += group.size();
    pushes_total += group.size();
    in_flight -= group.size();
    for (auto& p : group) p->done.set_value(e);
    return;
  }
  {
    std::lock_guard lock(pq_mu);
    publish_queue.push_back(Integrated{std::move(group), std::move(outcomes), counts, std::move(note), edge.size()});
  }
  pq_not_empty.notify_one();
  if (wal_pages >= wal_pages_max) {
    // The checkpointer is behind (long readers, a slow disk): catch up here, after the commit.
    if (auto c = writer->exec("PRAGMA wal_checkpoint(PASSIVE)"); !c.ok()) {
      spdlog::warn("WAL checkpoint of {} failed (retried later): {}", path, c.error().message);
    }
  }
}

// ---------------------------------------------------------------- publishing

void LogStore::Impl::run_publisher() {
  while (true) {
    std::vector<Integrated> done;
    {
      std::unique_lock lock(pq_mu);
      pq_not_empty.wait(lock, [&] { return publisher_stopping || !publish_queue.empty(); });
      if (publish_queue.empty()) return;  // stopping, and every integrated group was answered
      while (!publish_queue.empty()) {
        done.push_back(std::move(publish_queue.front()));
        publish_queue.pop_front();
      }
    }
    publish(done);
  }
}

// Records the newest checkpoint (before_publish), serves it, then answers every push
// of `done` (committed groups, oldest first) with it.
void LogStore::Impl::publish(std::vector<Integrated>& done) {
  for (Integrated& d : done) {
    if (!d.note.empty()) {
      unpublished = std::move(d.note);
      unpublished_size = d.size;
      ++integrations_total;
    }
  }
  Status publish_status;
  if (!unpublished.empty() && options.before_publish) {
    if (Status recorded = options.before_publish(unpublished_size, unpublished); !recorded.ok()) {
      Error e = std::move(recorded).error();
      e.prefix("the checkpoint for " + std::to_string(unpublished_size) +
               " leaves is committed but not served: recording it failed");
      spdlog::error("{}", e.message);
      publish_status = std::move(e);
    }
  }
  std::string published;
  {
    std::lock_guard lock(pub_mu);
    if (!unpublished.empty() && publish_status.ok()) {
      checkpoint = std::move(unpublished);
      unpublished.clear();
      published_size = unpublished_size;
    }
    published = checkpoint;
  }
  for (Integrated& d : done) {
    pushes_total += d.group.size();
    entries_integrated_total += d.counts.integrated;
    entries_replayed_total += d.counts.replayed;
    equivocations_total += d.counts.equivocations;
    batches_refused_total += d.counts.refused;
    verdicts_rejected_total += d.counts.rejected;
    verdicts_flagged_total += d.counts.flagged;
    in_flight -= d.group.size();
    for (std::size_t i = 0; i < d.group.size(); ++i) {
      Result<protocol::PushResponse>& r = *d.outcomes[i];
      if (r.ok() && !publish_status.ok()) {
        r = Error{Code::io, publish_status.error().message + "; the entries are logged: push again for their receipts"};
      }
      if (r.ok()) r->checkpoint = published;
      d.group[i]->done.set_value(std::move(r));
    }
  }
}

void LogStore::Impl::stop_publisher() {
  {
    std::lock_guard lock(pq_mu);
    publisher_stopping = true;
  }
  pq_not_empty.notify_all();
  if (publisher.joinable()) publisher.join();
}

// ---------------------------------------------------------------- restore from a mirror

Result<std::string> LogStore::append_mirrored(std::span<const TreeHead> targets,
                                              const std::function<Result<Bytes>(std::uint64_t index)>& leaf_at) {
  Impl& m = *impl_;
  // Holding the queue's lock keeps pushes out; in_flight == 0 means the integrator is idle.
  std::lock_guard lock(m.q_mu);
  if (m.stopping || !m.queue.empty() || m.in_flight != 0) {
    return Error{Code::conflict, m.path + ": pushes are in flight; restore only into a store no server is using"};
  }
  const std::uint64_t start_size = m.edge.size();
  if (targets.empty() || targets.front().size < start_size) {
    return Error{Code::bad_input, m.path + ": the store holds " + std::to_string(start_size) +
                                      " leaves; a mirror restore needs a target size at or above it"};
  }
  const std::uint64_t end_size = targets.back().size;
  std::string note;
  auto attempt = [&]() -> Status {
    LONTAR_ASSIGN(store::Transaction tx, store::Transaction::begin(*m.writer));
    std::size_t next_target = 0;
    auto check_targets = [&]() -> Status {
      while (next_target < targets.size() && targets[next_target].size == m.edge.size()) {
        if (m.edge.root() != targets[next_target].root) {
          return Error{Code::corrupt, "the log rebuilt from the mirror has a different root at " +
                                          std::to_string(m.edge.size()) +
                                          " leaves than the checkpoint published for that size; the mirror or "
                                          "the restored store is not this log's history"};
        }
        ++next_target;
      }
      return {};
    };
    LONTAR_TRY(check_targets());
    for (std::uint64_t i = start_size; i < end_size; ++i) {
      LONTAR_ASSIGN(Bytes bytes, leaf_at(i));
      const std::string where = "mirror leaf " + std::to_string(i);
      LONTAR_ASSIGN(chain::Leaf leaf, encoding::decode<chain::Leaf>(bytes, where));
      if (leaf.type == chain::LeafType::seal) {
        auto& q = *m.st.seal_put;
        q.reset();
        LONTAR_TRY(q.bind(1, leaf.seal.principal).bind(2, leaf.seal.last_seq).bind(3, i).run());
      } else {
        const chain::Entry& e = leaf.entry;
        LONTAR_ASSIGN(domain::Verdict verdict, rules::judge_and_apply(e, *m.state));
        if (verdict != leaf.verdict) {
          return Error{Code::corrupt, where + " (" + e.principal + " seq " + std::to_string(e.seq) +
                                          "): the rules engine reaches a different verdict than the one logged; "
                                          "the mirror does not continue this store"};
        }
        const Hash h = chain::entry_hash(e);
        auto& eq = *m.st.entry_put;
        eq.reset();
        LONTAR_TRY(eq.bind(1, e.principal).bind(2, e.seq).bind(3, i).bind(4, h).run());
        auto& hq = *m.st.head_put;
        hq.reset();
        LONTAR_TRY(hq.bind(1, e.principal).bind(2, e.seq).bind(3, h).run());
        LONTAR_TRY(m.track_keys(e, verdict));
      }
      LONTAR_TRY(m.append_leaf(bytes));
      LONTAR_TRY(check_targets());
    }
    if (next_target != targets.size()) {
      return Error{Code::bad_input,
                   "mirror restore: target sizes must be ascending and at or above " + std::to_string(start_size)};
    }
    if (end_size != start_size) {
      for (const merkle::TileWrite& t : m.edge.take_writes()) {
        auto& q = *m.st.tile_put;
        q.reset();
        LONTAR_TRY(
            q.bind(1, static_cast<std::int64_t>(t.id.level)).bind(2, t.id.index).bind(3, ByteView(t.hashes)).run());
      }
      LONTAR_ASSIGN(note, m.sign_checkpoint());
      auto& q = *m.st.checkpoint_put;
      q.reset();
      LONTAR_TRY(q.bind(1, m.edge.size()).bind(2, note).bind(3, now_ms()).run());
    }
    return tx.commit();
  };
  Status s = attempt();
  m.heads.clear();
  if (!s.ok()) {
    if (auto restored = merkle::TileWriter::resume(start_size, m.writer_tiles()); restored.ok()) {
      m.edge = std::move(restored).value();
    } else {
      spdlog::critical("cannot restore the tree edge after a failed mirror restore: {}", restored.error().message);
    }
    return std::move(s).error();
  }
  std::lock_guard pub(m.pub_mu);
  if (!note.empty()) {
    m.checkpoint = note;
    m.published_size = m.edge.size();
  }
  return m.checkpoint;
}

// ---------------------------------------------------------------- reads

Result<std::optional<Caller>> LogStore::authenticate(const crypto::PublicKey& key) {
  std::lock_guard lock(impl_->read_mu);
  LONTAR_ASSIGN(store::Stmt q,
                impl_->reader->prepare("SELECT principal, role FROM log_keys WHERE key = ? AND active = 1"));
  LONTAR_ASSIGN(bool row, q.bind(1, ByteView(key)).step());
  if (!row) return std::optional<Caller>{};
  Caller c;
  c.principal = q.text(0);
  c.role = static_cast<domain::Role>(q.int64(1));
  c.key = key;
  return std::optional<Caller>(std::move(c));
}

Result<std::pair<std::uint64_t, Hash>> LogStore::head(std::string_view principal) {
  std::lock_guard lock(impl_->read_mu);
  LONTAR_ASSIGN(store::Stmt q, impl_->reader->prepare("SELECT seq, hash FROM log_heads WHERE principal = ?"));
  LONTAR_ASSIGN(bool row, q.bind(1, principal).step());
  if (!row) return std::pair<std::uint64_t, Hash>{0, Hash{}};
  return std::pair<std::uint64_t, Hash>{q.uint64(0), q.hash(1)};
}

Result<protocol::FeedPage> LogStore::feed(const Caller& caller, std::uint64_t from, std::size_t limit) {
  protocol::FeedPage page;
  {
    std::lock_guard lock(impl_->pub_mu);
    page.tree_size = impl_->published_size;
  }
  limit = std::min(limit, protocol::feed_items_max);
  if (from >= page.tree_size || limit == 0) return page;
  bool sees_all = caller.role == domain::Role::auditor || caller.role == domain::Role::admin;
  std::lock_guard lock(impl_->read_mu);
  LONTAR_ASSIGN(store::Stmt q, impl_->reader->prepare("SELECT idx, leaf FROM log_leaves WHERE idx >= ? AND idx < ? "
                                                      "ORDER BY idx LIMIT ?"));
  q.bind(1, from).bind(2, page.tree_size).bind(3, static_cast<std::int64_t>(limit));
  while (true) {
    LONTAR_ASSIGN(bool row, q.step());
    if (!row) break;
    protocol::FeedItem item;
    item.leaf_index = q.uint64(0);
    ByteView bytes = q.blob_view(1);
    LONTAR_ASSIGN(chain::Leaf leaf,
                  encoding::decode<chain::Leaf>(bytes, "stored leaf " + std::to_string(item.leaf_index)));
    bool full = sees_all || leaf.type == chain::LeafType::seal || leaf.entry.principal == caller.principal ||
                domain::is_admin_kind(leaf.entry.kind);
    if (full) {
      item.form = protocol::FeedForm::full;
      item.leaf.assign(bytes.begin(), bytes.end());
    } else {
      item.form = protocol::FeedForm::redacted;
      LONTAR_ASSIGN(item.redacted, rules::redact(leaf.entry, leaf.verdict, impl_->nik_key));
    }
    page.items.push_back(std::move(item));
  }
  return page;
}

Result<protocol::Proof> LogStore::inclusion_proof(std::uint64_t index, std::uint64_t size) {
  std::uint64_t have;
  {
    std::lock_guard lock(impl_->pub_mu);
    have = impl_->published_size;
  }
  if (size > have) {
    return Error{Code::not_found, "inclusion proof: tree size " + std::to_string(size) +
                                      " is beyond the latest checkpoint (" + std::to_string(have) + ")"};
  }
  std::lock_guard lock(impl_->read_mu);
  LONTAR_ASSIGN(std::vector<Hash> hashes, merkle::inclusion_proof(impl_->reader_tiles(size), index, size));
  return protocol::Proof{index, size, std::move(hashes)};
}

Result<protocol::Proof> LogStore::consistency_proof(std::uint64_t old_size, std::uint64_t new_size) {
  std::uint64_t have;
  {
    std::lock_guard lock(impl_->pub_mu);
    have = impl_->published_size;
  }
  if (new_size > have) {
    return Error{Code::not_found, "consistency proof: tree size " + std::to_string(new_size) +
                                      " is beyond the latest checkpoint (" + std::to_string(have) + ")"};
  }
  std::lock_guard lock(impl_->read_mu);
  if (old_size == 0) {
    return Error{Code::bad_input, "consistency proof: old size must be at least 1 (every tree extends the empty one)"};
  }
  LONTAR_ASSIGN(std::vector<Hash> hashes, merkle::consistency_proof(impl_->reader_tiles(new_size), old_size, new_size));
  return protocol::Proof{old_size, new_size, std::move(hashes)};
}

std::string LogStore::checkpoint() {
  std::lock_guard lock(impl_->pub_mu);
  return impl_->checkpoint;
}

Result<Bytes> LogStore::tile(std::string_view path) {
  LONTAR_ASSIGN(merkle::TileId t, merkle::parse_tile_path(path));
  std::uint64_t size;
  {
    std::lock_guard lock(impl_->pub_mu);
    size = impl_->published_size;
  }
  std::uint32_t have = merkle::tile_width(t.entries ? 0 : t.level, t.index, size);
  if (have < t.width) {
    return Error{Code::not_found,
                 std::string(path) + ": the tree of " + std::to_string(size) + " leaves has no such tile (yet)"};
  }
  std::lock_guard lock(impl_->read_mu);
  if (!t.entries) return impl_->read_tile_for_reader(t);
  std::uint64_t first = t.index * merkle::tile_width_full;
  LONTAR_ASSIGN(store::Stmt q,
                impl_->reader->prepare("SELECT leaf FROM log_leaves WHERE idx >= ? AND idx < ? ORDER BY idx"));
  q.bind(1, first).bind(2, first + t.width);
  std::vector<Bytes> leaves;
  leaves.reserve(t.width);
  while (true) {
    LONTAR_ASSIGN(bool row, q.step());
    if (!row) break;
    leaves.push_back(q.blob(0));
  }
  if (leaves.size() != t.width) {
    return Error{Code::corrupt, std::string(path) + ": " + std::to_string(leaves.size()) + " leaves stored, " +
                                    std::to_string(t.width) + " expected; restore the store from a backup"};
  }
  return merkle::encode_bundle(leaves);
}

Metrics LogStore::metrics() {
  Impl& m = *impl_;
  Metrics out;
  {
    std::lock_guard lock(m.pub_mu);
    out.tree_size = m.published_size;
  }
  out.pushes_total = m.pushes_total;
  out.entries_integrated_total = m.entries_integrated_total;
  out.entries_replayed_total = m.entries_replayed_total;
  out.equivocations_total = m.equivocations_total;
  out.batches_refused_total = m.batches_refused_total;
  out.integrations_total = m.integrations_total;
  out.verdicts_rejected_total = m.verdicts_rejected_total;
  out.verdicts_flagged_total = m.verdicts_flagged_total;
  return out;
}

std::size_t LogStore::pushes_in_flight() { return impl_->in_flight; }

Result<std::vector<Equivocation>> LogStore::equivocations(std::size_t limit) {
  std::lock_guard lock(impl_->read_mu);
  LONTAR_ASSIGN(store::Stmt q, impl_->reader->prepare(
                                   "SELECT principal, seq, logged_hash, offered_hash, offered_batch, detected_at_ms "
                                   "FROM log_equivocations ORDER BY id LIMIT ?"));
  q.bind(1, static_cast<std::int64_t>(limit));
  std::vector<Equivocation> out;
  while (true) {
    LONTAR_ASSIGN(bool row, q.step());
    if (!row) break;
    out.push_back({q.text(0), q.uint64(1), q.hash(2), q.hash(3), q.blob(4), q.int64(5)});
  }
  return out;
}

}  // namespace lontar::server
