#include "log/reader.hpp"

#include <map>
#include <string>
#include <variant>

#include "encoding/encoding.hpp"

namespace lontar::server {

Result<std::optional<Caller>> LogReader::authenticate(const crypto::PublicKey& key) { return store_.key_owner(key); }

Result<std::pair<std::uint64_t, Hash>> LogReader::head(std::string_view principal) {
  LONTAR_ASSIGN(Head h, store_.head(principal));
  return std::pair<std::uint64_t, Hash>{h.seq, h.hash};
}

namespace {

// The NIK an office entry's payload names; "" for kinds without one (payout, void).
std::string nik_of(const domain::Payload& payload) {
  return std::visit(
      [](const auto& p) -> std::string {
        if constexpr (requires { p.nik; }) {
          return p.nik;
        } else {
          return {};
        }
      },
      payload);
}

// Whether a person (by NIK) lies in a scope: a NIK's first 2 digits are its province,
// its first 4 its regency (domain::parse_nik); "" is everywhere.
bool in_scope(std::string_view nik, std::string_view scope) {
  return nik.size() >= scope.size() && nik.starts_with(scope);
}

protocol::FeedItem withheld(std::uint64_t index) {
  protocol::FeedItem item;
  item.leaf_index = index;
  item.form = protocol::FeedForm::withheld;
  return item;
}

}  // namespace

Result<protocol::FeedPage> LogReader::feed(const Caller& caller, std::uint64_t from, std::size_t limit) {
  protocol::FeedPage page;
  page.tree_size = published_.size();
  limit = std::min(limit, protocol::feed_items_max);
  if (from >= page.tree_size || limit == 0) return page;
  const bool sees_all = caller.role == domain::Role::auditor || caller.role == domain::Role::admin;
  const bool scoped = !sees_all && !caller.scope.empty();
  // Other offices' payouts name a claim, not a person: placed by their claim's NIK once
  // the page is read (the store's leaf iteration must not be re-entered).
  std::vector<std::pair<std::size_t, std::string>> payouts;  // (item, claim_no)
  LONTAR_TRY(store_.leaves(from, page.tree_size, limit, [&](std::uint64_t index, ByteView bytes) -> Status {
    protocol::FeedItem item;
    item.leaf_index = index;
    LONTAR_ASSIGN(chain::Leaf leaf, encoding::decode<chain::Leaf>(bytes, "stored leaf " + std::to_string(index)));
    const bool full = sees_all || leaf.type == chain::LeafType::seal || leaf.entry.principal == caller.principal ||
                      domain::is_admin_kind(leaf.entry.kind);
    if (full) {
      item.form = protocol::FeedForm::full;
      item.leaf.assign(bytes.begin(), bytes.end());
      page.items.push_back(std::move(item));
      return {};
    }
    if (scoped) {
      auto payload = domain::decode_payload(leaf.entry.kind, leaf.entry.payload);
      if (!payload.ok()) {  // rejected as undecodable: nothing to fold, no person to place
        page.items.push_back(withheld(index));
        return {};
      }
      if (const auto* payout = std::get_if<domain::PayoutMade>(&*payload)) {
        payouts.emplace_back(page.items.size(), payout->claim_no);
      } else if (!std::holds_alternative<domain::EntryVoid>(*payload) && !in_scope(nik_of(*payload), caller.scope)) {
        page.items.push_back(withheld(index));
        return {};
      }
    }
    item.form = protocol::FeedForm::redacted;
    LONTAR_ASSIGN(item.redacted, rules::redact(leaf.entry, leaf.verdict, nik_key_));
    page.items.push_back(std::move(item));
    return {};
  }));
  std::map<std::string, bool, std::less<>> claim_in_scope;
  for (const auto& [at, claim_no] : payouts) {
    auto known = claim_in_scope.find(claim_no);
    if (known == claim_in_scope.end()) {
      bool inside = false;  // no applied claim (rejected or voided payout's claim): nothing to place it by
      LONTAR_ASSIGN(auto claim_bytes, store_.claim_leaf(claim_no));
      if (claim_bytes) {
        LONTAR_ASSIGN(chain::Leaf claim, encoding::decode<chain::Leaf>(*claim_bytes, "leaf of claim " + claim_no));
        auto payload = domain::decode_payload(claim.entry.kind, claim.entry.payload);
        inside = payload.ok() && in_scope(nik_of(*payload), caller.scope);
      }
      known = claim_in_scope.emplace(claim_no, inside).first;
    }
    if (!known->second) page.items[at] = withheld(page.items[at].leaf_index);
  }
  return page;
}

merkle::TileReader LogReader::tiles(std::uint64_t size) {
  return merkle::TileReader(
      size, [this](const merkle::TileId& id) { return store_.tile(id); }, cache_.get());
}

Result<protocol::Proof> LogReader::inclusion_proof(std::uint64_t index, std::uint64_t size) {
  const std::uint64_t have = published_.size();
  if (size > have) {
    return Error{Code::not_found, "inclusion proof: tree size " + std::to_string(size) +
                                      " is beyond the latest checkpoint (" + std::to_string(have) + ")"};
  }
  LONTAR_ASSIGN(std::vector<Hash> hashes, merkle::inclusion_proof(tiles(size), index, size));
  return protocol::Proof{index, size, std::move(hashes)};
}

Result<protocol::Proof> LogReader::range_proof(std::uint64_t begin, std::uint64_t end, std::uint64_t size) {
  const std::uint64_t have = published_.size();
  if (size > have) {
    return Error{Code::not_found, "range proof: tree size " + std::to_string(size) +
                                      " is beyond the latest checkpoint (" + std::to_string(have) + ")"};
  }
  LONTAR_ASSIGN(std::vector<Hash> hashes, merkle::range_proof(tiles(size), begin, end, size));
  return protocol::Proof{begin, size, std::move(hashes)};
}

Result<protocol::Proof> LogReader::consistency_proof(std::uint64_t old_size, std::uint64_t new_size) {
  const std::uint64_t have = published_.size();
  if (new_size > have) {
    return Error{Code::not_found, "consistency proof: tree size " + std::to_string(new_size) +
                                      " is beyond the latest checkpoint (" + std::to_string(have) + ")"};
  }
  if (old_size == 0) {
    return Error{Code::bad_input, "consistency proof: old size must be at least 1 (every tree extends the empty one)"};
  }
  LONTAR_ASSIGN(std::vector<Hash> hashes, merkle::consistency_proof(tiles(new_size), old_size, new_size));
  return protocol::Proof{old_size, new_size, std::move(hashes)};
}

Result<Bytes> LogReader::tile(std::string_view path) {
  LONTAR_ASSIGN(merkle::TileId t, merkle::parse_tile_path(path));
  const std::uint64_t size = published_.size();
  if (merkle::tile_width(t.entries ? 0 : t.level, t.index, size) < t.width) {
    return Error{Code::not_found,
                 std::string(path) + ": the tree of " + std::to_string(size) + " leaves has no such tile (yet)"};
  }
  return t.entries ? bundle(t, path) : store_.tile(t);
}

Result<Bytes> LogReader::bundle(const merkle::TileId& t, std::string_view path) {
  const std::uint64_t first = t.index * merkle::tile_width_full;
  std::vector<Bytes> leaves;
  leaves.reserve(t.width);
  LONTAR_TRY(store_.leaves(first, first + t.width, t.width, [&](std::uint64_t, ByteView leaf) -> Status {
    leaves.emplace_back(leaf.begin(), leaf.end());
    return {};
  }));
  if (leaves.size() != t.width) {
    return Error{Code::corrupt, std::string(path) + ": " + std::to_string(leaves.size()) + " leaves stored, " +
                                    std::to_string(t.width) + " expected; restore the store from a backup"};
  }
  return merkle::encode_bundle(leaves);
}

Result<std::vector<Equivocation>> LogReader::equivocations(std::size_t limit) { return store_.equivocations(limit); }

}  // namespace lontar::server
