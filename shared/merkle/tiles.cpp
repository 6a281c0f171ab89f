// tiles.cpp — C2SP tlog-tiles paths, tile contents, a tile-backed HashReader, entry bundles.
#include "merkle/tiles.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>

namespace lontar::merkle {
namespace {

constexpr unsigned index_groups_max = 7;  // a uint64_t has at most 20 decimal digits

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The number of level-8L hashes in a tree of `size` leaves: floor(size / 256^L).
std::uint64_t hashes_at(unsigned level, std::uint64_t size) {
  const unsigned shift = level * tile_height;
  return shift >= 64 ? 0 : size >> shift;
}

// Parses a decimal number without leading zeros ("0" itself is fine), at most `max`.
Result<std::uint64_t> parse_small_decimal(std::string_view s, std::uint64_t max, const char* what) {
  if (s.empty() || s.size() > 3 || !std::all_of(s.begin(), s.end(), is_digit))
    return Error{Code::bad_input, fmt::format("{} '{}' is not a decimal number", what, s)};
  if (s.size() > 1 && s[0] == '0') return Error{Code::bad_input, fmt::format("{} '{}' has a leading zero", what, s)};
  std::uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<std::uint64_t>(c - '0');
  if (v > max) return Error{Code::bad_input, fmt::format("{} {} is above {}", what, v, max)};
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = s.find(sep, start);
    if (at == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, at - start));
    start = at + 1;
  }
}

void append_added(bool entries, unsigned level, std::uint64_t old_size, std::uint64_t new_size,
                  std::vector<TileId>& out) {
  const std::uint64_t old_count = hashes_at(level, old_size);
  const std::uint64_t new_count = hashes_at(level, new_size);
  if (new_count == old_count) return;
  for (std::uint64_t n = old_count / tile_width_full; n <= (new_count - 1) / tile_width_full; ++n) {
    const std::uint32_t w_new = tile_width(level, n, new_size);
    const std::uint32_t w_old = tile_width(level, n, old_size);
    if (w_new != w_old) out.push_back(TileId{entries, static_cast<std::uint8_t>(level), n, w_new});
  }
}

// The hash of the subtree over `hashes` (a power-of-two count), hashed pairwise in place.
Hash fold_subtree(std::span<const Hash> hashes) {
  assert(std::has_single_bit(hashes.size()));
  if (hashes.size() == 1) return hashes[0];
  std::array<Hash, tile_width_full / 2> buf;
  std::size_t n = hashes.size() / 2;
  for (std::size_t i = 0; i < n; ++i) buf[i] = node_hash(hashes[2 * i], hashes[2 * i + 1]);
  for (; n > 1; n /= 2)
    for (std::size_t i = 0; i < n / 2; ++i) buf[i] = node_hash(buf[2 * i], buf[2 * i + 1]);
  return buf[0];
}

}  // namespace

std::string tile_path(const TileId& id) {
  assert(id.width >= 1 && id.width <= tile_width_full);
  assert(id.level <= tile_level_max && (!id.entries || id.level == 0));
  std::string out = id.entries ? "tile/entries/" : fmt::format("tile/{}/", id.level);
  // 3-digit groups, most significant first.
  std::array<unsigned, index_groups_max> groups{};
  unsigned count = 0;
  std::uint64_t n = id.index;
  do {
    groups[count++] = static_cast<unsigned>(n % 1000);
    n /= 1000;
  } while (n != 0);
  for (unsigned i = count; i > 1; --i) out += fmt::format("x{:03}/", groups[i - 1]);
  out += fmt::format("{:03}", groups[0]);
  if (id.partial()) out += fmt::format(".p/{}", id.width);
  return out;
}

Result<TileId> parse_tile_path(std::string_view path) {
  auto refuse = [&](const std::string& why) {
    return Error{Code::bad_input, fmt::format("tile path '{}': {}", path.substr(0, tile_path_bytes_max), why)};
  };
  if (path.size() > tile_path_bytes_max) return refuse(fmt::format("longer than {} bytes", tile_path_bytes_max));
  const std::vector<std::string_view> parts = split(path, '/');
  if (parts.size() < 3 || parts[0] != "tile")
    return refuse("expected tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]");

  TileId id;
  if (parts[1] == "entries") {
    id.entries = true;
  } else {
    auto level = parse_small_decimal(parts[1], tile_level_max, "level");
    if (!level.ok()) return refuse(level.error().message);
    id.level = static_cast<std::uint8_t>(*level);
  }

  // Index groups: x123/.../456, optionally followed by ".p" on the last group and /<W>.
  std::size_t i = 2;
  std::uint64_t index = 0;
  unsigned groups = 0;
  for (;; ++i) {
    if (i >= parts.size()) return refuse("the index ends with an x-prefixed group; the last group has no 'x'");
    std::string_view g = parts[i];
    const bool more = !g.empty() && g[0] == 'x';
    if (more) g.remove_prefix(1);
    bool dot_p = false;
    if (!more && g.size() == 5 && g.substr(3) == ".p") {
      g = g.substr(0, 3);
      dot_p = true;
    }
    if (g.size() != 3 || !std::all_of(g.begin(), g.end(), is_digit))
      return refuse(fmt::format("index group '{}' is not {}3 digits", parts[i], more ? "x and " : ""));
    if (++groups > index_groups_max) return refuse("the index does not fit in 64 bits");
    const auto digits = static_cast<std::uint64_t>((g[0] - '0') * 100 + (g[1] - '0') * 10 + (g[2] - '0'));
    if (groups == 1 && more && digits == 0) return refuse("the index has a leading x000 group");
    if (__builtin_mul_overflow(index, std::uint64_t{1000}, &index) || __builtin_add_overflow(index, digits, &index))
      return refuse("the index does not fit in 64 bits");
    if (more) continue;
    if (dot_p) {
      if (i + 2 != parts.size()) return refuse("expected exactly one width element after '.p'");
      auto width = parse_small_decimal(parts[i + 1], tile_width_full - 1, "width");
      if (!width.ok()) return refuse(width.error().message);
      if (*width == 0) return refuse("width 0: empty tiles do not exist");
      id.width = static_cast<std::uint32_t>(*width);
    } else if (i + 1 != parts.size()) {
      return refuse("unexpected elements after the last index group");
    }
    break;
  }
  id.index = index;
  return id;
}

std::uint32_t tile_width(unsigned level, std::uint64_t index, std::uint64_t size) {
  const std::uint64_t count = hashes_at(level, size);
  const std::uint64_t tiles_full = count / tile_width_full;
  if (index < tiles_full) return tile_width_full;
  if (index == tiles_full) return static_cast<std::uint32_t>(count % tile_width_full);
  return 0;
}

std::vector<TileId> tiles_added(std::uint64_t old_size, std::uint64_t new_size) {
  assert(old_size <= new_size);
  std::vector<TileId> out;
  for (unsigned level = 0; level * tile_height <= node_level_max; ++level)
    append_added(false, level, old_size, new_size, out);
  return out;
}

std::vector<TileId> bundles_added(std::uint64_t old_size, std::uint64_t new_size) {
  assert(old_size <= new_size);
  std::vector<TileId> out;
  append_added(true, 0, old_size, new_size, out);
  return out;
}

Result<Bytes> tile_hashes(const HashReader& hashes, const TileId& id) {
  if (id.entries || id.level * tile_height > node_level_max || id.width == 0 || id.width > tile_width_full)
    return Error{Code::bad_input, fmt::format("{} is not a hash tile of a 64-bit tree", tile_path(id))};
  std::vector<NodeId> ids;
  ids.reserve(id.width);
  const auto level = static_cast<std::uint8_t>(id.level * tile_height);
  for (std::uint32_t i = 0; i < id.width; ++i) ids.push_back(NodeId{level, id.index * tile_width_full + i});
  LONTAR_ASSIGN(std::vector<Hash> got, hashes.read(ids));
  if (got.size() != ids.size())
    return Error{Code::internal, fmt::format("hash reader returned {} hashes for {} nodes", got.size(), ids.size())};
  Bytes out;
  out.reserve(got.size() * sizeof(Hash));
  for (const Hash& h : got) append(out, h);
  return out;
}

Result<std::vector<Hash>> parse_tile(const TileId& id, ByteView bytes) {
  if (bytes.size() != std::size_t{id.width} * sizeof(Hash))
    return Error{Code::corrupt, fmt::format("{} is {} bytes; a tile of width {} must be {} bytes", tile_path(id),
                                            bytes.size(), id.width, std::size_t{id.width} * sizeof(Hash))};
  std::vector<Hash> out(id.width);
  for (std::size_t i = 0; i < out.size(); ++i)
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(i * sizeof(Hash)), sizeof(Hash), out[i].begin());
  return out;
}

std::size_t TileCache::size() const {
  std::lock_guard lock(mu_);
  return map_.size();
}

std::shared_ptr<const TileCache::Expanded> TileCache::find(unsigned level, std::uint64_t index,
                                                           std::uint32_t width) const {
  std::lock_guard lock(mu_);
  auto it = map_.find({level + 64 * width, index});
  if (it == map_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.tile;
}

void TileCache::insert(unsigned level, std::uint64_t index, std::shared_ptr<const Expanded> tile, std::uint32_t width) {
  std::lock_guard lock(mu_);
  if (tiles_max_ == 0) return;
  const Key key{level + 64 * width, index};
  auto it = map_.find(key);
  if (it != map_.end()) {
    it->second.tile = std::move(tile);
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return;
  }
  while (map_.size() >= tiles_max_) {
    map_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(key);
  map_.emplace(key, Slot{std::move(tile), lru_.begin()});
}

namespace {

// The tile's inner levels, hashed: for a partial tile of width W, the W >> k complete nodes
// of each level k (the others stay zero and are never asked for: they are not complete).
std::shared_ptr<const TileCache::Expanded> expand(std::span<const Hash> tile) {
  assert(!tile.empty() && tile.size() <= tile_width_full);
  auto e = std::make_shared<TileCache::Expanded>();
  std::copy(tile.begin(), tile.end(), e->hashes.begin());
  std::size_t below = 0;             // offset of the level below
  std::size_t at = tile_width_full;  // offset of the level being hashed
  for (std::size_t n = tile_width_full / 2, k = 1; n >= 1; n /= 2, ++k) {
    const std::size_t complete = tile.size() >> k;
    for (std::size_t i = 0; i < complete; ++i)
      e->hashes[at + i] = node_hash(e->hashes[below + 2 * i], e->hashes[below + 2 * i + 1]);
    below = at;
    at += n;
  }
  return e;
}

}  // namespace

Result<std::vector<Hash>> TileReader::read(std::span<const NodeId> nodes) const {
  struct Loaded {
    TileId id;
    std::shared_ptr<const TileCache::Expanded> expanded;  // when there is a cache
    std::vector<Hash> hashes;                             // otherwise
  };
  std::vector<Loaded> tiles;  // few per call: a linear search beats a map
  std::vector<Hash> out;
  out.reserve(nodes.size());
  for (NodeId node : nodes) {
    if (!is_complete(node, size_))
      return Error{Code::not_found, fmt::format("node (level {}, index {}) is not a complete subtree of the tree of "
                                                "{} leaves these tiles describe",
                                                node.level, node.index, size_)};
    const unsigned tile_level = node.level / tile_height;
    const unsigned k = node.level % tile_height;
    const std::uint64_t first = node.index << k;  // first level-8L descendant
    const std::uint64_t tile_index = first / tile_width_full;
    const TileId id{false, static_cast<std::uint8_t>(tile_level), tile_index,
                    tile_width(tile_level, tile_index, size_)};
    auto it = std::find_if(tiles.begin(), tiles.end(), [&](const Loaded& l) { return l.id == id; });
    if (it == tiles.end()) {
      Loaded loaded{id, nullptr, {}};
      const bool cacheable = cache_ != nullptr;
      if (cacheable) loaded.expanded = cache_->find(tile_level, tile_index, id.width);
      if (loaded.expanded == nullptr) {
        auto bytes = fetch_(id);
        if (!bytes.ok()) return std::move(bytes).error().prefix(tile_path(id));
        LONTAR_ASSIGN(loaded.hashes, parse_tile(id, *bytes));
        if (cacheable) {
          loaded.expanded = expand(loaded.hashes);
          cache_->insert(tile_level, tile_index, loaded.expanded, id.width);
        }
      }
      tiles.push_back(std::move(loaded));
      it = tiles.end() - 1;
    }
    const std::size_t offset = first % tile_width_full;
    if (it->expanded != nullptr) {
      out.push_back(it->expanded->at(k, offset >> k));
    } else {
      const std::size_t count = std::size_t{1} << k;
      assert(offset + count <= it->hashes.size());  // the node is complete, so the tile holds it
      out.push_back(fold_subtree(std::span<const Hash>(it->hashes).subspan(offset, count)));
    }
  }
  return out;
}

Result<Bytes> encode_bundle(std::span<const Bytes> entries) {
  if (entries.size() > tile_width_full)
    return Error{Code::bad_input,
                 fmt::format("an entry bundle holds at most {} entries, not {}", tile_width_full, entries.size())};
  Bytes out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Bytes& e = entries[i];
    if (e.size() > bundle_entry_bytes_max)
      return Error{Code::bad_input, fmt::format("bundle entry {} is {} bytes; the format allows at most {}", i,
                                                e.size(), bundle_entry_bytes_max)};
    out.push_back(static_cast<std::uint8_t>(e.size() >> 8));
    out.push_back(static_cast<std::uint8_t>(e.size()));
    append(out, e);
  }
  return out;
}

Result<std::vector<Bytes>> parse_bundle(const TileId& id, ByteView bundle) {
  const std::string where = id.entries ? tile_path(id) : "entry bundle";
  if (bundle.size() > bundle_bytes_max)
    return Error{Code::bad_input, fmt::format("{}: {} bytes is more than a bundle can hold ({})", where, bundle.size(),
                                              bundle_bytes_max)};
  std::vector<Bytes> out;
  out.reserve(id.width);
  std::size_t at = 0;
  for (std::uint32_t i = 0; i < id.width; ++i) {
    if (bundle.size() - at < 2)
      return Error{Code::corrupt, fmt::format("{}: ends after {} of {} entries", where, i, id.width)};
    const std::size_t len = std::size_t{bundle[at]} << 8 | bundle[at + 1];
    at += 2;
    if (bundle.size() - at < len)
      return Error{Code::corrupt,
                   fmt::format("{}: entry {} claims {} bytes but only {} remain", where, i, len, bundle.size() - at)};
    out.emplace_back(bundle.begin() + static_cast<std::ptrdiff_t>(at),
                     bundle.begin() + static_cast<std::ptrdiff_t>(at + len));
    at += len;
  }
  if (at != bundle.size())
    return Error{Code::corrupt,
                 fmt::format("{}: {} bytes trail the last of {} entries", where, bundle.size() - at, id.width)};
  return out;
}

}  // namespace lontar::merkle
