// signing_stop.hpp — the log's one switch that stops it from signing checkpoints.
//
// Two things throw it: the background scrub finding stored data that does not match the
// signed tree (scrub.hpp, log_store.cpp), and the integrator finding one of its invariants
// broken (integrator.hpp), such as a tree read back after a rollback that is not the one the
// last checkpoint signed. Once thrown it stays thrown until the process restarts: every push
// is refused with why() (Code::io: HTTP 503, so offices keep their entries and push again
// later), no group is integrated and no checkpoint is signed; /metrics says it
// (lontar_signing_stopped). Reads (feed, proofs, tiles) go on being served: they are checked
// by their readers against the signed tree.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <string>

#include "base/result.hpp"

namespace lontar::server {

class SigningStop {
 public:
  enum class Cause { scrub_damage, integrator_invariant };

  // Stops signing for `why` (its message names the damage and what to run). Only the first
  // cause is kept; returns whether this call was the first (the caller then raises the alarm
  // in the log, once).
  bool stop(Cause cause, std::string why) {
    std::lock_guard lock(mu_);
    if (cause_) return false;
    cause_ = cause;
    why_ = Error{Code::io, std::move(why)};
    stopped_ = true;
    return true;
  }
  bool stopped() const { return stopped_.load(std::memory_order_acquire); }
  // The error pushes are refused with; nullopt while signing goes on.
  std::optional<Error> why() const {
    if (!stopped()) return std::nullopt;
    std::lock_guard lock(mu_);
    return why_;
  }
  std::optional<Cause> cause() const {
    if (!stopped()) return std::nullopt;
    std::lock_guard lock(mu_);
    return cause_;
  }

 private:
  std::atomic<bool> stopped_{false};
  mutable std::mutex mu_;
  std::optional<Cause> cause_;
  std::optional<Error> why_;
};

}  // namespace lontar::server
