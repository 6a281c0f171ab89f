#include "protocol/client.hpp"

#include <fmt/format.h>

namespace lontar::protocol {

namespace {

template <class T>
Result<T> decode_answer(const net::Response& r, std::string_view what) {
  auto v = encoding::decode<T>(r.bytes(), what);
  if (!v.ok()) return Error{Code::corrupt, fmt::format("the server's {} does not decode: {}", what, v.error().message)};
  return v;
}

}  // namespace

Result<net::Response> Client::get(const std::string& target) { return http_.call("GET", target); }

Result<Ledger> Client::ledger() {
  LONTAR_ASSIGN(net::Response r, get("/v1/ledger"));
  return decode_ledger(r.body);
}

Result<std::string> Client::checkpoint() {
  LONTAR_ASSIGN(net::Response r, get("/checkpoint"));
  if (r.body.size() > checkpoint_bytes_max) {
    return Error{Code::corrupt, fmt::format("the server's checkpoint is {} bytes, above the limit of {}", r.body.size(),
                                            checkpoint_bytes_max)};
  }
  return std::move(r.body);
}

Result<OfficeHead> Client::head(std::string_view principal) {
  LONTAR_ASSIGN(net::Response r, get(fmt::format("/v1/offices/{}/head", principal)));
  LONTAR_ASSIGN(OfficeHead h, decode_office_head(r.body));
  if (h.principal != principal) {
    return Error{Code::corrupt, fmt::format("asked for the head of {}, the server answered {}'s", principal,
                                            h.principal.substr(0, 200))};
  }
  return h;
}

Result<FeedPage> Client::feed(std::uint64_t from, std::uint64_t limit) {
  LONTAR_ASSIGN(net::Response r, get(fmt::format("/v1/feed?from={}&limit={}", from, limit)));
  return decode_answer<FeedPage>(r, "feed page");
}

Status Client::feed_range(std::uint64_t from, std::uint64_t to, const PageVisitor& page) {
  std::uint64_t next = from;
  while (next < to) {
    LONTAR_ASSIGN(FeedPage p, feed(next, std::min<std::uint64_t>(feed_items_max, to - next)));
    if (p.items.empty()) {
      return Error{Code::corrupt,
                   fmt::format("the server's feed is empty at leaf {} below its checkpoint's size {}", next, to)};
    }
    std::size_t n = 0;
    for (const auto& item : p.items) {
      if (next + n >= to) break;
      if (item.leaf_index != next + n) {
        return Error{Code::corrupt,
                     fmt::format("the server's feed skipped from leaf {} to {}", next + n, item.leaf_index)};
      }
      ++n;
    }
    LONTAR_ASSIGN(bool more, page(std::span<const FeedItem>(p.items.data(), n)));
    if (!more) return {};
    next += n;
  }
  return {};
}

Result<PushResponse> Client::push(const chain::Batch& batch) {
  LONTAR_ASSIGN(Bytes body, encoding::encode(batch));
  LONTAR_ASSIGN(net::Response r, http_.call("POST", "/v1/push", as_chars(body)));
  LONTAR_ASSIGN(PushResponse resp, decode_answer<PushResponse>(r, "push response"));
  if (resp.receipts.size() != batch.entries.size()) {
    return Error{Code::corrupt, fmt::format("the server answered {} receipts for a batch of {}", resp.receipts.size(),
                                            batch.entries.size())};
  }
  for (std::size_t i = 0; i < batch.entries.size(); ++i) {
    if (resp.receipts[i].seq != batch.entries[i].seq) {
      return Error{Code::corrupt, fmt::format("the server's receipt #{} is for seq {}, not {}", i, resp.receipts[i].seq,
                                              batch.entries[i].seq)};
    }
  }
  return resp;
}

Result<Proof> Client::inclusion_proof(std::uint64_t index, std::uint64_t size) {
  LONTAR_ASSIGN(net::Response r, get(fmt::format("/v1/proof/inclusion?index={}&size={}", index, size)));
  return decode_answer<Proof>(r, "inclusion proof");
}

Result<Proof> Client::consistency_proof(std::uint64_t old_size, std::uint64_t new_size) {
  LONTAR_ASSIGN(net::Response r, get(fmt::format("/v1/proof/consistency?old={}&new={}", old_size, new_size)));
  return decode_answer<Proof>(r, "consistency proof");
}

Result<Bytes> Client::tile(std::string_view path, std::size_t bytes_max) {
  const std::string target = "/" + std::string(path);
  LONTAR_ASSIGN(net::Response r, http_.get(target));
  if (r.status == 404) return Error{Code::not_found, http_.url() + target + ": not found (404)"};
  if (!r.ok()) return net::response_error(r, http_.url() + target);
  if (r.body.size() > bytes_max) {
    return Error{Code::corrupt,
                 fmt::format("{}{}: {} bytes, more than the limit {}", http_.url(), target, r.body.size(), bytes_max)};
  }
  return Bytes(r.body.begin(), r.body.end());
}

}  // namespace lontar::protocol
