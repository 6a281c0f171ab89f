// memory_state.cpp — the rules state in ordered maps (tests, small replays).
// Semantics match sqlite_state.cpp exactly; the property tests hold them to it.
#include <map>
#include <set>
#include <utility>

#include "rules/rules.hpp"

namespace lontar::rules {
namespace {

using domain::Programme;
using domain::Rupiah;

int month_index(domain::YearMonth m) { return m.year * 12 + (m.month - 1); }

class MemoryState final : public State {
 public:
  explicit MemoryState(const NikKey& key) : key_(key) {}

  const NikKey& nik_key() const override { return key_; }

  Result<std::optional<Participant>> participant(const Hash& person) const override {
    return find(participants_, person);
  }

  Result<std::optional<Claim>> claim(std::string_view claim_no) const override { return find(claims_, claim_no); }

  Result<bool> has_principals() const override { return !principals_.empty(); }

  Result<std::optional<Principal>> principal(std::string_view id) const override {
    auto it = principals_.find(id);
    if (it == principals_.end()) return std::optional<Principal>{};
    Principal p = it->second;
    p.keys_active = 0;
    for (const auto& [key, active] : keys_.at(it->first)) p.keys_active += active ? 1 : 0;
    return std::optional<Principal>(p);
  }

  Result<bool> key_active(std::string_view id, const crypto::PublicKey& key) const override {
    auto it = keys_.find(id);
    if (it == keys_.end()) return false;
    auto k = it->second.find(key);
    return k != it->second.end() && k->second;
  }

  Result<bool> receipt_used(std::string_view principal, std::string_view receipt_no) const override {
    return receipts_.contains({std::string(principal), std::string(receipt_no)});
  }

  Result<bool> covered(const Hash& person, domain::YearMonth month) const override {
    auto it = coverage_.find(person);
    if (it == coverage_.end()) return false;
    const int m = month_index(month);
    for (const auto& [first, last] : it->second) {
      if (first <= m && m <= last) return true;
    }
    return false;
  }

  Result<Rupiah> death_benefits_paid(const Hash& person) const override {
    Rupiah total = 0;
    auto it = person_claims_.find(person);
    if (it == person_claims_.end()) return total;
    for (const auto& claim_no : it->second) {
      const Claim& c = claims_.at(claim_no);
      if (c.programme == Programme::jkm) total += c.paid;
    }
    return total;
  }

  Result<std::optional<domain::ScheduleItem>> schedule(Programme programme, domain::Date on) const override {
    auto it = schedules_.upper_bound({programme, on});
    if (it == schedules_.begin()) return std::optional<domain::ScheduleItem>{};
    --it;
    if (it->first.first != programme) return std::optional<domain::ScheduleItem>{};
    return std::optional<domain::ScheduleItem>(it->second);
  }

  Result<std::optional<Applied>> applied(std::string_view principal, std::uint64_t seq) const override {
    auto it = applied_.find({std::string(principal), seq});
    if (it == applied_.end()) return std::optional<Applied>{};
    return std::optional<Applied>(it->second);
  }

  Status put_participant(const Hash& person, const Participant& p) override {
    participants_[person] = p;
    return {};
  }

  Status end_participant(const Hash& person) override {
    participants_.erase(person);
    return {};
  }

  Status put_claim(std::string_view claim_no, const Claim& c) override {
    LONTAR_TRY(end_claim(claim_no));
    claims_.emplace(std::string(claim_no), c);
    person_claims_[c.person].insert(std::string(claim_no));
    return {};
  }

  Status end_claim(std::string_view claim_no) override {
    auto it = claims_.find(claim_no);
    if (it == claims_.end()) return {};
    auto& of_person = person_claims_[it->second.person];
    of_person.erase(it->first);
    if (of_person.empty()) person_claims_.erase(it->second.person);
    claims_.erase(it);
    return {};
  }

  Status add_paid(std::string_view claim_no, Rupiah amount) override {
    auto it = claims_.find(claim_no);
    if (it != claims_.end()) it->second.paid += amount;
    return {};
  }

  Status put_principal(std::string_view id, const Principal& p, const crypto::PublicKey& key) override {
    principals_[std::string(id)] = p;
    keys_[std::string(id)][key] = true;
    return {};
  }

  Status revoke_key(std::string_view id, const crypto::PublicKey& key) override {
    auto it = keys_.find(id);
    if (it == keys_.end()) return {};
    auto k = it->second.find(key);
    if (k != it->second.end()) k->second = false;
    return {};
  }

  Status put_receipt(std::string_view principal, std::string_view receipt_no) override {
    receipts_.insert({std::string(principal), std::string(receipt_no)});
    return {};
  }

  Status remove_receipt(std::string_view principal, std::string_view receipt_no) override {
    receipts_.erase({std::string(principal), std::string(receipt_no)});
    return {};
  }

  Status add_coverage(const Hash& person, domain::YearMonth first, std::uint16_t months, int sign) override {
    const std::pair<int, int> range{month_index(first), month_index(first) + months - 1};
    if (sign > 0) {
      coverage_[person].insert(range);
      return {};
    }
    auto it = coverage_.find(person);
    if (it == coverage_.end()) return {};
    auto r = it->second.find(range);
    if (r != it->second.end()) it->second.erase(r);
    if (it->second.empty()) coverage_.erase(it);
    return {};
  }

  Status put_schedule(const domain::ScheduleSet& s) override {
    for (const auto& item : s.items) schedules_[{item.programme, s.effective}] = item;
    return {};
  }

  Status put_applied(std::string_view principal, std::uint64_t seq, domain::EntryKind kind, ByteView undo) override {
    applied_[{std::string(principal), seq}] = Applied{kind, false, Bytes(undo.begin(), undo.end())};
    return {};
  }

  Status mark_voided(std::string_view principal, std::uint64_t seq) override {
    auto it = applied_.find({std::string(principal), seq});
    if (it != applied_.end()) it->second.voided = true;
    return {};
  }

 private:
  template <class Map, class Key>
  static Result<std::optional<typename Map::mapped_type>> find(const Map& map, const Key& key) {
    auto it = map.find(key);
    if (it == map.end()) return std::optional<typename Map::mapped_type>{};
    return std::optional<typename Map::mapped_type>(it->second);
  }

  NikKey key_;
  std::map<Hash, Participant> participants_;
  std::map<std::string, Claim, std::less<>> claims_;
  std::map<Hash, std::set<std::string>> person_claims_;
  std::map<std::string, Principal, std::less<>> principals_;
  std::map<std::string, std::map<crypto::PublicKey, bool>, std::less<>> keys_;
  std::set<std::pair<std::string, std::string>> receipts_;
  std::map<Hash, std::multiset<std::pair<int, int>>> coverage_;
  std::map<std::pair<Programme, domain::Date>, domain::ScheduleItem> schedules_;
  std::map<std::pair<std::string, std::uint64_t>, Applied> applied_;
};

}  // namespace

std::unique_ptr<State> make_memory_state(const NikKey& key) { return std::make_unique<MemoryState>(key); }

}  // namespace lontar::rules
