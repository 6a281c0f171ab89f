#include "merkle/tile_writer.hpp"

namespace lontar::merkle {
namespace {

// Tile levels a tree of uint64 size can have: 256^8 = 2^64 leaves.
constexpr unsigned tile_levels_max = 64 / tile_height;

TileWrite tile_of(unsigned level, std::uint64_t index, const std::vector<Hash>& hashes) {
  TileWrite t{TileId{false, static_cast<std::uint8_t>(level), index, static_cast<std::uint32_t>(hashes.size())}, {}};
  t.hashes.reserve(hashes.size() * sizeof(Hash));
  for (const Hash& h : hashes) append(t.hashes, h);
  return t;
}

}  // namespace

Result<TileWriter> TileWriter::resume(std::uint64_t size, const TileFetch& fetch) {
  TileWriter w;
  LONTAR_ASSIGN(w.builder_, RootBuilder::resume(TileReader(size, fetch), size));
  for (unsigned level = 0; level < tile_levels_max; ++level) {
    const std::uint64_t nodes = size >> (tile_height * level);  // complete subtrees at tree level 8L
    if (nodes == 0) break;
    w.partial_.emplace_back();
    w.grown_.push_back(false);
    const auto width = static_cast<std::uint32_t>(nodes % tile_width_full);
    if (width == 0) continue;
    const TileId id{false, static_cast<std::uint8_t>(level), nodes / tile_width_full, width};
    LONTAR_ASSIGN(Bytes bytes, fetch(id));
    LONTAR_ASSIGN(w.partial_.back(), parse_tile(id, bytes));
  }
  return w;
}

void TileWriter::append(const Hash& leaf_hash) {
  for (const Node& n : builder_.append(leaf_hash)) {
    if (n.id.level % tile_height != 0) continue;
    const unsigned level = n.id.level / tile_height;
    if (partial_.size() <= level) {
      partial_.resize(level + 1);
      grown_.resize(level + 1, false);
    }
    std::vector<Hash>& p = partial_[level];
    p.push_back(n.hash);
    grown_[level] = true;
    if (p.size() == tile_width_full) {
      completed_.push_back(tile_of(level, n.id.index / tile_width_full, p));
      p.clear();
    }
  }
}

std::vector<TileWrite> TileWriter::take_writes() {
  std::vector<TileWrite> out = std::move(completed_);
  completed_.clear();
  for (unsigned level = 0; level < partial_.size(); ++level) {
    if (!grown_[level]) continue;
    grown_[level] = false;
    const std::vector<Hash>& p = partial_[level];
    if (p.empty()) continue;
    out.push_back(tile_of(level, (size() >> (tile_height * level)) / tile_width_full, p));
  }
  return out;
}

}  // namespace lontar::merkle
