// report_book.hpp — the facts a report is built from, recorded while verdicts are replayed.
//
// For each entry the replay applied (accepted or flagged) one row per programme it
// concerns: kind, office, programme, the person's occupation group, the month the
// office recorded it (office clock, UTC) and rupiah; a void records its target, which
// reports then leave out. Rows are only appended (no index to maintain per entry). Every flagged or rejected entry also
// gets an exception row with its reasons. Rows live in the audit state (tables "report_"), not in memory.
#pragma once

#include <cstdint>
#include <optional>

#include "audit_state.hpp"
#include "chain/chain.hpp"
#include "domain/domain.hpp"

namespace lontar::audit {

class ReportBook {
 public:
  // Creates the tables if missing and prepares the statements.
  static Result<ReportBook> open(AuditState& state);

  // Records entry `e` at `leaf` with the verdict the replay reached; `payload` and
  // `person` are its decoded payload and person key (leaf_stream.hpp), when any.
  Status record(std::uint64_t leaf, const chain::Entry& e, const domain::Verdict& v,
                const std::optional<domain::Payload>& payload, const std::optional<Hash>& person);

 private:
  explicit ReportBook(AuditState& state) : state_(&state) {}
  Status item(std::uint64_t leaf, const chain::Entry& e, std::string_view programme, std::string_view occupation,
              domain::Rupiah rupiah);
  Result<std::string> occupation_of(const std::optional<Hash>& person);
  AuditState* state_;
};

}  // namespace lontar::audit
