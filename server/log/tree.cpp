#include "log/tree.hpp"

#include <bit>
#include <charconv>
#include <map>

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

Result<std::uint64_t> parse_decimal(std::string_view s, std::string_view what) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    return Error{Code::bad_input, "tile path: " + std::string(what) + " '" + std::string(s) + "' is not a number"};
  }
  return v;
}

// The hashes of complete subtrees, read from stored tiles (each tile read once per proof):
// a node at height h sits in the tile level h / 8 as the root of 2^(h % 8) consecutive hashes.
class TileHashReader final : public merkle::HashReader {
 public:
  explicit TileHashReader(const TileReadFn& read) : read_(read) {}

  Result<std::vector<Hash>> read(std::span<const merkle::NodeId> nodes) const override {
    std::vector<Hash> out;
    out.reserve(nodes.size());
    for (const merkle::NodeId& id : nodes) {
      LONTAR_ASSIGN(Hash h, node(id.level, id.index));
      out.push_back(h);
    }
    return out;
  }

 private:
  Result<Hash> node(unsigned h, std::uint64_t i) const {
    unsigned level = h / tile_height;
    unsigned r = h % tile_height;
    std::uint64_t first = i << r;
    std::uint64_t count = std::uint64_t{1} << r;
    std::uint64_t tile_index = first / tile_width;
    std::size_t offset = first % tile_width;
    auto key = std::make_pair(level, tile_index);
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      LONTAR_ASSIGN(Bytes data, read_(level, tile_index));
      it = cache_.emplace(key, std::move(data)).first;
    }
    const Bytes& data = it->second;
    if (data.size() < (offset + count) * hash_bytes) {
      return Error{Code::corrupt, "tile " + std::to_string(level) + "/" + std::to_string(tile_index) + " holds " +
                                      std::to_string(data.size() / hash_bytes) +
                                      " hashes, fewer than the tree needs; the store is damaged — restore it from a "
                                      "backup"};
    }
    std::vector<Hash> hashes(count);
    for (std::size_t k = 0; k < count; ++k) {
      std::copy_n(data.begin() + static_cast<std::ptrdiff_t>((offset + k) * hash_bytes), hash_bytes, hashes[k].begin());
    }
    return perfect_root(hashes);
  }

  const TileReadFn& read_;
  mutable std::map<std::pair<unsigned, std::uint64_t>, Bytes> cache_;
};

void append_hash(Bytes& out, const Hash& h) { out.insert(out.end(), h.begin(), h.end()); }

}  // namespace

Hash leaf_hash(ByteView leaf) { return merkle::leaf_hash(leaf); }

Hash node_hash(const Hash& left, const Hash& right) { return merkle::node_hash(left, right); }

Result<TilePath> parse_tile_path(std::string_view path) {
  constexpr std::string_view prefix = "tile/";
  if (!path.starts_with(prefix)) {
    return Error{Code::bad_input, "tile path '" + std::string(path) + "' does not start with 'tile/'"};
  }
  std::string_view rest = path.substr(prefix.size());
  TilePath t;
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return Error{Code::bad_input, "tile path '" + std::string(path) + "' has no index"};
  std::string_view first = rest.substr(0, slash);
  rest = rest.substr(slash + 1);
  if (first == "entries") {
    t.entries = true;
  } else {
    LONTAR_ASSIGN(std::uint64_t level, parse_decimal(first, "level"));
    if (level >= tile_levels_max || first.size() > 1) {
      return Error{Code::bad_input, "tile path: level '" + std::string(first) + "' must be 0.." +
                                        std::to_string(tile_levels_max - 1)};
    }
    t.level = static_cast<unsigned>(level);
  }
  // Width suffix ".p/<W>" follows the last index element.
  auto dotp = rest.find(".p/");
  std::string_view index_part = rest.substr(0, dotp);
  if (dotp != std::string_view::npos) {
    std::string_view w = rest.substr(dotp + 3);
    LONTAR_ASSIGN(std::uint64_t width, parse_decimal(w, "width"));
    if (width < 1 || width >= tile_width || w.front() == '0') {
      return Error{Code::bad_input, "tile path: partial width '" + std::string(w) + "' must be 1..255"};
    }
    t.width = width;
  }
  std::uint64_t index = 0;
  while (true) {
    auto s = index_part.find('/');
    std::string_view elem = index_part.substr(0, s);
    bool last = s == std::string_view::npos;
    if (!last) {
      if (elem.size() != 4 || elem.front() != 'x') {
        return Error{Code::bad_input, "tile path: index element '" + std::string(elem) + "' must be x and 3 digits"};
      }
      elem.remove_prefix(1);
    } else if (elem.size() != 3) {
      return Error{Code::bad_input, "tile path: last index element '" + std::string(elem) + "' must be 3 digits"};
    }
    LONTAR_ASSIGN(std::uint64_t part, parse_decimal(elem, "index element"));
    if (index > (UINT64_MAX - part) / 1000) return Error{Code::bad_input, "tile path: index too large"};
    index = index * 1000 + part;
    if (last) break;
    index_part = index_part.substr(s + 1);
  }
  t.index = index;
  if (format_tile_path(t) != path) {
    return Error{Code::bad_input, "tile path '" + std::string(path) + "' is not in canonical C2SP form (" +
                                      format_tile_path(t) + ")"};
  }
  return t;
}

std::string format_tile_path(const TilePath& t) {
  std::string out = "tile/";
  out += t.entries ? std::string("entries") : std::to_string(t.level);
  std::vector<unsigned> groups;
  std::uint64_t n = t.index;
  do {
    groups.push_back(static_cast<unsigned>(n % 1000));
    n /= 1000;
  } while (n > 0);
  for (std::size_t i = groups.size(); i-- > 0;) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%s%03u", i > 0 ? "x" : "", groups[i]);
    out += "/";
    out += buf;
  }
  if (t.width < tile_width) out += ".p/" + std::to_string(t.width);
  return out;
}

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

Result<std::vector<Hash>> inclusion_proof(const TileReadFn& read, std::uint64_t index, std::uint64_t size) {
  TileHashReader hashes(read);
  return merkle::inclusion_proof(hashes, index, size);
}

Result<std::vector<Hash>> consistency_proof(const TileReadFn& read, std::uint64_t old_size, std::uint64_t new_size) {
  TileHashReader hashes(read);
  return merkle::consistency_proof(hashes, old_size, new_size);
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
