// record.hpp — appending entries to the office chain: judge, append, seal, commit.
//
// One Recorder is one local commit (one interactive record or one whole import).
// begin() takes the store's write lock (BEGIN IMMEDIATE) and reads the chain head
// under it, so concurrent clerks serialize and never reuse a seq. append() runs
// the rules engine (which validates first) against the local state, and only then
// appends the entry (next seq, prev = hash of the head) and applies it to the
// state. commit() signs a seal over the last entry and commits; nothing is
// durable before it returns, and everything is after (synchronous=FULL).
// A commit larger than chain::batch_entries_max gets an extra seal every
// batch_entries_max entries, so that any unsynced run can be pushed in batches.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "chain/chain.hpp"
#include "office.hpp"
#include "rules/overlay_state.hpp"

namespace lontar::agent {

// What append() did with one payload.
enum class AppendStatus {
  recorded,            // accepted, or flagged and confirmed
  rejected,            // the rules refused it; nothing changed
  needs_confirmation,  // flagged; not recorded because confirm was false
};

struct Appended {
  AppendStatus status = AppendStatus::recorded;
  domain::Verdict verdict;
  std::uint64_t seq = 0;  // when recorded
  Hash hash{};            // when recorded
};

// The decoded columns stored next to an entry for find/list: NIK, name, reference.
struct EntryIndex {
  std::string nik;
  std::string name;
  std::string ref;
};
EntryIndex index_of(const domain::Payload& p);

class Recorder {
 public:
  static Result<Recorder> begin(Office& office, std::string operator_id);
  Recorder(Recorder&&) = default;

  // Judges `payload` (the rules validate it first) and, unless rejected or
  // unconfirmed, appends it. A payload that fails domain::validate is an Error
  // (bad_input) whose message names the field; nothing is appended.
  Result<Appended> append(const domain::Payload& payload, bool confirm);

  // Seals the last appended entry and commits. Without appended entries it just
  // ends the transaction and returns nullopt.
  Result<std::optional<chain::Seal>> commit();

  std::uint64_t appended() const { return appended_; }
  // Seals signed so far (commit() signs the last one).
  std::uint64_t seals() const { return seals_; }

 private:
  Recorder(Office& office, store::Transaction tx, rules::State& state, std::string operator_id, Head head)
      : office_(&office),
        tx_(std::move(tx)),
        overlay_(std::make_unique<rules::OverlayState>(state, overlay_rows_max)),
        state_(overlay_.get()),
        operator_(std::move(operator_id)),
        head_(head) {}
  Result<chain::Seal> seal();

  Office* office_;
  store::Transaction tx_;
  // The transaction's rules changes, in memory until commit() writes them (sorted)
  // just before committing; thrown away with the transaction when it rolls back.
  // A smaller cap than the overlay's default: an import writes only new rows, so a
  // larger batch gains nothing and would only add to the import's memory (about
  // 1–2 MB at this cap; docs/PERFORMANCE.md).
  static constexpr std::size_t overlay_rows_max = 8'192;
  std::unique_ptr<rules::OverlayState> overlay_;
  rules::State* state_;
  std::string operator_;
  Head head_;
  std::uint64_t appended_ = 0;
  std::uint64_t first_seq_ = 0;  // of the first appended entry; the run goes to the outbox at commit
  std::uint64_t unsealed_ = 0;
  std::uint64_t seals_ = 0;
};

// One interactive record: begin, append `payload`, commit (the CLI's record
// commands and the web page both call this). An entry.void with no target office
// voids one of `office`'s own entries. Nothing is durable unless the result says
// `recorded`; a rejected or unconfirmed flagged entry leaves the store unchanged.
Result<Appended> record_entry(Office& office, const std::string& operator_id, domain::Payload payload, bool confirm);

}  // namespace lontar::agent
