// client.hpp — the Lontar HTTP API as typed calls (docs/PROTOCOL.md): one place that
// knows the routes, decodes every answer and bounds it.
//
// Errors keep their meaning: transport failures and HTTP statuses as net::Client
// gives them (io, bad_input, unauthorized, not_found, conflict, pin_mismatch), and
// Code::corrupt for an answer that does not decode or breaks the protocol (naming
// what). Nothing here judges an answer against what was trusted before: that is
// TrustedLog's (trusted_log.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "chain/chain.hpp"
#include "net/client.hpp"
#include "protocol/ledger.hpp"
#include "protocol/protocol.hpp"

namespace lontar::protocol {

class Client {
 public:
  explicit Client(net::Client http) : http_(std::move(http)) {}

  // GET /v1/ledger.
  Result<Ledger> ledger();
  // GET /checkpoint: the signed note as served (at most checkpoint_bytes_max bytes).
  Result<std::string> checkpoint();
  // GET /v1/offices/<principal>/head; the answer must name `principal`.
  Result<OfficeHead> head(std::string_view principal);
  // GET /v1/feed: at most `limit` leaves from leaf `from`.
  Result<FeedPage> feed(std::uint64_t from, std::uint64_t limit);
  // The leaves [from, to) in order, page by page: each page's items are checked to
  // be consecutive from the next leaf wanted (and cut at `to`) before `page` sees
  // them. `page` returns false to stop early. A page that is empty below `to`, or
  // that skips a leaf, is Code::corrupt.
  using PageVisitor = std::function<Result<bool>(std::span<const FeedItem> items)>;
  Status feed_range(std::uint64_t from, std::uint64_t to, const PageVisitor& page);
  // POST /v1/push of one batch; the response must hold one receipt per entry, in
  // the batch's seq order.
  Result<PushResponse> push(const chain::Batch& batch);
  // GET /v1/proof/inclusion and /v1/proof/consistency.
  Result<Proof> inclusion_proof(std::uint64_t index, std::uint64_t size);
  Result<Proof> consistency_proof(std::uint64_t old_size, std::uint64_t new_size);
  // GET /<path> of a C2SP tile or entry bundle (at most `bytes_max`); Code::not_found
  // on 404.
  Result<Bytes> tile(std::string_view path, std::size_t bytes_max);

  // GET of any other resource (/metrics, /healthz); a non-2xx status is an Error.
  Result<net::Response> get(const std::string& target);

  const std::string& url() const { return http_.url(); }

 private:
  net::Client http_;
};

}  // namespace lontar::protocol
