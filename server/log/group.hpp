// group.hpp — what flows through the log: a push from the caller's thread to the
// integrator, and a committed group from the integrator to the publisher.
//
//   push() (any thread)  — checks the batch, encodes and prepares it   → a Pending, queued
//   integrator (1 thread) — takes every Pending waiting, integrates them in one transaction
//                           with one checkpoint                          → an Integrated group
//   publisher (1 thread) — records and serves the checkpoint, answers every push of the group
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chain/chain.hpp"
#include "protocol/protocol.hpp"
#include "rules/rules.hpp"
#include "service.hpp"

namespace lontar::server {

// A push on its way through the queue: the batch with its entries already encoded,
// hashed, checked (chain links and seal), decoded and keyed for the rules engine
// (rules::Prepared, pointing into `batch`) in the caller's thread, so that many
// pushes do this in parallel and the one integrator only judges and writes.
struct Pending {
  chain::Batch batch;
  std::vector<Bytes> entry_bytes;
  std::vector<Hash> entry_hashes;
  std::vector<rules::Prepared> prepared;
  std::promise<Result<protocol::PushResponse>> done;
};

// What one group commit changes in the counters (added only after the commit).
struct Counts {
  std::uint64_t integrated = 0, replayed = 0, equivocations = 0, refused = 0, rejected = 0, flagged = 0;
};

// A group the integrator committed: each push's outcome (receipts, or why it was
// refused), and the checkpoint signed for it.
struct Integrated {
  std::vector<std::unique_ptr<Pending>> group;
  std::vector<std::optional<Result<protocol::PushResponse>>> outcomes;  // one per push, all set
  Counts counts;
  std::string note;        // the checkpoint signed for it; empty when it added no leaf
  std::uint64_t size = 0;  // the tree size after it
};

// The log's counters (for /metrics), shared by push(), the integrator and the publisher.
struct Counters {
  std::atomic<std::uint64_t> pushes_total{0}, entries_integrated_total{0}, entries_replayed_total{0},
      equivocations_total{0}, batches_refused_total{0}, integrations_total{0}, verdicts_rejected_total{0},
      verdicts_flagged_total{0};
  std::atomic<std::size_t> in_flight{0};  // pushes queued or being integrated, not yet answered

  // Pushes answered with an error without reaching the log.
  void refused(std::size_t pushes) {
    pushes_total += pushes;
    batches_refused_total += pushes;
  }
  // A group answered: its pushes and what integrating it counted.
  void answered(std::size_t pushes, const Counts& c) {
    pushes_total += pushes;
    entries_integrated_total += c.integrated;
    entries_replayed_total += c.replayed;
    equivocations_total += c.equivocations;
    batches_refused_total += c.refused;
    verdicts_rejected_total += c.rejected;
    verdicts_flagged_total += c.flagged;
    in_flight -= pushes;
  }
  Metrics snapshot(std::uint64_t tree_size) const {
    return Metrics{tree_size,
                   pushes_total,
                   entries_integrated_total,
                   entries_replayed_total,
                   equivocations_total,
                   batches_refused_total,
                   integrations_total,
                   verdicts_rejected_total,
                   verdicts_flagged_total};
  }
};

}  // namespace lontar::server
