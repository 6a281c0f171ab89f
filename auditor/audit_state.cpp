#include "audit_state.hpp"

#include "base/private_file.hpp"
#include "crypto/crypto.hpp"

namespace lontar::audit {
namespace {

constexpr std::string_view schema = R"sql(
CREATE TABLE IF NOT EXISTS audit_meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS audit_checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL);
)sql";

constexpr std::string_view nik_key_name = "nik_key";
// SQLite's page cache for the state: a fixed bound, so memory stays flat; large
// enough that one audit's transaction rarely spills pages before it commits.
constexpr int cache_kib = 64 << 10;
// The replay's overlay holds up to this many changed rows in memory before writing
// them (about 170 bytes a row measured, so about 180 MiB at most; docs/PERFORMANCE.md):
// a first audit of up to about 400,000 leaves replays entirely in memory and writes
// the rules state once, in bulk; a larger one flushes every 1 M rows and goes on
// reading the tables for what the overlay does not hold.
constexpr std::size_t rules_rows_max = std::size_t{1} << 20;

Result<AcceptedCheckpoint> row_checkpoint(store::Stmt& s) {
  return AcceptedCheckpoint{s.uint64(0), s.hash(1), s.text(2)};
}

}  // namespace

Result<std::unique_ptr<AuditState>> AuditState::open(const std::filesystem::path& dir) {
  // The state folder holds a copy of what the ledger says: owner-only.
  LONTAR_TRY(ensure_private_dir(dir));
  std::unique_ptr<AuditState> st(new AuditState());
  LONTAR_ASSIGN(st->db_, store::Db::open((dir / "audit.sqlite").string()));
  LONTAR_TRY(st->db_->exec(schema));
  LONTAR_TRY(st->db_->exec("PRAGMA cache_size = -" + std::to_string(cache_kib)));
  LONTAR_ASSIGN(auto key, st->get(nik_key_name));
  if (!key) {
    LONTAR_ASSIGN(Bytes fresh, crypto::random_bytes(32));
    LONTAR_TRY(st->put(nik_key_name, fresh));
    key = std::move(fresh);
  }
  if (key->size() != 32) return Error{Code::corrupt, st->db_->path() + ": stored person key is not 32 bytes"};
  rules::NikKey nik{};
  std::copy(key->begin(), key->end(), nik.begin());
  LONTAR_ASSIGN(st->rules_, rules::make_sqlite_state(*st->db_, nik));
  // A state that has replayed nothing yet (a first or from-start audit): the overlay
  // need not ask the tables about what it does not hold (overlay_state.hpp, Base::empty).
  LONTAR_ASSIGN(
      auto replayed,
      st->db_->query_int("SELECT EXISTS(SELECT 1 FROM rules_participants) OR EXISTS(SELECT 1 FROM rules_claims) "
                         "OR EXISTS(SELECT 1 FROM rules_receipts) OR EXISTS(SELECT 1 FROM rules_coverage) "
                         "OR EXISTS(SELECT 1 FROM rules_applied)"));
  const auto known = replayed.value_or(1) == 0 ? rules::OverlayState::Base::empty : rules::OverlayState::Base::any;
  st->overlay_ = std::make_unique<rules::OverlayState>(*st->rules_, rules_rows_max, known);
  return st;
}

Result<std::unique_ptr<AuditState>> AuditState::open_existing(const std::filesystem::path& dir) {
  if (!std::filesystem::exists(dir / "audit.sqlite")) {
    return Error{Code::not_found,
                 dir.string() + ": no audit state here; run `lontar-audit verify --state " + dir.string() + "` first"};
  }
  return open(dir);
}

Result<std::optional<Bytes>> AuditState::get(std::string_view name) {
  LONTAR_ASSIGN(auto s, db_->prepare("SELECT value FROM audit_meta WHERE name = ?"));
  s.bind(1, name);
  LONTAR_ASSIGN(bool row, s.step());
  if (!row) return std::optional<Bytes>{};
  return std::optional<Bytes>{s.blob(0)};
}

Status AuditState::put(std::string_view name, ByteView value) {
  LONTAR_ASSIGN(auto s, db_->prepare("INSERT OR REPLACE INTO audit_meta (name, value) VALUES (?, ?)"));
  s.bind(1, name).bind(2, value);
  return s.run();
}

Result<std::uint64_t> AuditState::get_u64(std::string_view name) {
  LONTAR_ASSIGN(auto v, get(name));
  if (!v) return std::uint64_t{0};
  if (v->size() != 8) return Error{Code::corrupt, db_->path() + ": value '" + std::string(name) + "' is not 8 bytes"};
  std::uint64_t x = 0;
  for (int i = 7; i >= 0; --i) x = (x << 8) | (*v)[static_cast<std::size_t>(i)];
  return x;
}

Status AuditState::put_u64(std::string_view name, std::uint64_t value) {
  Bytes b(8);
  for (std::size_t i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(value >> (8 * i));
  return put(name, b);
}

Result<std::optional<AcceptedCheckpoint>> AuditState::checkpoint_at(std::uint64_t size) {
  LONTAR_ASSIGN(auto s, db_->prepare("SELECT size, root, note FROM audit_checkpoints WHERE size = ?"));
  s.bind(1, size);
  LONTAR_ASSIGN(bool row, s.step());
  if (!row) return std::optional<AcceptedCheckpoint>{};
  LONTAR_ASSIGN(auto cp, row_checkpoint(s));
  return std::optional<AcceptedCheckpoint>{std::move(cp)};
}

Result<std::optional<AcceptedCheckpoint>> AuditState::latest_checkpoint() {
  LONTAR_ASSIGN(auto s, db_->prepare("SELECT size, root, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1"));
  LONTAR_ASSIGN(bool row, s.step());
  if (!row) return std::optional<AcceptedCheckpoint>{};
  LONTAR_ASSIGN(auto cp, row_checkpoint(s));
  return std::optional<AcceptedCheckpoint>{std::move(cp)};
}

Result<std::uint64_t> AuditState::checkpoints_accepted() {
  LONTAR_ASSIGN(auto n, db_->query_int("SELECT COUNT(*) FROM audit_checkpoints"));
  return static_cast<std::uint64_t>(n.value_or(0));
}

Status AuditState::accept(const AcceptedCheckpoint& cp) {
  LONTAR_ASSIGN(auto s, db_->prepare("INSERT OR IGNORE INTO audit_checkpoints (size, root, note) VALUES (?, ?, ?)"));
  s.bind(1, cp.size).bind(2, cp.root).bind(3, cp.note);
  return s.run();
}

Result<store::Stmt*> AuditState::cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    LONTAR_ASSIGN(store::Stmt s, db_->prepare(sql));
    it = cache_.emplace(sql, std::move(s)).first;
  } else {
    it->second.reset();
  }
  return &it->second;
}

}  // namespace lontar::audit
