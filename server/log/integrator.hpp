// integrator.hpp — the one writer of the log: turns queued pushes into leaves, verdicts
// and a signed checkpoint, one group per transaction.
//
// For each push of a group, in queue order (integrate_one):
//   1. the seal's key must be allowed at this point (rules::seal_allowed; genesis too);
//   2. entries at or below the principal's logged head are replays: the same entry hash
//      gets its earlier receipt, a different one is equivocation (refused, evidence kept);
//   3. the first new entry must continue the head (seq + 1, and the head's hash as prev);
//   4. new entries: the seal leaf, then one leaf per entry with the verdict of the rules
//      engine judged against the state before it (the state then advances), the entries,
//      seal, keys and head rows — or, when nothing is new, the receipts of the earlier seal.
// A refused push changes nothing (except equivocation evidence). Then, once per group that
// added leaves, commit_checkpoint(): the tiles that changed, a checkpoint signed for the new
// size, stored in the same transaction as the leaves it covers.
//
// Invariants checked after each group, before its commit: the tree grew by exactly the
// leaves the receipts name, every push has an outcome, every accepted push has one receipt
// per entry, and the counts add up; and, when the tree is read back from the store after a
// failed transaction, that it is the tree the latest checkpoint signed. They cost
// O(entries) and stay on in release builds. A broken one (a bug, or a stored tile that
// changed) stops signing (signing_stop.hpp): nothing of the group is committed, every push
// from then on is refused with a message saying so and what to run, and /metrics raises
// the alarm; the process keeps serving reads. Signing also stops when the background scrub
// finds damage (checked before each group and again just before its checkpoint is signed).
//
// Only the integrator's thread calls it (and mirror restore, when no push is in flight).
// Its in-memory state — the tree's right edge (merkle::TileWriter) and the heads of the
// principals that pushed recently — mirrors the store; after a failed transaction it is
// reloaded from the store, so that it always matches what is committed.
//
// The rules state is reached through one pointer (state_): during a group, a batch overlay
// (rules::OverlayState) over the store's own (WriteSide::rules_state()) that keeps the
// group's rules changes in memory and writes them, sorted, just before the commit; a
// rolled-back group's overlay is thrown away with the transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "base/result.hpp"
#include "crypto/crypto.hpp"
#include "log/group.hpp"
#include "log/signing_stop.hpp"
#include "log/storage.hpp"
#include "merkle/tile_writer.hpp"

namespace lontar::server {

// A tree size and the root the log must have at that size (from a signed checkpoint).
struct TreeHead {
  std::uint64_t size = 0;
  Hash root{};
};

class Integrator {
 public:
  // `store`, `log_key` and `stop` must outlive it.
  Integrator(WriteSide& store, const LogSettings& settings, const crypto::PrivateKey& log_key, std::string name,
             SigningStop& stop);

  // Loads the tree from the store and checks it against the latest stored checkpoint;
  // returns the checkpoint to serve (for an empty log, one of the empty tree, signed now
  // and not stored). corrupt when the store does not hold what its checkpoint signed.
  Result<std::string> load();

  // Integrates `group.group` in one transaction: fills its outcomes, counts, note and
  // size. On an error nothing of the group is in the store (and the in-memory state is
  // reloaded); the caller answers every push with the error. Once signing has stopped,
  // returns why at once.
  Status integrate(Integrated& group);

  // Restore from a mirror (LogStore::append_mirrored, mirror_restore.cpp): appends the
  // leaves size() .. heads.back().size - 1, read through `leaf_at`, as leaves already
  // judged, checking roots at the given sizes; one transaction; returns the checkpoint
  // signed for the last size (empty when nothing was appended).
  Result<std::string> append_mirrored(std::span<const TreeHead> heads,
                                      const std::function<Result<Bytes>(std::uint64_t index)>& leaf_at);

  std::uint64_t size() const { return tree_.size(); }

 private:
  using Outcome = std::optional<Result<protocol::PushResponse>>;

  Status integrate_one(Pending& p, Counts& counts, Outcome& outcome);
  // Step 2: the receipts of the batch's entries already logged (at or below `head`).
  // Returns how many there are; sets `outcome` when the push is refused (equivocation).
  Result<std::size_t> replay_logged(Pending& p, const Head& head, protocol::PushResponse& resp, Counts& counts,
                                    Outcome& outcome);
  // Step 4: the seal leaf, then entries first_new.. with their verdicts.
  Status append_new(Pending& p, std::size_t first_new, protocol::PushResponse& resp, Counts& counts);
  // Write tiles, sign, store the checkpoint: the one way a checkpoint comes to be.
  Result<std::string> commit_checkpoint();
  // broken() (before the commit) when one does not hold.
  Status check_invariants(const Integrated& group, std::uint64_t start_size);
  // Stops signing for a broken invariant `what` (the alarm is logged once); the error to
  // answer with.
  Error broken(const std::string& what);
  // After a failed transaction: the in-memory state as the store has it (at start_size);
  // marks it stale, so that the next group first resyncs.
  void reload(std::uint64_t start_size);
  // The in-memory state from what the store holds now (its leaf count): before a group
  // after a failed one, whose commit may have landed unseen or been fenced. broken() when
  // the tree read is not the one the latest checkpoint signed.
  Status resync();

  Result<Head> head_of(const std::string& principal);
  Status append_leaf(ByteView leaf);
  Status record_equivocation(const Pending& p, std::uint64_t seq, const Hash& logged, const Hash& offered);
  // Keeps the key → principal rows (for authenticate) in step with applied principal.* entries.
  Status track_keys(const chain::Entry& e, const domain::Verdict& v);
  // One mirrored leaf (append_mirrored).
  Status restore_leaf(std::uint64_t index, const Bytes& bytes);

  WriteSide& store_;
  const LogSettings& settings_;
  const crypto::PrivateKey& log_key_;
  std::string name_;  // the store, for messages
  SigningStop& stop_;
  rules::State* base_state_;  // the store's (WriteSide::rules_state())
  rules::State* state_;       // the group's overlay over it, during integrate()
  merkle::TileWriter tree_;
  std::unordered_map<std::string, Head> heads_;  // a cache of the store's heads
  bool stale_ = false;                           // resync() before the next group
};

}  // namespace lontar::server
