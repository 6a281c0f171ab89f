#include "log/tree.hpp"

#include <bit>
#include <charconv>
#include <map>

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

std::uint64_t largest_power_of_two_below(std::uint64_t n) {
  // Requires n > 1: the k of RFC 6962 (k < n <= 2k).
  return std::bit_floor(n - 1);
}

Result<std::uint64_t> parse_decimal(std::string_view s, std::string_view what) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    return Error{Code::bad_input, "tile path: " + std::string(what) + " '" + std::string(s) + "' is not a number"};
  }
  return v;
}

// Reads node hashes (perfect subtrees) from tiles, caching the tiles it read.
class NodeReader {
 public:
  explicit NodeReader(const TileReadFn& read) : read_(read) {}

  // The root of the perfect subtree of height `h` (2^h leaves) at position `i`.
  Result<Hash> node(unsigned h, std::uint64_t i) {
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
                                      std::to_string(data.size() / hash_bytes) + " hashes, fewer than the tree needs; " +
                                      "the store is damaged — restore it from a backup"};
    }
    std::vector<Hash> hashes(count);
    for (std::size_t k = 0; k < count; ++k) {
      std::copy_n(data.begin() + static_cast<std::ptrdiff_t>((offset + k) * hash_bytes), hash_bytes, hashes[k].begin());
    }
    return perfect_root(hashes);
  }

  // MTH of leaves [lo, hi): one node when aligned and perfect, else split.
  Result<Hash> range(std::uint64_t lo, std::uint64_t hi) {
    std::uint64_t n = hi - lo;
    if (std::has_single_bit(n) && lo % n == 0) {
      return node(static_cast<unsigned>(std::countr_zero(n)), lo / n);
    }
    std::uint64_t k = largest_power_of_two_below(n);
    LONTAR_ASSIGN(Hash left, range(lo, lo + k));
    LONTAR_ASSIGN(Hash right, range(lo + k, hi));
    return node_hash(left, right);
  }

 private:
  const TileReadFn& read_;
  std::map<std::pair<unsigned, std::uint64_t>, Bytes> cache_;
};

Status inclusion_path(NodeReader& nodes, std::uint64_t m, std::uint64_t lo, std::uint64_t hi, std::vector<Hash>& out) {
  if (hi - lo == 1) return {};
  std::uint64_t k = largest_power_of_two_below(hi - lo);
  if (m < lo + k) {
    LONTAR_TRY(inclusion_path(nodes, m, lo, lo + k, out));
    LONTAR_ASSIGN(Hash h, nodes.range(lo + k, hi));
    out.push_back(h);
  } else {
    LONTAR_TRY(inclusion_path(nodes, m, lo + k, hi, out));
    LONTAR_ASSIGN(Hash h, nodes.range(lo, lo + k));
    out.push_back(h);
  }
  return {};
}

Status subproof(NodeReader& nodes, std::uint64_t m, std::uint64_t lo, std::uint64_t hi, bool whole,
                std::vector<Hash>& out) {
  std::uint64_t n = hi - lo;
  if (m == n) {
    if (!whole) {
      LONTAR_ASSIGN(Hash h, nodes.range(lo, hi));
      out.push_back(h);
    }
    return {};
  }
  std::uint64_t k = largest_power_of_two_below(n);
  if (m <= k) {
    LONTAR_TRY(subproof(nodes, m, lo, lo + k, whole, out));
    LONTAR_ASSIGN(Hash h, nodes.range(lo + k, hi));
    out.push_back(h);
  } else {
    LONTAR_TRY(subproof(nodes, m - k, lo + k, hi, false, out));
    LONTAR_ASSIGN(Hash h, nodes.range(lo, lo + k));
    out.push_back(h);
  }
  return {};
}

std::array<std::uint8_t, 4> key_id(std::string_view name, const crypto::PublicKey& key) {
  const std::uint8_t nl_alg[2] = {'\n', 0x01};
  Hash h = crypto::sha256({as_bytes(name), ByteView(nl_alg, 2), ByteView(key)});
  return {h[0], h[1], h[2], h[3]};
}

void append_hash(Bytes& out, const Hash& h) { out.insert(out.end(), h.begin(), h.end()); }

}  // namespace

Hash leaf_hash(ByteView leaf) {
  const std::uint8_t prefix = 0x00;
  return crypto::sha256({ByteView(&prefix, 1), leaf});
}

Hash node_hash(const Hash& left, const Hash& right) {
  const std::uint8_t prefix = 0x01;
  return crypto::sha256({ByteView(&prefix, 1), ByteView(left), ByteView(right)});
}

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
  if (size_ == 0) return crypto::sha256(ByteView{});
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
  if (index >= size) {
    return Error{Code::bad_input, "inclusion proof: leaf index " + std::to_string(index) +
                                      " is not below the tree size " + std::to_string(size)};
  }
  NodeReader nodes(read);
  std::vector<Hash> out;
  LONTAR_TRY(inclusion_path(nodes, index, 0, size, out));
  return out;
}

Result<std::vector<Hash>> consistency_proof(const TileReadFn& read, std::uint64_t old_size, std::uint64_t new_size) {
  if (old_size == 0 || old_size > new_size) {
    return Error{Code::bad_input, "consistency proof: old size " + std::to_string(old_size) +
                                      " must be 1.." + std::to_string(new_size) + " (the newer size)"};
  }
  std::vector<Hash> out;
  if (old_size == new_size) return out;
  NodeReader nodes(read);
  LONTAR_TRY(subproof(nodes, old_size, 0, new_size, true, out));
  return out;
}

Result<std::string> sign_checkpoint(std::string_view origin, std::uint64_t size, const Hash& root,
                                    const crypto::PrivateKey& key) {
  std::string text = std::string(origin) + "\n" + std::to_string(size) + "\n" + to_base64(root) + "\n";
  crypto::Signature sig = key.sign(as_bytes(text));
  auto id = key_id(origin, key.public_key());
  Bytes blob(id.begin(), id.end());
  append(blob, sig);
  return text + "\n\u2014 " + std::string(origin) + " " + to_base64(blob) + "\n";
}

std::string verifier_key(std::string_view origin, const crypto::PublicKey& key) {
  auto id = key_id(origin, key);
  Bytes k{0x01};
  append(k, key);
  return std::string(origin) + "+" + to_hex(id) + "+" + to_base64(k);
}

}  // namespace lontar::server::tree
