// scrub.hpp — re-reads the whole stored log against its signed tree (`lontar-server scrub`).
//
// The server serves what its database holds; a byte changed on its disk (a failing sector,
// a careless edit) would be served, and signed over at the next checkpoint, without anyone
// noticing until an auditor re-reads that leaf. A scrub reads the latest signed checkpoint
// (its signature checked with the log's own key), then every leaf up to its size: it
// recomputes each leaf hash and every hash tile from the leaves with the same TileWriter
// the integrator uses, compares each stored tile (at the checkpoint's widths) and the root
// with the checkpoint's, and checks each office entry's index row (leaf index and entry
// hash). Entry bundles are built from the leaves when served, so the leaves cover them.
// Reads committed rows only: it may run while the server serves (the log grows meanwhile;
// the scrub covers the checkpoint it started with). Memory: one batch of leaves and the
// unfinished tiles.
//
// Two users: `lontar-server scrub` reads the whole log at once (scrub()); the background
// scrub of `lontar-server run` (log_store.cpp) reads it a few leaves at a time at a bounded
// rate (ScrubPass::step), cycling through the log, and stops the log from signing when a
// pass finds damage (signing_stop.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "chain/chain.hpp"
#include "log/storage.hpp"
#include "merkle/tile_writer.hpp"

namespace lontar::server {

struct ScrubReport {
  std::uint64_t size = 0;  // the checkpoint's: leaves 0 .. size-1 were read
  std::uint64_t tiles_checked = 0;
  std::uint64_t entries_checked = 0;
  // What is damaged, each naming where (leaf index, tile path, principal and seq); at most
  // damage_max, then the count of the rest.
  std::vector<std::string> damage;
  std::uint64_t damage_not_listed = 0;
  bool clean() const { return damage.empty(); }
};

struct ScrubOptions {
  std::size_t damage_max = 50;
  // Called every `progress_every` leaves with the number read so far (for a long scrub).
  std::function<void(std::uint64_t)> progress;
  std::uint64_t progress_every = 1'000'000;
};

// One pass over the log, as far as the latest checkpoint when it started, in steps.
class ScrubPass {
 public:
  // Reads the latest checkpoint and checks its signature (a bad one is damage, and the
  // pass is then done). `storage` must outlive the pass. Errors: the store cannot be
  // read, or it has no checkpoint (nothing signed to check against).
  static Result<ScrubPass> start(LogStorage& storage, ScrubOptions options = {});

  // Reads and checks up to `leaves` more leaves (at least one); after the last leaf, the
  // unfinished tiles and the root. Returns whether the pass is done. Damage is not an
  // error: it is in report(). Errors: the store cannot be read (the pass can go on).
  Result<bool> step(std::uint64_t leaves);

  bool done() const { return done_; }
  std::uint64_t leaves_checked() const { return next_; }
  const ScrubReport& report() const { return report_; }

 private:
  ScrubPass(LogStorage& storage, ScrubOptions options) : storage_(&storage), options_(std::move(options)) {}
  void damaged(std::string what);
  Status check_tile(const merkle::TileWrite& expected);
  Status check_entry(std::uint64_t index, const chain::Entry& e);
  Status finish();

  LogStorage* storage_;
  ScrubOptions options_;
  ScrubReport report_;
  Hash root_{};  // the checkpoint's
  merkle::TileWriter tree_;
  std::uint64_t next_ = 0;  // the next leaf to read
  bool done_ = false;
};

// The whole pass at once. Errors as ScrubPass::start and step.
Result<ScrubReport> scrub(LogStorage& storage, const ScrubOptions& options = {});

}  // namespace lontar::server
