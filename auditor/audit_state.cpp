#include "audit_state.hpp"

#include "base/private_file.hpp"
#include "crypto/crypto.hpp"
#include "rules/batch_writer.hpp"

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

// A rules::State (and BatchWriter) forwarding every call to another under a mutex:
// the replay's overlay reaches the tables through it while the report's thread
// writes its own rows on the same connection (AuditState::db_mutex()).
class LockedState final : public rules::State, public rules::BatchWriter {
 public:
  LockedState(rules::State& base, std::mutex& mu)
      : base_(base), batch_(dynamic_cast<rules::BatchWriter*>(&base)), mu_(mu) {}

  template <class F>
  auto locked(F f) const -> decltype(f()) {
    std::lock_guard lock(mu_);
    return f();
  }

  const rules::NikKey& nik_key() const override { return base_.nik_key(); }
  Result<std::optional<Participant>> participant(const Hash& person) const override {
    return locked([&] { return base_.participant(person); });
  }
  Result<std::optional<Claim>> claim(std::string_view claim_no) const override {
    return locked([&] { return base_.claim(claim_no); });
  }
  Result<bool> has_principals() const override {
    return locked([&] { return base_.has_principals(); });
  }
  Result<std::optional<Principal>> principal(std::string_view id) const override {
    return locked([&] { return base_.principal(id); });
  }
  Result<bool> key_active(std::string_view id, const crypto::PublicKey& key) const override {
    return locked([&] { return base_.key_active(id, key); });
  }
  Result<bool> receipt_used(std::string_view principal, std::string_view receipt_no) const override {
    return locked([&] { return base_.receipt_used(principal, receipt_no); });
  }
  Result<bool> covered(const Hash& person, domain::YearMonth month) const override {
    return locked([&] { return base_.covered(person, month); });
  }
  Result<domain::Rupiah> death_benefits_paid(const Hash& person) const override {
    return locked([&] { return base_.death_benefits_paid(person); });
  }
  Result<std::optional<domain::ScheduleItem>> schedule(domain::Programme programme, domain::Date on) const override {
    return locked([&] { return base_.schedule(programme, on); });
  }
  Result<std::optional<Applied>> applied(std::string_view principal, std::uint64_t seq) const override {
    return locked([&] { return base_.applied(principal, seq); });
  }

  Status put_participant(const Hash& person, const Participant& p) override {
    return locked([&] { return base_.put_participant(person, p); });
  }
  Status end_participant(const Hash& person) override {
    return locked([&] { return base_.end_participant(person); });
  }
  Status put_claim(std::string_view claim_no, const Claim& c) override {
    return locked([&] { return base_.put_claim(claim_no, c); });
  }
  Status end_claim(std::string_view claim_no) override {
    return locked([&] { return base_.end_claim(claim_no); });
  }
  Status add_paid(std::string_view claim_no, domain::Rupiah amount) override {
    return locked([&] { return base_.add_paid(claim_no, amount); });
  }
  Status put_principal(std::string_view id, const Principal& p, const crypto::PublicKey& key) override {
    return locked([&] { return base_.put_principal(id, p, key); });
  }
  Status revoke_key(std::string_view id, const crypto::PublicKey& key) override {
    return locked([&] { return base_.revoke_key(id, key); });
  }
  Status put_receipt(std::string_view principal, std::string_view receipt_no) override {
    return locked([&] { return base_.put_receipt(principal, receipt_no); });
  }
  Status remove_receipt(std::string_view principal, std::string_view receipt_no) override {
    return locked([&] { return base_.remove_receipt(principal, receipt_no); });
  }
  Status add_coverage(const Hash& person, domain::YearMonth first, std::uint16_t months, int sign) override {
    return locked([&] { return base_.add_coverage(person, first, months, sign); });
  }
  Status put_schedule(const domain::ScheduleSet& s) override {
    return locked([&] { return base_.put_schedule(s); });
  }
  Status put_applied(std::string_view principal, std::uint64_t seq, domain::EntryKind kind, ByteView undo) override {
    return locked([&] { return base_.put_applied(principal, seq, kind, undo); });
  }
  Status mark_voided(std::string_view principal, std::uint64_t seq) override {
    return locked([&] { return base_.mark_voided(principal, seq); });
  }

  Status put_participants(std::span<const ParticipantRow> rows) override {
    return locked([&] { return batch_->put_participants(rows); });
  }
  Status put_claims(std::span<const ClaimRow> rows) override {
    return locked([&] { return batch_->put_claims(rows); });
  }
  Status put_receipts(std::span<const ReceiptRow> rows) override {
    return locked([&] { return batch_->put_receipts(rows); });
  }
  Status add_coverages(std::span<const CoverageRow> rows) override {
    return locked([&] { return batch_->add_coverages(rows); });
  }
  Status put_applieds(std::span<const AppliedRow> rows) override {
    return locked([&] { return batch_->put_applieds(rows); });
  }

 private:
  rules::State& base_;
  rules::BatchWriter* batch_;  // the SQLite state is one
  std::mutex& mu_;
};

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
  if (dynamic_cast<rules::BatchWriter*>(st->rules_.get()) == nullptr) {
    return Error{Code::internal, "the SQLite rules state writes no batches"};
  }
  st->locked_ = std::make_unique<LockedState>(*st->rules_, st->db_mu_);
  st->overlay_ = std::make_unique<rules::OverlayState>(*st->locked_, rules_rows_max, known);
  st->overlay_->release_in_background(true);
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
