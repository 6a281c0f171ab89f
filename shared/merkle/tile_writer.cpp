#include "merkle/tile_writer.hpp"

#include <algorithm>
#include <string>

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

// Hashes each tile level holds unfinished in a tree of `size` leaves; one per level that has
// a complete subtree.
std::vector<std::size_t> partial_widths(std::uint64_t size) {
  std::vector<std::size_t> out;
  for (unsigned level = 0; level < tile_levels_max; ++level) {
    const std::uint64_t nodes = size >> (tile_height * level);
    if (nodes == 0) break;
    out.push_back(static_cast<std::size_t>(nodes % tile_width_full));
  }
  return out;
}

}  // namespace

Result<TileWriter> TileWriter::restore(RootBuilder builder, ByteView saved) {
  const auto bad = [](const std::string& what) {
    return Error{Code::corrupt, "saved tile state: " + what + "; delete the state folder and audit from the start"};
  };
  TileWriter w;
  const std::vector<std::size_t> widths = partial_widths(builder.size());
  w.builder_ = std::move(builder);
  w.partial_.resize(widths.size());
  w.grown_.assign(widths.size(), false);
  std::size_t at = 0;
  const std::size_t levels = saved.empty() ? 0 : saved[at++];
  if (levels > tile_levels_max) return bad("bad level count");
  for (std::size_t level = 0; level < levels; ++level) {
    if (at + 2 > saved.size()) return bad("truncated");
    const std::size_t n = static_cast<std::size_t>(saved[at]) | static_cast<std::size_t>(saved[at + 1]) << 8;
    at += 2;
    if (n >= tile_width_full || at + n * sizeof(Hash) > saved.size()) return bad("bad hash count");
    if (n != (level < widths.size() ? widths[level] : 0)) {
      return bad("level " + std::to_string(level) + " holds " + std::to_string(n) + " hashes, not the " +
                 std::to_string(level < widths.size() ? widths[level] : 0) + " a tree of " + std::to_string(w.size()) +
                 " leaves has");
    }
    for (std::size_t i = 0; i < n; ++i, at += sizeof(Hash)) {
      Hash h;
      std::copy_n(saved.begin() + static_cast<std::ptrdiff_t>(at), sizeof(Hash), h.begin());
      w.partial_[level].push_back(h);
    }
  }
  if (at != saved.size()) return bad("trailing bytes");
  for (std::size_t level = levels; level < widths.size(); ++level) {
    if (widths[level] != 0) return bad("level " + std::to_string(level) + " is missing");
  }
  return w;
}

Bytes TileWriter::save_partial() const {
  Bytes out;
  out.push_back(static_cast<std::uint8_t>(partial_.size()));
  for (const auto& level : partial_) {
    out.push_back(static_cast<std::uint8_t>(level.size() & 0xff));
    out.push_back(static_cast<std::uint8_t>(level.size() >> 8));
    for (const Hash& h : level) lontar::append(out, h);
  }
  return out;
}

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

std::vector<TileWrite> TileWriter::take_completed() {
  std::vector<TileWrite> out = std::move(completed_);
  completed_.clear();
  return out;
}

std::vector<TileWrite> TileWriter::partial_tiles() const {
  std::vector<TileWrite> out;
  for (unsigned level = 0; level < partial_.size(); ++level) {
    if (partial_[level].empty()) continue;
    out.push_back(tile_of(level, (size() >> (tile_height * level)) / tile_width_full, partial_[level]));
  }
  return out;
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
