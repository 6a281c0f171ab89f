// overlay_state.cpp — see overlay_state.hpp.
#include "rules/overlay_state.hpp"

#include <algorithm>
#include <cstring>
#include <span>
#include <string_view>
#include <tuple>
#include <unordered_map>

namespace lontar::rules {
namespace {

int month_index(domain::YearMonth m) { return m.year * 12 + (m.month - 1); }

bool is_death(const StateView::Claim& c) { return c.programme == domain::Programme::jkm; }

// The rows of `rows` in the order of `less`. `prefix` maps a row to two integers
// ordered as `less` orders rows (a < b when a's pair is less; `less` decides only
// between equal pairs), so that most comparisons are of integers, not of keys.
template <class Map>
std::vector<typename Map::value_type*> sorted_rows(Map& rows, auto prefix, auto less) {
  struct Item {
    std::uint64_t hi, lo;
    typename Map::value_type* row;
  };
  std::vector<Item> items;
  items.reserve(rows.size());
  for (auto& row : rows) {
    const auto [hi, lo] = prefix(row);
    items.push_back({hi, lo, &row});
  }
  std::sort(items.begin(), items.end(), [&](const Item& a, const Item& b) {
    if (a.hi != b.hi) return a.hi < b.hi;
    if (a.lo != b.lo) return a.lo < b.lo;
    return less(*a.row, *b.row);
  });
  std::vector<typename Map::value_type*> out;
  out.reserve(items.size());
  for (const Item& i : items) out.push_back(i.row);
  return out;
}

// Bytes [at, at + 8) of `b` as a big-endian integer, zeros past its end: ordered as the bytes are.
std::uint64_t be64(std::span<const std::uint8_t> b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = at; i < at + 8; ++i) v = (v << 8) | (i < b.size() ? b[i] : 0);
  return v;
}
std::uint64_t be64(std::string_view s, std::size_t at) {
  return be64(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()), at);
}

// Rows keyed by a person (a Hash) or a string, compared by key.
constexpr auto hash_prefix = [](const auto& row) { return std::pair{be64(row.first, 0), be64(row.first, 8)}; };
constexpr auto key_less = [](const auto& a, const auto& b) { return a.first < b.first; };

// The principals of the receipts and applied entries (a few offices) as small integers
// in their order, so that those rows sort by integers first.
class PrincipalRanks {
 public:
  template <class... Maps>
  explicit PrincipalRanks(const Maps&... maps) {
    std::vector<std::string_view> names;
    auto collect = [&](const auto& map) {
      for (const auto& row : map) {
        if (ranks_.emplace(row.first.principal, 0).second) names.push_back(row.first.principal);
      }
    };
    (collect(maps), ...);
    std::sort(names.begin(), names.end());
    for (std::size_t i = 0; i < names.size(); ++i) ranks_[names[i]] = i;
  }
  std::uint64_t operator()(std::string_view principal) const { return ranks_.at(principal); }

 private:
  std::unordered_map<std::string_view, std::uint64_t> ranks_;
};

// The flush's order of receipts and applied entries: by principal, then receipt number or seq.
constexpr auto receipt_less = [](const auto& a, const auto& b) {
  return std::tie(a.first.principal, a.first.receipt_no) < std::tie(b.first.principal, b.first.receipt_no);
};
constexpr auto applied_less = [](const auto& a, const auto& b) {
  const int c = a.first.principal.compare(b.first.principal);
  return c != 0 ? c < 0 : a.first.seq < b.first.seq;
};

// The filter of keys flushed (overlay_state.hpp): 2^27 bits, 4 probes per key.
constexpr std::size_t flushed_filter_bits = std::size_t{1} << 27;
constexpr int flushed_filter_probes = 4;

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A table's key as the filter's 64-bit key: the key's own hash, mixed with the table's tag.
enum Table : std::uint64_t { t_participants = 1, t_claims, t_receipts, t_coverage, t_applied, t_death_claims };
std::uint64_t tagged(Table t, std::uint64_t h) { return mix(h ^ (t * 0x9e3779b97f4a7c15ULL)); }
std::uint64_t person_bits(const Hash& h) {
  std::uint64_t v = 0;
  std::memcpy(&v, h.data(), sizeof v);
  return v;
}

}  // namespace

bool OverlayState::base_may_hold(std::uint64_t key) const {
  if (fresh_) return false;
  if (!filtering_) return true;
  const std::uint64_t step = mix(key) | 1;
  for (int i = 0; i < flushed_filter_probes; ++i) {
    const std::uint64_t bit = (key + static_cast<std::uint64_t>(i) * step) % flushed_filter_bits;
    if ((flushed_[bit / 64] >> (bit % 64) & 1) == 0) return false;
  }
  return true;
}

void OverlayState::remember_flushed() {
  if (!filtering_) return;
  if (flushed_.empty()) flushed_.assign(flushed_filter_bits / 64, 0);
  auto add = [&](std::uint64_t key) {
    const std::uint64_t step = mix(key) | 1;
    for (int i = 0; i < flushed_filter_probes; ++i) {
      const std::uint64_t bit = (key + static_cast<std::uint64_t>(i) * step) % flushed_filter_bits;
      flushed_[bit / 64] |= std::uint64_t{1} << (bit % 64);
    }
  };
  // Every row flushed, tombstones included (harmless: the filter may only say "maybe").
  for (const auto& [person, p] : participants_) add(tagged(t_participants, person_bits(person)));
  for (const auto& [claim_no, c] : claims_) {
    add(tagged(t_claims, std::hash<std::string_view>{}(claim_no)));
    if (c && is_death(*c)) add(tagged(t_death_claims, person_bits(c->person)));
  }
  for (const auto& [k, used] : receipts_) add(tagged(t_receipts, RowKeyOps::hash(RowKeyOps::view(k))));
  for (const auto& [person, ranges] : coverage_added_) add(tagged(t_coverage, person_bits(person)));
  for (const auto& [k, a] : applied_) add(tagged(t_applied, RowKeyOps::hash(RowKeyOps::view(k))));
}

std::size_t OverlayState::RowKeyOps::hash(const ReceiptView& k) noexcept {
  const std::size_t h = std::hash<std::string_view>{}(k.principal);
  return h ^ (std::hash<std::string_view>{}(k.receipt_no) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

std::size_t OverlayState::RowKeyOps::hash(const AppliedView& k) noexcept {
  const std::size_t h = std::hash<std::string_view>{}(k.principal);
  return h ^ (k.seq * 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

std::size_t OverlayState::HashOfHash::operator()(const Hash& h) const noexcept {
  // A person key is an HMAC output: any 8 of its bytes are as good as a hash.
  std::size_t v = 0;
  std::memcpy(&v, h.data(), sizeof v);
  return v;
}

OverlayState::OverlayState(State& base, std::size_t rows_max, Base known)
    : base_(base),
      batch_(dynamic_cast<BatchWriter*>(&base)),
      fresh_(known == Base::empty),
      filtering_(known == Base::empty),
      rows_max_(std::max<std::size_t>(rows_max, 1)) {}

OverlayState::~OverlayState() { wait_released(); }

void OverlayState::wait_released() {
  if (releaser_.joinable()) releaser_.join();
}

// ---------------------------------------------------------------- reads

Result<std::optional<StateView::Participant>> OverlayState::participant(const Hash& person) const {
  if (auto it = participants_.find(person); it != participants_.end()) return it->second;
  if (!base_may_hold(tagged(t_participants, person_bits(person)))) return std::optional<Participant>{};
  return base_.participant(person);
}

Result<std::optional<StateView::Claim>> OverlayState::claim(std::string_view claim_no) const {
  if (auto it = claims_.find(claim_no); it != claims_.end()) return it->second;
  if (!base_may_hold(tagged(t_claims, std::hash<std::string_view>{}(claim_no)))) return std::optional<Claim>{};
  return base_.claim(claim_no);
}

Result<bool> OverlayState::has_principals() const {
  if (has_principals_) return true;  // principals are never removed
  LONTAR_ASSIGN(has_principals_, base_.has_principals());
  return has_principals_;
}

Result<std::optional<StateView::Principal>> OverlayState::principal(std::string_view id) const {
  if (auto it = principals_.find(id); it != principals_.end()) return it->second;
  LONTAR_ASSIGN(auto p, base_.principal(id));
  if (principals_.size() >= answers_max) principals_.clear();
  principals_.emplace(std::string(id), p);
  return p;
}

Result<bool> OverlayState::key_active(std::string_view id, const crypto::PublicKey& key) const {
  std::pair<std::string, crypto::PublicKey> k{std::string(id), key};
  if (auto it = keys_.find(k); it != keys_.end()) return it->second;
  LONTAR_ASSIGN(bool active, base_.key_active(id, key));
  if (keys_.size() >= answers_max) keys_.clear();
  keys_.emplace(std::move(k), active);
  return active;
}

Result<bool> OverlayState::receipt_used(std::string_view principal, std::string_view receipt_no) const {
  if (auto it = receipts_.find(ReceiptView{principal, receipt_no}); it != receipts_.end()) return it->second;
  if (!base_may_hold(tagged(t_receipts, RowKeyOps::hash(ReceiptView{principal, receipt_no})))) return false;
  return base_.receipt_used(principal, receipt_no);
}

Result<bool> OverlayState::covered(const Hash& person, domain::YearMonth month) const {
  // Pending ranges are only additions (see add_coverage), so the base's answer
  // stands unless one of them covers the month.
  if (auto it = coverage_added_.find(person); it != coverage_added_.end()) {
    const int m = month_index(month);
    for (const Range& r : it->second) {
      if (month_index(r.first) <= m && m <= month_index(r.first) + r.months - 1) return true;
    }
  }
  if (!base_may_hold(tagged(t_coverage, person_bits(person)))) return false;
  return base_.covered(person, month);
}

Result<domain::Rupiah> OverlayState::death_benefits_paid(const Hash& person) const {
  domain::Rupiah paid = 0;
  if (base_may_hold(tagged(t_death_claims, person_bits(person)))) {
    LONTAR_ASSIGN(paid, base_.death_benefits_paid(person));
  }
  if (auto it = death_paid_delta_.find(person); it != death_paid_delta_.end()) paid += it->second;
  return paid;
}

Result<std::optional<domain::ScheduleItem>> OverlayState::schedule(domain::Programme programme, domain::Date on) const {
  const std::pair key{programme, on};
  if (auto it = schedules_.find(key); it != schedules_.end()) return it->second;
  LONTAR_ASSIGN(auto item, base_.schedule(programme, on));
  if (schedules_.size() >= answers_max) schedules_.clear();
  schedules_.emplace(key, item);
  return item;
}

Result<std::optional<StateView::Applied>> OverlayState::applied(std::string_view principal, std::uint64_t seq) const {
  if (auto it = applied_.find(AppliedView{principal, seq}); it != applied_.end()) {
    return std::optional<Applied>(it->second);
  }
  if (!base_may_hold(tagged(t_applied, RowKeyOps::hash(AppliedView{principal, seq})))) return std::optional<Applied>{};
  return base_.applied(principal, seq);
}

// ---------------------------------------------------------------- writes

Status OverlayState::make_room() {
  if (pending_ >= rows_max_) return flush();
  return {};
}

void OverlayState::forget_admin_answers() {
  has_principals_ = false;
  principals_.clear();
  keys_.clear();
  schedules_.clear();
}

Status OverlayState::put_participant(const Hash& person, const Participant& p) {
  LONTAR_TRY(make_room());
  auto [it, added] = participants_.try_emplace(person, p);
  if (added) {
    ++pending_;
  } else {
    it->second = p;
  }
  return {};
}

Status OverlayState::end_participant(const Hash& person) {
  auto it = participants_.find(person);
  if (it == participants_.end()) return base_.end_participant(person);  // a row the span did not write
  it->second.reset();                                                   // a tombstone: the base may hold an older row
  return {};
}

Status OverlayState::put_claim(std::string_view claim_no, const Claim& c) {
  LONTAR_TRY(make_room());
  LONTAR_ASSIGN(auto old, claim(claim_no));
  if (old && is_death(*old)) death_paid_delta_[old->person] -= old->paid;
  if (is_death(c)) death_paid_delta_[c.person] += c.paid;
  auto it = claims_.find(claim_no);
  if (it == claims_.end()) {
    claims_.emplace(std::string(claim_no), c);
    ++pending_;
  } else {
    it->second = c;
  }
  return {};
}

Status OverlayState::end_claim(std::string_view claim_no) {
  auto it = claims_.find(claim_no);
  if (it == claims_.end()) return base_.end_claim(claim_no);
  if (it->second && is_death(*it->second)) death_paid_delta_[it->second->person] -= it->second->paid;
  it->second.reset();
  return {};
}

Status OverlayState::add_paid(std::string_view claim_no, domain::Rupiah amount) {
  auto it = claims_.find(claim_no);
  if (it == claims_.end()) return base_.add_paid(claim_no, amount);
  if (!it->second) return {};  // ended in the span: no row to add to, as in the base
  it->second->paid += amount;
  if (is_death(*it->second)) death_paid_delta_[it->second->person] += amount;
  return {};
}

Status OverlayState::put_principal(std::string_view id, const Principal& p, const crypto::PublicKey& key) {
  forget_admin_answers();
  return base_.put_principal(id, p, key);
}

Status OverlayState::revoke_key(std::string_view id, const crypto::PublicKey& key) {
  forget_admin_answers();
  return base_.revoke_key(id, key);
}

Status OverlayState::put_schedule(const domain::ScheduleSet& s) {
  forget_admin_answers();
  return base_.put_schedule(s);
}

Status OverlayState::put_receipt(std::string_view principal, std::string_view receipt_no) {
  LONTAR_TRY(make_room());
  if (auto it = receipts_.find(ReceiptView{principal, receipt_no}); it != receipts_.end()) {
    it->second = true;
    return {};
  }
  receipts_.emplace(ReceiptKey{std::string(principal), std::string(receipt_no)}, true);
  ++pending_;
  return {};
}

Status OverlayState::remove_receipt(std::string_view principal, std::string_view receipt_no) {
  auto it = receipts_.find(ReceiptView{principal, receipt_no});
  if (it == receipts_.end()) return base_.remove_receipt(principal, receipt_no);
  it->second = false;  // a tombstone: the base may hold it too
  return {};
}

Status OverlayState::add_coverage(const Hash& person, domain::YearMonth first, std::uint16_t months, int sign) {
  const Range range{first, months};
  if (sign < 0) {
    // One equal range fewer. Equal ranges are indistinguishable, so removing a
    // pending one leaves the same multiset as the base removing its own; without a
    // pending one, the base removes one of its own (or none), which commutes with
    // the pending additions (none of them equal).
    if (auto it = coverage_added_.find(person); it != coverage_added_.end()) {
      auto& ranges = it->second;
      if (auto r = std::find(ranges.rbegin(), ranges.rend(), range); r != ranges.rend()) {
        ranges.erase(std::next(r).base());
        --pending_;
        if (ranges.empty()) coverage_added_.erase(it);
        return {};
      }
    }
    return base_.add_coverage(person, first, months, sign);
  }
  LONTAR_TRY(make_room());
  coverage_added_[person].push_back(range);
  ++pending_;
  return {};
}

Status OverlayState::put_applied(std::string_view principal, std::uint64_t seq, domain::EntryKind kind, ByteView undo) {
  LONTAR_TRY(make_room());
  auto it = applied_.find(AppliedView{principal, seq});
  if (it == applied_.end()) {
    it = applied_.emplace(AppliedKey{std::string(principal), seq}, Applied{}).first;
    ++pending_;
  }
  // The undo record is copied once, into the row's own buffer (reused when the row is written again).
  Applied& a = it->second;
  a.kind = kind;
  a.voided = false;
  a.undo.assign(undo.begin(), undo.end());
  return {};
}

Status OverlayState::mark_voided(std::string_view principal, std::uint64_t seq) {
  auto it = applied_.find(AppliedView{principal, seq});
  if (it == applied_.end()) return base_.mark_voided(principal, seq);
  it->second.voided = true;
  return {};
}

// ---------------------------------------------------------------- flush

Status OverlayState::flush() {
  ++flushes_;
  LONTAR_TRY(batch_ ? flush_batches(*batch_) : flush_rows());
  remember_flushed();
  if (release_in_background_) {
    // Freeing a few hundred thousand rows one by one costs as much as sorting them:
    // another thread does it while the caller goes on (commits).
    wait_released();
    auto rows = [p = std::move(participants_), c = std::move(claims_), r = std::move(receipts_),
                 v = std::move(coverage_added_), a = std::move(applied_)] {};
    releaser_ = std::thread([rows = std::move(rows)]() mutable { [[maybe_unused]] auto gone = std::move(rows); });
  }
  participants_.clear();  // (moved from above: empty them for sure)
  claims_.clear();
  death_paid_delta_.clear();
  receipts_.clear();
  coverage_added_.clear();
  applied_.clear();
  pending_ = 0;
  fresh_ = false;
  return {};
}

Status OverlayState::flush_rows() {
  const PrincipalRanks rank(receipts_, applied_);
  auto receipt_prefix = [&](const auto& row) {
    return std::pair{rank(row.first.principal), be64(row.first.receipt_no, 0)};
  };
  auto applied_prefix = [&](const auto& row) { return std::pair{rank(row.first.principal), row.first.seq}; };
  for (auto* row : sorted_rows(participants_, hash_prefix, key_less)) {
    if (row->second) {
      LONTAR_TRY(base_.put_participant(row->first, *row->second));
    } else {
      LONTAR_TRY(base_.end_participant(row->first));
    }
  }
  for (auto* row : sorted_rows(claims_, hash_prefix, key_less)) {
    if (row->second) {
      LONTAR_TRY(base_.put_claim(row->first, *row->second));
    } else {
      LONTAR_TRY(base_.end_claim(row->first));
    }
  }
  for (auto* row : sorted_rows(receipts_, receipt_prefix, receipt_less)) {
    const ReceiptKey& r = row->first;
    if (row->second) {
      LONTAR_TRY(base_.put_receipt(r.principal, r.receipt_no));
    } else {
      LONTAR_TRY(base_.remove_receipt(r.principal, r.receipt_no));
    }
  }
  for (auto* row : sorted_rows(coverage_added_, hash_prefix, key_less)) {
    for (const Range& r : row->second) LONTAR_TRY(base_.add_coverage(row->first, r.first, r.months, +1));
  }
  for (auto* row : sorted_rows(applied_, applied_prefix, applied_less)) {
    const AppliedKey& k = row->first;
    const Applied& a = row->second;
    LONTAR_TRY(base_.put_applied(k.principal, k.seq, a.kind, a.undo));
    if (a.voided) LONTAR_TRY(base_.mark_voided(k.principal, k.seq));
  }
  return {};
}

// The same rows as flush_rows(), the new ones many per statement. Ends and removals
// (rows written before the span, then ended in it) stay single statements: they are
// few, and each concerns a key none of the batches holds.
Status OverlayState::flush_batches(BatchWriter& batch) {
  const PrincipalRanks rank(receipts_, applied_);
  auto receipt_prefix = [&](const auto& row) {
    return std::pair{rank(row.first.principal), be64(row.first.receipt_no, 0)};
  };
  auto applied_prefix = [&](const auto& row) { return std::pair{rank(row.first.principal), row.first.seq}; };
  {
    std::vector<BatchWriter::ParticipantRow> rows;
    rows.reserve(participants_.size());
    for (auto* row : sorted_rows(participants_, hash_prefix, key_less)) {
      if (row->second) {
        rows.push_back({&row->first, &*row->second});
      } else if (base_may_hold(tagged(t_participants, person_bits(row->first)))) {
        LONTAR_TRY(base_.end_participant(row->first));
      }
    }
    LONTAR_TRY(batch.put_participants(rows));
  }
  {
    std::vector<BatchWriter::ClaimRow> rows;
    rows.reserve(claims_.size());
    for (auto* row : sorted_rows(claims_, hash_prefix, key_less)) {
      if (row->second) {
        rows.push_back({row->first, &*row->second});
      } else if (base_may_hold(tagged(t_claims, std::hash<std::string_view>{}(row->first)))) {
        LONTAR_TRY(base_.end_claim(row->first));
      }
    }
    LONTAR_TRY(batch.put_claims(rows));
  }
  {
    std::vector<BatchWriter::ReceiptRow> rows;
    rows.reserve(receipts_.size());
    for (auto* row : sorted_rows(receipts_, receipt_prefix, receipt_less)) {
      const ReceiptKey& r = row->first;
      if (row->second) {
        rows.push_back({r.principal, r.receipt_no});
      } else if (base_may_hold(tagged(t_receipts, RowKeyOps::hash(RowKeyOps::view(r))))) {
        LONTAR_TRY(base_.remove_receipt(r.principal, r.receipt_no));
      }
    }
    LONTAR_TRY(batch.put_receipts(rows));
  }
  {
    std::vector<BatchWriter::CoverageRow> rows;
    rows.reserve(coverage_added_.size());
    for (auto* row : sorted_rows(coverage_added_, hash_prefix, key_less)) {
      for (const Range& r : row->second) rows.push_back({&row->first, r.first, r.months});
    }
    LONTAR_TRY(batch.add_coverages(rows));
  }
  std::vector<BatchWriter::AppliedRow> rows;
  rows.reserve(applied_.size());
  for (auto* row : sorted_rows(applied_, applied_prefix, applied_less)) {
    rows.push_back({row->first.principal, row->first.seq, row->second.kind, row->second.voided, row->second.undo});
  }
  return batch.put_applieds(rows);
}

}  // namespace lontar::rules
