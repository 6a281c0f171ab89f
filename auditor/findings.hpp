// findings.hpp — what an audit found wrong, each tied to where in the log.
//
// A Finding names a stable check code ("seal_signature", "verdict_mismatch"...),
// the leaf index, office and seq it concerns (when it concerns one), and text that
// says what is wrong. Findings keeps the first `findings_kept_max` in full and
// counts the rest, so a badly broken ledger cannot exhaust memory.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lontar::audit {

constexpr std::size_t findings_kept_max = 1000;

// Stable codes, one per check (docs: README "Auditor").
namespace check {
inline constexpr std::string_view checkpoint_signature = "checkpoint_signature";
inline constexpr std::string_view checkpoint_malformed = "checkpoint_malformed";
inline constexpr std::string_view fork = "fork";                  // same size, different root
inline constexpr std::string_view rollback = "rollback";          // smaller than a size accepted before
inline constexpr std::string_view inconsistent = "inconsistent";  // new tree does not extend the accepted one
inline constexpr std::string_view root_mismatch = "root_mismatch";
inline constexpr std::string_view bundle_missing = "bundle_missing";
inline constexpr std::string_view bundle_malformed = "bundle_malformed";
inline constexpr std::string_view tile_mismatch = "tile_mismatch";
inline constexpr std::string_view leaf_malformed = "leaf_malformed";
inline constexpr std::string_view chain_gap = "chain_gap";    // seq not contiguous
inline constexpr std::string_view chain_link = "chain_link";  // prev hash does not match
inline constexpr std::string_view seal_signature = "seal_signature";
inline constexpr std::string_view seal_key = "seal_key";            // key not registered or revoked
inline constexpr std::string_view seal_coverage = "seal_coverage";  // entries after a seal do not match it
inline constexpr std::string_view unsealed_entry = "unsealed_entry";
inline constexpr std::string_view admin_not_by_admin = "admin_not_by_admin";
inline constexpr std::string_view verdict_mismatch = "verdict_mismatch";
inline constexpr std::string_view replay_error = "replay_error";
}  // namespace check

struct Finding {
  std::string check;                  // one of check::*
  std::optional<std::uint64_t> leaf;  // leaf index in the log
  std::string office;                 // principal, "" if none
  std::optional<std::uint64_t> seq;   // entry seq, if any
  std::string message;
};

class Findings {
 public:
  void add(Finding f);
  void add(std::string_view code, std::optional<std::uint64_t> leaf, std::string office,
           std::optional<std::uint64_t> seq, std::string message) {
    add(Finding{std::string(code), leaf, std::move(office), seq, std::move(message)});
  }
  // Adds every finding of `other` (its kept ones in full, the rest counted).
  void merge(const Findings& other);
  bool empty() const { return total_ == 0; }
  std::uint64_t total() const { return total_; }
  const std::vector<Finding>& kept() const { return kept_; }
  const std::map<std::string, std::uint64_t>& by_check() const { return by_check_; }
  bool has(std::string_view code) const { return by_check_.count(std::string(code)) != 0; }

 private:
  std::vector<Finding> kept_;
  std::map<std::string, std::uint64_t> by_check_;
  std::uint64_t total_ = 0;
};

// "leaf 1234 office SBY-RUNGKUT seq 17: verdict_mismatch: ..." — one line.
std::string to_line(const Finding& f);
// A JSON object for one finding.
// As a JSON object {"check", "leaf", "office", "seq", "message"} (null when absent);
// nlohmann's to_json convention, so that a vector of findings converts as a whole.
void to_json(nlohmann::ordered_json& j, const Finding& f);

}  // namespace lontar::audit
