#include "log/reader.hpp"

#include "encoding/encoding.hpp"

namespace lontar::server {

Result<std::optional<Caller>> LogReader::authenticate(const crypto::PublicKey& key) { return store_.key_owner(key); }

Result<std::pair<std::uint64_t, Hash>> LogReader::head(std::string_view principal) {
  LONTAR_ASSIGN(Head h, store_.head(principal));
  return std::pair<std::uint64_t, Hash>{h.seq, h.hash};
}

Result<protocol::FeedPage> LogReader::feed(const Caller& caller, std::uint64_t from, std::size_t limit) {
  protocol::FeedPage page;
  page.tree_size = published_.size();
  limit = std::min(limit, protocol::feed_items_max);
  if (from >= page.tree_size || limit == 0) return page;
  const bool sees_all = caller.role == domain::Role::auditor || caller.role == domain::Role::admin;
  LONTAR_TRY(store_.leaves(from, page.tree_size, limit, [&](std::uint64_t index, ByteView bytes) -> Status {
    protocol::FeedItem item;
    item.leaf_index = index;
    LONTAR_ASSIGN(chain::Leaf leaf, encoding::decode<chain::Leaf>(bytes, "stored leaf " + std::to_string(index)));
    const bool full = sees_all || leaf.type == chain::LeafType::seal || leaf.entry.principal == caller.principal ||
                      domain::is_admin_kind(leaf.entry.kind);
    if (full) {
      item.form = protocol::FeedForm::full;
      item.leaf.assign(bytes.begin(), bytes.end());
    } else {
      item.form = protocol::FeedForm::redacted;
      LONTAR_ASSIGN(item.redacted, rules::redact(leaf.entry, leaf.verdict, nik_key_));
    }
    page.items.push_back(std::move(item));
    return {};
  }));
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
