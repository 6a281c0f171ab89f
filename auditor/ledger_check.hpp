// ledger_check.hpp — the sequential stage of an audit: everything that depends on order.
//
// Fed the decoded leaves in log order, it checks:
//   - every office chain is contiguous (seq n+1 after n) and hash-linked (prev);
//   - every seal verified (signature from the parallel stage), by a key the rules
//     engine allows at that point of the log (rules::seal_allowed: registered for its
//     office and not revoked, or the genesis admin's, whose key is registered by the
//     very entries it seals), asked when its first entry is known;
//   - every seal is followed by exactly the entries it covers: the office's next
//     seqs up to last_seq, the last one hashing to the seal's head;
//   - every admin entry (principal.*, schedule.set) is by an admin;
//   - replaying rules::judge over the state before each entry gives the verdict
//     the server wrote; the state then advances by the replayed verdict.
// Each failure is a Finding with the leaf index, office and seq. Chain heads and an
// open seal are saved in the audit state so a later run continues exactly here.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit_state.hpp"
#include "findings.hpp"
#include "leaf_stream.hpp"
#include "report_book.hpp"
#include "rules/rules.hpp"

namespace lontar::audit {

using OfficeHead = chain::ChainHead;

class LedgerChecker {
 public:
  // Loads chain heads and the open seal from `state`. The report's facts are recorded
  // on a thread of their own (ReportWriter::Mode::thread) or on the caller's.
  static Result<LedgerChecker> load(AuditState& state, ReportWriter::Mode report = ReportWriter::Mode::thread);

  // Checks one bundle's leaves (the next in log order), then hands them with their
  // replayed verdicts to the report's writer. Errors are failures of the audit state
  // itself (SQLite), not findings.
  Status on_chunk(std::vector<DecodedLeaf> leaves, Findings& findings);
  // The log ends here (for now): waits for the report's facts to be written, then a
  // seal still waiting for entries is a finding.
  Status finish(Findings& findings);
  // Writes chain heads and the open seal back to `state`.
  Status save();

  std::uint64_t entries_checked() const { return entries_; }
  std::uint64_t seals_checked() const { return seals_; }

 private:
  struct OpenSeal {
    std::uint64_t leaf = 0;
    chain::Seal seal;
    bool key_pending = false;  // rules::seal_allowed not asked yet (it is at the first entry)
  };
  LedgerChecker(AuditState& state, std::unique_ptr<ReportWriter> report) : state_(&state), report_(std::move(report)) {}
  Status on_leaf(const DecodedLeaf& d, Findings& findings);
  Status on_seal(const DecodedLeaf& d, Findings& findings);
  Status on_entry(const DecodedLeaf& d, Findings& findings);
  // Asks rules::seal_allowed for the open seal, whose first entry is `first` (nullptr:
  // it has none); a refusal is a finding. Clears key_pending.
  Result<rules::SealGrant> check_key(const chain::Entry* first, Findings& findings);

  AuditState* state_;
  std::unique_ptr<ReportWriter> report_;
  std::vector<ReportChunk::Judged> judged_;               // of the chunk being checked
  std::size_t at_ = 0;                                    // the leaf being checked, in its chunk
  std::map<std::string, OfficeHead, std::less<>> heads_;  // one per office: bounded by the principals
  std::optional<OpenSeal> open_;
  std::uint64_t entries_ = 0;  // checked in this run
  std::uint64_t seals_ = 0;
};

}  // namespace lontar::audit
