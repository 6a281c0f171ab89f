// batch_writer.hpp — writing many new rules rows at once (issue 14).
//
// A rules::State may also implement BatchWriter; OverlayState::flush() then writes
// its pending rows through it (found with dynamic_cast) instead of one put_* call
// per row. The SQLite state implements it with prepared multi-row INSERT
// statements (up to 256 rows per statement), which cuts the per-statement cost of
// SQLite's VM (bind, step, reset) to a fraction; the B-tree work is the same.
// A state that does not implement it (MemoryState, PostgreSQL's PgState for now)
// gets the put_* calls, with the same effect.
//
// This is a separate interface so that rules::State (implemented outside rules/)
// is unchanged. Each call has exactly the effect of the matching put_* calls made
// in order: rows are sorted by key and each key appears once per call.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "rules/rules.hpp"

namespace lontar::rules {

class BatchWriter {
 public:
  struct ParticipantRow {
    const Hash* person;
    const StateView::Participant* p;
  };
  struct ClaimRow {
    std::string_view claim_no;
    const StateView::Claim* c;
  };
  struct ReceiptRow {
    std::string_view principal, receipt_no;
  };
  struct CoverageRow {
    const Hash* person;
    domain::YearMonth first;
    std::uint16_t months = 0;
  };
  struct AppliedRow {
    std::string_view principal;
    std::uint64_t seq = 0;
    domain::EntryKind kind = domain::EntryKind::participant_enroll;
    bool voided = false;  // put_applied then mark_voided
    ByteView undo;
  };

  virtual ~BatchWriter() = default;
  virtual Status put_participants(std::span<const ParticipantRow> rows) = 0;  // each as put_participant
  virtual Status put_claims(std::span<const ClaimRow> rows) = 0;              // each as put_claim
  virtual Status put_receipts(std::span<const ReceiptRow> rows) = 0;          // each as put_receipt
  virtual Status add_coverages(std::span<const CoverageRow> rows) = 0;        // each as add_coverage(+1)
  virtual Status put_applieds(std::span<const AppliedRow> rows) = 0;          // each as put_applied (+ mark_voided)
};

}  // namespace lontar::rules
