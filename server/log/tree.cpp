#include "log/tree.hpp"

#include <bit>

#include "merkle/merkle.hpp"
#include "note/checkpoint.hpp"

namespace lontar::server::tree {

namespace {

Hash perfect_root(std::span<const Hash> hashes) {
  // Requires a power-of-two count: the root of a perfect subtree.
  std::vector<Hash> level(hashes.begin(), hashes.end());
  while (level.size() > 1) {
    for (std::size_t i = 0; i < level.size() / 2; ++i) level[i] = node_hash(level[2 * i], level[2 * i + 1]);
    level.resize(level.size() / 2);
  }
  return level.front();
}

void append_hash(Bytes& out, const Hash& h) { out.insert(out.end(), h.begin(), h.end()); }

}  // namespace

Hash leaf_hash(ByteView leaf) { return merkle::leaf_hash(leaf); }

Hash node_hash(const Hash& left, const Hash& right) { return merkle::node_hash(left, right); }

Result<TilePath> parse_tile_path(std::string_view path) { return merkle::parse_tile_path(path); }

std::string format_tile_path(const TilePath& t) { return merkle::tile_path(t); }

std::uint32_t tile_width_in(unsigned level, std::uint64_t index, std::uint64_t size) {
  return merkle::tile_width(level, index, size);
}

Result<Bytes> encode_bundle(std::span<const Bytes> leaves) { return merkle::encode_bundle(leaves); }

Result<Edge> Edge::load(std::uint64_t size, const TileReadFn& read) {
  Edge e;
  e.size_ = size;
  for (unsigned level = 0; level < tile_levels_max; ++level) {
    std::uint64_t count = level == 0 ? size : size >> (tile_height * level);
    if (count == 0) break;
    e.partial_.emplace_back();
    e.dirty_.push_back(false);
    std::size_t width = count % tile_width;
    if (width == 0) continue;
    LONTAR_ASSIGN(Bytes data, read(level, count / tile_width));
    if (data.size() < width * hash_bytes) {
      return Error{Code::corrupt, "stored tile " + std::to_string(level) + "/" + std::to_string(count / tile_width) +
                                      " has " + std::to_string(data.size() / hash_bytes) + " hashes but the tree of " +
                                      std::to_string(size) + " leaves needs " + std::to_string(width) +
                                      "; the store is damaged — restore it from a backup"};
    }
    auto& p = e.partial_.back();
    p.resize(width);
    for (std::size_t k = 0; k < width; ++k) {
      std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(k * hash_bytes), hash_bytes, p[k].begin());
    }
  }
  return e;
}

void Edge::append(const Hash& h) {
  ++size_;
  Hash carry = h;
  for (unsigned level = 0;; ++level) {
    if (partial_.size() <= level) {
      partial_.emplace_back();
      dirty_.push_back(false);
    }
    auto& p = partial_[level];
    p.push_back(carry);
    dirty_[level] = true;
    if (p.size() < tile_width) break;
    // The tile is complete: store it for good and carry its root one level up.
    std::uint64_t index = (size_ >> (tile_height * (level + 1))) - 1;
    TileData full{level, index, {}};
    full.hashes.reserve(tile_width * hash_bytes);
    for (const Hash& x : p) append_hash(full.hashes, x);
    full_written_.push_back(std::move(full));
    carry = perfect_root(p);
    p.clear();
  }
}

Hash Edge::root() const {
  if (size_ == 0) return merkle::empty_root();
  std::vector<Hash> peaks;  // perfect subtrees, largest (leftmost) first
  for (std::size_t level = partial_.size(); level-- > 0;) {
    const auto& p = partial_[level];
    std::size_t pos = 0;
    for (int bit = static_cast<int>(tile_height) - 1; bit >= 0; --bit) {
      std::size_t block = std::size_t{1} << bit;
      if ((p.size() & block) == 0) continue;
      peaks.push_back(perfect_root(std::span<const Hash>(p).subspan(pos, block)));
      pos += block;
    }
  }
  Hash acc = peaks.back();
  for (std::size_t i = peaks.size() - 1; i-- > 0;) acc = node_hash(peaks[i], acc);
  return acc;
}

std::vector<TileData> Edge::take_writes() {
  std::vector<TileData> out = std::move(full_written_);
  full_written_.clear();
  for (unsigned level = 0; level < partial_.size(); ++level) {
    if (!dirty_[level]) continue;
    dirty_[level] = false;
    const auto& p = partial_[level];
    if (p.empty()) continue;
    TileData t{level, size_ >> (tile_height * (level + 1)), {}};
    t.hashes.reserve(p.size() * hash_bytes);
    for (const Hash& x : p) append_hash(t.hashes, x);
    out.push_back(std::move(t));
  }
  return out;
}

namespace {
// A merkle::TileReader over the stored tiles. The store keeps the newest (widest)
// version of each tile; a tree of `size` needs a prefix of it.
merkle::TileReader stored_tiles(const TileReadFn& read, std::uint64_t size) {
  return merkle::TileReader(size, [&read](const merkle::TileId& id) -> Result<Bytes> {
    LONTAR_ASSIGN(Bytes data, read(id.level, id.index));
    if (data.size() < std::size_t{id.width} * hash_bytes) {
      return Error{Code::corrupt, format_tile_path(id) + ": the stored tile holds " +
                                      std::to_string(data.size() / hash_bytes) +
                                      " hashes, fewer than the tree needs; the store is damaged — restore it from a "
                                      "backup"};
    }
    data.resize(std::size_t{id.width} * hash_bytes);
    return data;
  });
}
}  // namespace

Result<std::vector<Hash>> inclusion_proof(const TileReadFn& read, std::uint64_t index, std::uint64_t size) {
  return merkle::inclusion_proof(stored_tiles(read, size), index, size);
}

Result<std::vector<Hash>> consistency_proof(const TileReadFn& read, std::uint64_t old_size, std::uint64_t new_size) {
  if (old_size == 0) {
    return Error{Code::bad_input, "consistency proof: old size must be at least 1 (every tree extends the empty one)"};
  }
  return merkle::consistency_proof(stored_tiles(read, new_size), old_size, new_size);
}

Result<std::string> sign_checkpoint(std::string_view origin, std::uint64_t size, const Hash& root,
                                    const crypto::PrivateKey& key) {
  return note::sign_checkpoint(note::Checkpoint{std::string(origin), size, root, {}}, origin, key);
}

Status check_origin(std::string_view origin) { return note::check_key_name(origin); }

std::string verifier_key(std::string_view origin, const crypto::PublicKey& key) {
  auto v = note::Verifier::make(std::string(origin), key);
  return v.ok() ? v->to_string() : std::string();
}

}  // namespace lontar::server::tree
