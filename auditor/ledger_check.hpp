// ledger_check.hpp — the sequential stage of an audit: everything that depends on order.
//
// Fed the decoded leaves in log order, it checks:
//   - every office chain is contiguous (seq n+1 after n) and hash-linked (prev);
//   - every seal verified (signature from the parallel stage), by a key registered
//     for its office and not revoked at that point of the log (the rules state's
//     key_active; the first seal of a log is the genesis admin's, whose key is
//     registered by the very entries it seals);
//   - every seal is followed by exactly the entries it covers: the office's next
//     seqs up to last_seq, the last one hashing to the seal's head;
//   - every admin entry (principal.*, schedule.set) is by an admin;
//   - replaying rules::judge over the state before each entry gives the verdict
//     the server wrote; the state then advances by the replayed verdict.
// Each failure is a Finding with the leaf index, office and seq. Chain heads and an
// open seal are saved in the audit state so a later run continues exactly here.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "audit_state.hpp"
#include "findings.hpp"
#include "leaf_stream.hpp"
#include "report_book.hpp"

namespace lontar::audit {

struct OfficeHead {
  std::uint64_t seq = 0;
  Hash head{};
};

class LedgerChecker {
 public:
  // Loads chain heads, the open seal and counters from `state`.
  static Result<LedgerChecker> load(AuditState& state);

  // Checks one leaf (the next in log order). Errors are failures of the audit
  // state itself (SQLite), not findings.
  Status on_leaf(const DecodedLeaf& d, Findings& findings);
  // The log ends here (for now): a seal still waiting for entries is a finding.
  void finish(Findings& findings) const;
  // Writes chain heads, the open seal and counters back to `state`.
  Status save();

  std::uint64_t entries_checked() const { return entries_; }
  std::uint64_t seals_checked() const { return seals_; }

 private:
  struct OpenSeal {
    std::uint64_t leaf = 0;
    chain::Seal seal;
    bool genesis = false;  // key checked once its entries have been applied
  };
  LedgerChecker(AuditState& state, ReportBook book) : state_(&state), book_(std::move(book)) {}
  Status on_seal(const DecodedLeaf& d, Findings& findings);
  Status on_entry(const DecodedLeaf& d, Findings& findings);
  Status check_key(std::uint64_t leaf, const chain::Seal& s, Findings& findings);

  AuditState* state_;
  ReportBook book_;
  std::map<std::string, OfficeHead, std::less<>> heads_;  // one per office: bounded by the principals
  std::optional<OpenSeal> open_;
  std::uint64_t seals_total_ = 0;  // seals seen in the whole log (0: the next is the genesis seal)
  std::uint64_t entries_ = 0;      // checked in this run
  std::uint64_t seals_ = 0;
};

}  // namespace lontar::audit
