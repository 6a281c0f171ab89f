// service.hpp — what the central log offers, independent of HTTP.
//
// The HTTP layer (server/http) authenticates the caller by the Ed25519 key in its
// TLS client certificate and calls this interface; the log store (server/log)
// implements it. Tests can drive the service directly, without a network.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "chain/chain.hpp"
#include "crypto/crypto.hpp"
#include "domain/domain.hpp"
#include "protocol/protocol.hpp"

namespace lontar::server {

// A principal authenticated by a registered, unrevoked key.
struct Caller {
  std::string principal;
  domain::Role role = domain::Role::office;
  crypto::PublicKey key{};
  // An office's registered scope (2-digit province or 4-digit regency code, "" = all): its
  // feed carries other offices' entries only about people whose NIK starts with it.
  std::string scope;
};

struct Metrics {
  std::uint64_t tree_size = 0;
  std::uint64_t pushes_total = 0;
  std::uint64_t entries_integrated_total = 0;
  std::uint64_t entries_replayed_total = 0;  // idempotent re-sends
  std::uint64_t equivocations_total = 0;
  std::uint64_t batches_refused_total = 0;
  std::uint64_t integrations_total = 0;  // group commits (one checkpoint each)
  std::uint64_t verdicts_rejected_total = 0;
  std::uint64_t verdicts_flagged_total = 0;
  // The background scrub (server/log/scrub.hpp) and the signing stop (signing_stop.hpp).
  std::uint64_t scrub_leaves_per_second = 0;  // as configured; 0: the scrub is off
  std::uint64_t scrub_leaves_checked_total = 0;
  std::uint64_t scrub_passes_total = 0;                 // complete passes over the log
  std::uint64_t scrub_last_pass_completed_seconds = 0;  // Unix time; 0: none yet
  std::uint64_t scrub_damage = 0;                       // 1: the scrub found damage (alarm)
  std::uint64_t integrator_invariant_broken = 0;        // 1: alarm
  std::uint64_t signing_stopped = 0;                    // 1: no checkpoint is signed, pushes get 503 (alarm)
};

class LogService {
 public:
  virtual ~LogService() = default;

  // The principal whose registered, unrevoked key this is; nullopt if none.
  virtual Result<std::optional<Caller>> authenticate(const crypto::PublicKey& key) = 0;

  // Integrates a batch pushed by `caller` (whose principal must equal the batch's).
  // Thread-safe; concurrent pushes are integrated together: one transaction and one
  // signed checkpoint for all pushes waiting (group commit). Idempotent: entries
  // already logged with the same hash get their earlier receipts; a different entry
  // under a known seq is equivocation: refused (Code::conflict), recorded, alarmed.
  // Returns only after the integration is durable.
  virtual Result<protocol::PushResponse> push(const Caller& caller, chain::Batch batch) = 0;

  // The server's head for a principal: last integrated seq and its entry hash
  // (0 and all-zero when it has pushed nothing).
  virtual Result<std::pair<std::uint64_t, Hash>> head(std::string_view principal) = 0;

  // Leaves after index `after` (exclusive; use -1 semantics via `from` = first index
  // wanted), at most `limit`, as `caller` may see them (full or redacted).
  virtual Result<protocol::FeedPage> feed(const Caller& caller, std::uint64_t from, std::size_t limit) = 0;

  virtual Result<protocol::Proof> inclusion_proof(std::uint64_t index, std::uint64_t size) = 0;
  virtual Result<protocol::Proof> consistency_proof(std::uint64_t old_size, std::uint64_t new_size) = 0;

  // The latest signed checkpoint (C2SP signed note).
  virtual std::string checkpoint() = 0;

  // A C2SP tlog-tiles resource: "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]".
  // Entry bundles hold personal data: the HTTP layer serves them to auditors only.
  virtual Result<Bytes> tile(std::string_view path) = 0;

  virtual Metrics metrics() = 0;
};

}  // namespace lontar::server
