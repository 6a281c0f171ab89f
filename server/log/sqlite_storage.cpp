#include "log/sqlite_storage.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "rules/person_filter.hpp"
#include "store/db.hpp"

namespace lontar::server {
namespace {

constexpr int schema_version = 1;
// WAL checkpoints run on a thread of their own once the WAL holds this many pages
// (SQLite's own default threshold) ...
constexpr int wal_checkpoint_pages = 1000;
// ... and by the writer itself, after its commit, when the WAL has grown this far all the
// same (the checkpointer is behind): the WAL stays bounded.
constexpr int wal_pages_max = 16 * wal_checkpoint_pages;

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

// ---- typed statements: bind, step, read, reset in one place

// `q` reset, with `args` bound to its parameters 1, 2, ...
template <class... Args>
store::Stmt& bound(store::Stmt& q, const Args&... args) {
  q.reset();
  int i = 0;
  (q.bind(++i, args), ...);
  return q;
}

// Runs a statement that returns no rows.
template <class... Args>
Status run(store::Stmt& q, const Args&... args) {
  return bound(q, args...).run();
}

// Runs a query of at most one row: `read` makes a value of it. The statement is reset
// afterwards, so that no read transaction stays open.
template <class Read, class... Args>
auto one_row(store::Stmt& q, Read read, const Args&... args) -> Result<std::optional<decltype(read(q))>> {
  std::optional<decltype(read(q))> out;
  auto row = bound(q, args...).step();
  if (row.ok() && *row) out = read(q);
  q.reset();
  if (!row.ok()) return std::move(row).error();
  return out;
}

// Resets a statement when the scope ends, whatever path leaves it.
struct ResetOnExit {
  store::Stmt& q;
  ~ResetOnExit() { q.reset(); }
};

Head head_row(const store::Stmt& q) { return Head{q.uint64(0), q.hash(1)}; }

// The bytes of hash tile `id` from its `stored` version: the store keeps the newest
// (widest) version of each tile, of which a tree of any published size needs a prefix.
Result<Bytes> tile_prefix(std::optional<Bytes> stored, const merkle::TileId& id, const std::string& store_name) {
  const std::size_t bytes = std::size_t{id.width} * sizeof(Hash);
  const std::size_t have = stored ? stored->size() : 0;
  if (have < bytes) {
    return Error{Code::corrupt, store_name + ": " + merkle::tile_path(id) + ": the stored tile holds " +
                                    std::to_string(have / sizeof(Hash)) +
                                    " hashes, fewer than the tree needs; the store is damaged — restore it from a "
                                    "backup"};
  }
  stored->resize(bytes);
  return std::move(*stored);
}

constexpr std::string_view tile_get_sql = "SELECT hashes FROM log_tiles WHERE level = ? AND idx = ?";
constexpr std::string_view head_get_sql = "SELECT seq, hash FROM log_heads WHERE principal = ?";
// A key's principal, role and scope (the scope from the rules state's principals).
constexpr std::string_view key_owner_sql =
    "SELECT k.principal, k.role, coalesce(p.scope, '') FROM log_keys k LEFT JOIN rules_principals p "
    "ON p.id = k.principal WHERE k.key = ? AND k.active = 1";
// The leaf of the entry that filed claim ? (rules_claims -> log_entries -> log_leaves).
constexpr std::string_view claim_leaf_sql =
    "SELECT l.leaf FROM rules_claims c JOIN log_entries e ON e.principal = c.principal AND e.seq = c.seq "
    "JOIN log_leaves l ON l.idx = e.leaf_index WHERE c.claim_no = ?";

Status put_setting(store::Db& db, std::string_view name, ByteView value) {
  LONTAR_ASSIGN(store::Stmt st, db.prepare("INSERT INTO log_settings(name, value) VALUES(?, ?)"));
  return run(st, name, value);
}

Result<Bytes> get_setting(store::Db& db, std::string_view name) {
  LONTAR_ASSIGN(store::Stmt st, db.prepare("SELECT value FROM log_settings WHERE name = ?"));
  LONTAR_ASSIGN(auto value, one_row(
                                st, [](const store::Stmt& q) { return q.blob(0); }, name));
  if (!value) {
    return Error{Code::corrupt, db.path() + ": setting '" + std::string(name) +
                                    "' is missing; this is not a lontar-server ledger (create one with init)"};
  }
  return std::move(*value);
}

// ---------------------------------------------------------------- WAL checkpoints

// PASSIVE checkpoints on a thread and connection of their own. A checkpoint that fails
// (disk full) is logged and retried at the next threshold; the WAL keeps every committed
// transaction meanwhile.
class Checkpointer {
 public:
  Checkpointer(std::unique_ptr<store::Db> db, store::Db& writer)
      : db_(std::move(db)), path_(db_->path()), writer_(writer.native()) {
    // Taking the hook turns SQLite's automatic checkpoint (which would run in the commit) off.
    sqlite3_wal_hook(writer_, on_commit, this);
    thread_ = std::thread([this] { run(); });
    pthread_setname_np(thread_.native_handle(), "log-checkpoint");
  }
  ~Checkpointer() {
    sqlite3_wal_hook(writer_, nullptr, nullptr);
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wanted_.notify_all();
    thread_.join();
  }
  // After the writer's commit: catches up here when the thread is behind.
  void after_commit(store::Db& writer) {
    if (wal_pages_ < wal_pages_max) return;
    if (auto c = writer.exec("PRAGMA wal_checkpoint(PASSIVE)"); !c.ok()) {
      spdlog::warn("WAL checkpoint of {} failed (retried later): {}", path_, c.error().message);
    }
  }

 private:
  // sqlite3_wal_hook: on the writer's thread after each commit.
  static int on_commit(void* self, sqlite3*, const char*, int pages) {
    auto* c = static_cast<Checkpointer*>(self);
    c->wal_pages_ = pages;
    if (pages >= wal_checkpoint_pages) {
      {
        std::lock_guard lock(c->mu_);
        c->pending_ = true;
      }
      c->wanted_.notify_one();
    }
    return SQLITE_OK;
  }
  void run() {
    std::unique_lock lock(mu_);
    while (true) {
      wanted_.wait(lock, [&] { return pending_ || stopping_; });
      if (stopping_) return;
      pending_ = false;
      lock.unlock();
      if (auto s = db_->exec("PRAGMA wal_checkpoint(PASSIVE)"); !s.ok()) {
        spdlog::warn("WAL checkpoint of {} failed (retried later): {}", path_, s.error().message);
      }
      lock.lock();
    }
  }

  std::unique_ptr<store::Db> db_;
  std::string path_;
  sqlite3* writer_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable wanted_;
  bool pending_ = false, stopping_ = false;
  std::atomic<int> wal_pages_{0};  // frames in the WAL after the writer's last commit
};

// ---------------------------------------------------------------- the writer

class SqliteWriteSide final : public WriteSide {
 public:
  static Result<std::unique_ptr<SqliteWriteSide>> make(std::unique_ptr<store::Db> db, const rules::NikKey& nik_key) {
    auto w = std::unique_ptr<SqliteWriteSide>(new SqliteWriteSide(std::move(db)));
    LONTAR_TRY(w->prepare());
    // The server is its ledger's only writer (the data folder's lock), so the rules state may
    // answer "none" for a person never seen without a B-tree probe (rules/person_filter.hpp;
    // armed per transaction below, which rechecks that no other connection wrote).
    LONTAR_ASSIGN(w->state_, rules::make_sqlite_state(*w->db_, nik_key, w->person_filter_));
    return w;
  }
  store::Db& db() { return *db_; }
  void set_checkpointer(Checkpointer* c) { checkpointer_ = c; }

  Status transaction(const std::function<Status()>& body) override {
    {
      LONTAR_ASSIGN(store::Transaction tx, store::Transaction::begin(*db_));
      LONTAR_TRY(person_filter_.arm(*db_));
      struct Disarm {
        rules::PersonFilter& f;
        ~Disarm() { f.disarm(); }
      } disarm{person_filter_};
      LONTAR_TRY(body());
      LONTAR_TRY(tx.commit());
    }
    if (checkpointer_ != nullptr) checkpointer_->after_commit(*db_);
    return {};
  }

  Result<std::uint64_t> leaf_count() override {
    LONTAR_ASSIGN(auto end, db_->query_int("SELECT coalesce(max(idx) + 1, 0) FROM log_leaves"));
    LONTAR_ASSIGN(auto count, db_->query_int("SELECT count(*) FROM log_leaves"));
    if (count.value_or(0) != end.value_or(0)) {
      return Error{Code::corrupt, db_->path() + ": the log has " + std::to_string(count.value_or(0)) +
                                      " leaves but its last index is " + std::to_string(end.value_or(0)) +
                                      " - 1; the store is damaged — restore it from a backup"};
    }
    return static_cast<std::uint64_t>(end.value_or(0));
  }
  Result<std::optional<StoredCheckpoint>> latest_checkpoint() override {
    LONTAR_ASSIGN(store::Stmt q, db_->prepare("SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1"));
    return one_row(q, [](const store::Stmt& r) { return StoredCheckpoint{r.uint64(0), r.text(1)}; });
  }
  Result<Bytes> tile(const merkle::TileId& id) override {
    LONTAR_ASSIGN(auto stored, one_row(
                                   *tile_get_, [](const store::Stmt& r) { return r.blob(0); },
                                   static_cast<std::int64_t>(id.level), id.index));
    return tile_prefix(std::move(stored), id, db_->path());
  }
  Result<Head> head(std::string_view principal) override {
    LONTAR_ASSIGN(auto h, one_row(*head_get_, head_row, principal));
    return h.value_or(Head{});
  }
  Result<std::optional<LoggedEntry>> entry(std::string_view principal, std::uint64_t seq) override {
    return one_row(
        *entry_get_,
        [](const store::Stmt& r) {
          return LoggedEntry{r.uint64(0), r.hash(1)};
        },
        principal, seq);
  }
  Result<std::optional<Bytes>> leaf(std::uint64_t index) override {
    return one_row(
        *leaf_get_, [](const store::Stmt& r) { return r.blob(0); }, index);
  }
  Result<std::optional<std::uint64_t>> seal_covering(std::string_view principal, std::uint64_t seq) override {
    return one_row(
        *seal_find_, [](const store::Stmt& r) { return r.uint64(0); }, principal, seq);
  }
  Result<std::uint64_t> equivocation_count() override {
    LONTAR_ASSIGN(auto n, db_->query_int("SELECT count(*) FROM log_equivocations"));
    return static_cast<std::uint64_t>(n.value_or(0));
  }

  Status put_leaf(std::uint64_t index, ByteView leaf) override { return run(*leaf_put_, index, leaf); }
  Status put_entry(std::string_view principal, std::uint64_t seq, const LoggedEntry& e) override {
    return run(*entry_put_, principal, seq, e.leaf_index, e.entry_hash);
  }
  Status put_seal(std::string_view principal, std::uint64_t last_seq, std::uint64_t leaf_index) override {
    return run(*seal_put_, principal, last_seq, leaf_index);
  }
  Status put_head(std::string_view principal, const Head& head) override {
    return run(*head_put_, principal, head.seq, head.hash);
  }
  Status put_tile(const merkle::TileWrite& t) override {
    return run(*tile_put_, static_cast<std::int64_t>(t.id.level), t.id.index, ByteView(t.hashes));
  }
  Status put_checkpoint(const StoredCheckpoint& c, std::int64_t signed_at_ms) override {
    return run(*checkpoint_put_, c.size, c.note, signed_at_ms);
  }
  Status put_equivocation(const Equivocation& e) override {
    return run(*equivocation_put_, e.principal, e.seq, e.logged_hash, e.offered_hash, ByteView(e.offered_batch),
               e.detected_at_ms);
  }
  Status put_key(const crypto::PublicKey& key, std::string_view principal, domain::Role role) override {
    return run(*key_put_, ByteView(key), principal, static_cast<int>(role));
  }
  Status revoke_key(const crypto::PublicKey& key, std::string_view principal) override {
    return run(*key_revoke_, ByteView(key), principal);
  }
  rules::State& rules_state() override { return *state_; }

 private:
  explicit SqliteWriteSide(std::unique_ptr<store::Db> db) : db_(std::move(db)) {}
  Status prepare() {
    auto& db = *db_;
    // The integrator revisits the same pages (heads, rules state, the tree's edge):
    // a larger page cache saves re-reading them from the file.
    LONTAR_TRY(db.exec("PRAGMA cache_size = -65536"));
    LONTAR_ASSIGN(head_get_, db.prepare(head_get_sql));
    LONTAR_ASSIGN(head_put_, db.prepare("INSERT OR REPLACE INTO log_heads(principal, seq, hash) VALUES(?, ?, ?)"));
    LONTAR_ASSIGN(entry_get_,
                  db.prepare("SELECT leaf_index, entry_hash FROM log_entries WHERE principal = ? AND seq = ?"));
    LONTAR_ASSIGN(entry_put_,
                  db.prepare("INSERT INTO log_entries(principal, seq, leaf_index, entry_hash) VALUES(?, ?, ?, ?)"));
    LONTAR_ASSIGN(leaf_get_, db.prepare("SELECT leaf FROM log_leaves WHERE idx = ?"));
    LONTAR_ASSIGN(leaf_put_, db.prepare("INSERT INTO log_leaves(idx, leaf) VALUES(?, ?)"));
    LONTAR_ASSIGN(seal_put_,
                  db.prepare("INSERT OR REPLACE INTO log_seals(principal, last_seq, leaf_index) VALUES(?, ?, ?)"));
    LONTAR_ASSIGN(seal_find_, db.prepare("SELECT leaf_index FROM log_seals WHERE principal = ? AND last_seq >= ? "
                                         "ORDER BY last_seq LIMIT 1"));
    LONTAR_ASSIGN(tile_get_, db.prepare(tile_get_sql));
    LONTAR_ASSIGN(tile_put_, db.prepare("INSERT OR REPLACE INTO log_tiles(level, idx, hashes) VALUES(?, ?, ?)"));
    LONTAR_ASSIGN(checkpoint_put_, db.prepare("INSERT INTO log_checkpoints(size, note, signed_at_ms) VALUES(?, ?, ?)"));
    LONTAR_ASSIGN(equivocation_put_,
                  db.prepare("INSERT INTO log_equivocations(principal, seq, logged_hash, offered_hash, offered_batch, "
                             "detected_at_ms) VALUES(?, ?, ?, ?, ?, ?)"));
    LONTAR_ASSIGN(key_put_,
                  db.prepare("INSERT OR REPLACE INTO log_keys(key, principal, role, active) VALUES(?, ?, ?, 1)"));
    LONTAR_ASSIGN(key_revoke_, db.prepare("UPDATE log_keys SET active = 0 WHERE key = ? AND principal = ?"));
    return {};
  }

  std::unique_ptr<store::Db> db_;
  rules::PersonFilter person_filter_;  // before state_, which keeps a reference to it
  std::unique_ptr<rules::State> state_;
  Checkpointer* checkpointer_ = nullptr;
  std::optional<store::Stmt> head_get_, head_put_, entry_get_, entry_put_, leaf_get_, leaf_put_, seal_put_, seal_find_,
      tile_get_, tile_put_, checkpoint_put_, equivocation_put_, key_put_, key_revoke_;
};

// ---------------------------------------------------------------- the readers

class SqliteReadSide final : public ReadSide {
 public:
  static Result<std::unique_ptr<SqliteReadSide>> open(const std::string& path) {
    LONTAR_ASSIGN(auto db, store::Db::open(path, {.create = false}));
    auto r = std::unique_ptr<SqliteReadSide>(new SqliteReadSide(std::move(db)));
    LONTAR_ASSIGN(r->tile_get_, r->db_->prepare(tile_get_sql));
    LONTAR_ASSIGN(r->head_get_, r->db_->prepare(head_get_sql));
    LONTAR_ASSIGN(r->leaves_get_, r->db_->prepare("SELECT idx, leaf FROM log_leaves WHERE idx >= ? AND idx < ? "
                                                  "ORDER BY idx LIMIT ?"));
    LONTAR_ASSIGN(r->key_get_, r->db_->prepare(key_owner_sql));
    LONTAR_ASSIGN(r->claim_leaf_get_, r->db_->prepare(claim_leaf_sql));
    return r;
  }

  Result<Bytes> tile(const merkle::TileId& id) override {
    std::lock_guard lock(mu_);
    LONTAR_ASSIGN(auto stored, one_row(
                                   *tile_get_, [](const store::Stmt& r) { return r.blob(0); },
                                   static_cast<std::int64_t>(id.level), id.index));
    return tile_prefix(std::move(stored), id, db_->path());
  }
  Status leaves(std::uint64_t first, std::uint64_t end, std::size_t limit,
                const std::function<Status(std::uint64_t index, ByteView leaf)>& each) override {
    std::lock_guard lock(mu_);
    ResetOnExit reset{*leaves_get_};
    auto& q = bound(*leaves_get_, first, end, static_cast<std::int64_t>(limit));
    while (true) {
      LONTAR_ASSIGN(bool row, q.step());
      if (!row) return {};
      LONTAR_TRY(each(q.uint64(0), q.blob_view(1)));
    }
  }
  Result<Head> head(std::string_view principal) override {
    std::lock_guard lock(mu_);
    LONTAR_ASSIGN(auto h, one_row(*head_get_, head_row, principal));
    return h.value_or(Head{});
  }
  Result<std::optional<Caller>> key_owner(const crypto::PublicKey& key) override {
    std::lock_guard lock(mu_);
    return one_row(
        *key_get_,
        [&key](const store::Stmt& r) {
          return Caller{r.text(0), static_cast<domain::Role>(r.int64(1)), key, r.text(2)};
        },
        ByteView(key));
  }
  Result<std::optional<Bytes>> claim_leaf(std::string_view claim_no) override {
    std::lock_guard lock(mu_);
    return one_row(
        *claim_leaf_get_, [](const store::Stmt& r) { return r.blob(0); }, claim_no);
  }
  Result<std::vector<Equivocation>> equivocations(std::size_t limit) override {
    std::lock_guard lock(mu_);
    LONTAR_ASSIGN(store::Stmt q, db_->prepare("SELECT principal, seq, logged_hash, offered_hash, offered_batch, "
                                              "detected_at_ms FROM log_equivocations ORDER BY id LIMIT ?"));
    q.bind(1, static_cast<std::int64_t>(limit));
    std::vector<Equivocation> out;
    while (true) {
      LONTAR_ASSIGN(bool row, q.step());
      if (!row) return out;
      out.push_back({q.text(0), q.uint64(1), q.hash(2), q.hash(3), q.blob(4), q.int64(5)});
    }
  }

 private:
  explicit SqliteReadSide(std::unique_ptr<store::Db> db) : db_(std::move(db)) {}
  std::mutex mu_;
  std::unique_ptr<store::Db> db_;
  std::optional<store::Stmt> tile_get_, head_get_, leaves_get_, key_get_, claim_leaf_get_;
};

// ---------------------------------------------------------------- the store

class SqliteStorage final : public LogStorage {
 public:
  // Opens the reader and the checkpointer next to `writer`.
  static Result<std::unique_ptr<LogStorage>> start(std::unique_ptr<SqliteWriteSide> writer, LogSettings settings) {
    auto s = std::unique_ptr<SqliteStorage>(new SqliteStorage(std::move(writer), std::move(settings)));
    const std::string& path = s->writer_->db().path();
    LONTAR_ASSIGN(s->reader_, SqliteReadSide::open(path));
    LONTAR_ASSIGN(auto checkpointer_db, store::Db::open(path, {.create = false}));
    s->checkpointer_ = std::make_unique<Checkpointer>(std::move(checkpointer_db), s->writer_->db());
    s->writer_->set_checkpointer(s->checkpointer_.get());
    return std::unique_ptr<LogStorage>(std::move(s));
  }
  ~SqliteStorage() override {
    writer_->set_checkpointer(nullptr);
    checkpointer_.reset();
  }

  const std::string& name() const override { return writer_->db().path(); }
  const LogSettings& settings() const override { return settings_; }
  WriteSide& write_side() override { return *writer_; }
  ReadSide& read_side() override { return *reader_; }
  Result<CopyHead> backup(const std::filesystem::path& to) override {
    LONTAR_TRY(copy_sqlite_file(name(), to));
    return sqlite_copy_head(to);
  }

 private:
  SqliteStorage(std::unique_ptr<SqliteWriteSide> writer, LogSettings settings)
      : settings_(std::move(settings)), writer_(std::move(writer)) {}
  LogSettings settings_;
  std::unique_ptr<SqliteWriteSide> writer_;
  std::unique_ptr<SqliteReadSide> reader_;
  std::unique_ptr<Checkpointer> checkpointer_;
};

}  // namespace

Result<std::unique_ptr<LogStorage>> create_sqlite_storage(const std::string& path, const LogSettings& settings) {
  if (std::filesystem::exists(path)) {
    return Error{Code::conflict, path + " already exists; a new ledger needs a new file (or open the existing one)"};
  }
  LONTAR_ASSIGN(auto db, store::Db::open(path));
  {
    LONTAR_ASSIGN(store::Transaction tx, store::Transaction::begin(*db));
    LONTAR_TRY(db->exec(schema_sql));
    LONTAR_TRY(put_setting(*db, "schema_version", as_bytes(std::to_string(schema_version))));
    LONTAR_TRY(put_setting(*db, "origin", as_bytes(settings.origin)));
    LONTAR_TRY(put_setting(*db, "log_public_key", settings.log_public_key));
    LONTAR_TRY(put_setting(*db, "nik_key", settings.nik_key));
    LONTAR_TRY(rules::make_sqlite_state(*db, settings.nik_key));  // its tables, in the same transaction
    LONTAR_TRY(tx.commit());
  }
  LONTAR_ASSIGN(auto writer, SqliteWriteSide::make(std::move(db), settings.nik_key));
  return SqliteStorage::start(std::move(writer), settings);
}

Result<std::unique_ptr<LogStorage>> open_sqlite_storage(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    return Error{Code::not_found, path + " does not exist; create the ledger with 'lontar-server init'"};
  }
  LONTAR_ASSIGN(auto db, store::Db::open(path, {.create = false}));
  LONTAR_ASSIGN(Bytes version, get_setting(*db, "schema_version"));
  if (as_chars(version) != std::to_string(schema_version)) {
    return Error{Code::corrupt, path + ": ledger schema version " + std::string(as_chars(version)) +
                                    " is not the supported " + std::to_string(schema_version)};
  }
  LogSettings settings;
  LONTAR_ASSIGN(Bytes origin, get_setting(*db, "origin"));
  settings.origin = std::string(as_chars(origin));
  LONTAR_ASSIGN(Bytes pub, get_setting(*db, "log_public_key"));
  if (pub.size() != settings.log_public_key.size()) {
    return Error{Code::corrupt, path + ": stored log public key has the wrong size"};
  }
  std::copy(pub.begin(), pub.end(), settings.log_public_key.begin());
  LONTAR_ASSIGN(Bytes nik, get_setting(*db, "nik_key"));
  if (nik.size() != settings.nik_key.size()) return Error{Code::corrupt, path + ": stored NIK key has the wrong size"};
  std::copy(nik.begin(), nik.end(), settings.nik_key.begin());
  LONTAR_ASSIGN(auto writer, SqliteWriteSide::make(std::move(db), settings.nik_key));
  // The fault-injection seam (store/db.hpp), for tests of a server process: the n-th write
  // step of the writer after it is open fails as on a full disk.
  if (const char* fail = std::getenv(fail_write_env); fail && *fail) {
    writer->db().set_write_failure_after(std::atoi(fail));
  }
  return SqliteStorage::start(std::move(writer), std::move(settings));
}

}  // namespace lontar::server
