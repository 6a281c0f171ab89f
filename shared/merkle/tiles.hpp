// tiles.hpp — C2SP tlog-tiles: the log's Merkle tree and entries as static, cacheable files.
//
// A hash tile at level L, index N holds the hashes of the complete subtrees at tree level 8L
// with indices N*256 .. N*256 + W - 1, concatenated (32 bytes each). Full tiles have W = 256;
// the rightmost tile of each level may be partial (1 <= W <= 255). A tile at level L, index N
// of width W exists in a tree of size s when W = min(256, floor(s / 256^L) - N*256) >= 1.
// Entry bundles hold the leaves themselves, each as a big-endian uint16 length and its bytes,
// one bundle per level-0 tile (same N and W).
//
// Paths (relative to the log's URL prefix):
//   tile/<L>/<N>[.p/<W>]       hash tile
//   tile/entries/<N>[.p/<W>]   entry bundle
// <L> and <W> are decimal without leading zeros; <N> is split into 3-digit groups, every
// group but the last prefixed with "x": index 1234067 is x001/x234/067.
// Spec: https://c2sp.org/tlog-tiles.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "merkle/merkle.hpp"

namespace lontar::merkle {

constexpr unsigned tile_height = 8;                                     // tree levels per tile
constexpr std::uint32_t tile_width_full = 1u << tile_height;            // 256 hashes
constexpr std::size_t tile_bytes_max = tile_width_full * sizeof(Hash);  // 8192 bytes
constexpr unsigned tile_level_max = 63;                                 // the spec's bound on <L>
constexpr std::size_t tile_path_bytes_max = 64;                         // longest valid path is 52 bytes
constexpr std::size_t bundle_entry_bytes_max = 0xffff;                  // uint16 length prefix
constexpr std::size_t bundle_bytes_max = tile_width_full * (2 + bundle_entry_bytes_max);

// A hash tile or an entry bundle.
struct TileId {
  bool entries = false;                   // an entry bundle (tile/entries/...) rather than a hash tile
  std::uint8_t level = 0;                 // hash tiles: 0..tile_level_max; entry bundles: always 0
  std::uint64_t index = 0;                // N
  std::uint32_t width = tile_width_full;  // W: 1..256, 256 = full
  bool partial() const { return width < tile_width_full; }
  bool operator==(const TileId&) const = default;
};

// The path of a tile, e.g. "tile/0/x001/x234/067" or "tile/entries/005.p/17".
// Requires a valid id (width 1..256, level <= tile_level_max, level 0 for bundles).
std::string tile_path(const TileId& id);

// Parses a path made by tile_path. Strict: refuses (bad_input, with the reason) anything
// else — leading zeros, upper-case, missing or extra "x" prefixes, a width of 0, 256 or
// above, non-canonical groups such as x000/001, trailing slashes, overlong paths.
Result<TileId> parse_tile_path(std::string_view path);

// The width of hash tile (level, index) in a tree of `size` leaves; 0 when it does not exist.
// For entry bundles use level 0.
std::uint32_t tile_width(unsigned level, std::uint64_t index, std::uint64_t size);

// The hash tiles that a tree of `new_size` has and a tree of `old_size` does not (new tiles,
// and partial tiles that grew), lowest level first. tiles_added(0, n) lists every hash tile
// of a tree of size n. Requires old_size <= new_size.
std::vector<TileId> tiles_added(std::uint64_t old_size, std::uint64_t new_size);
// The same for entry bundles.
std::vector<TileId> bundles_added(std::uint64_t old_size, std::uint64_t new_size);

// The bytes of hash tile `id`, read from `hashes` (one batch read). Requires a hash tile whose
// level-8L nodes are all complete in the reader's tree.
Result<Bytes> tile_hashes(const HashReader& hashes, const TileId& id);

// Splits the bytes of hash tile `id` into hashes. corrupt unless exactly id.width * 32 bytes.
Result<std::vector<Hash>> parse_tile(const TileId& id, ByteView bytes);

// Fetches the bytes of a hash tile (from a database, a directory, or over HTTPS).
using TileFetch = std::function<Result<Bytes>(const TileId&)>;

// A bounded, thread-safe cache of hash tiles with the tree levels inside them already
// hashed (up to 511 hashes, 16 KiB per tile), keyed by level, index and width. A tile of a
// given width never changes (a partial tile grows into a wider one, a new key), so one cache
// can serve every TileReader of one log, whatever its size: a server answering proofs keeps
// the upper tiles, which every proof touches, and the partial tiles of the right edge, which
// every proof's right-hand side touches, hashed once. Least recently used tiles are dropped
// first (older widths of a growing partial tile among them).
// It trusts what it is given: a reader that verifies proofs against a signed checkpoint
// (an auditor) may share it too, since a bad tile makes the proofs fail, not pass.
class TileCache {
 public:
  explicit TileCache(std::size_t tiles_max) : tiles_max_(tiles_max) {}
  std::size_t size() const;

  // A tile's hashes by tree level inside it: the 256 hashes of tree level 8L, then 128
  // of level 8L+1, ... then the 1 of level 8L+8. A partial tile of width W fills only the
  // W >> k complete nodes of each level 8L + k.
  struct Expanded {
    std::array<Hash, 2 * tile_width_full - 1> hashes;
    // The hash of the node at level 8L + k (k <= 8) with index `i` counted from the tile's start.
    const Hash& at(unsigned k, std::size_t i) const {
      return hashes[2 * tile_width_full - (2 * tile_width_full >> k) + i];
    }
  };
  std::shared_ptr<const Expanded> find(unsigned level, std::uint64_t index,
                                       std::uint32_t width = tile_width_full) const;
  void insert(unsigned level, std::uint64_t index, std::shared_ptr<const Expanded> tile,
              std::uint32_t width = tile_width_full);

 private:
  using Key = std::pair<unsigned, std::uint64_t>;  // (level + 64 * width, index)
  struct KeyHash {
    std::size_t operator()(const Key& k) const { return std::hash<std::uint64_t>()(k.second * 64 + k.first); }
  };
  struct Slot {
    std::shared_ptr<const Expanded> tile;
    std::list<Key>::iterator lru;
  };
  std::size_t tiles_max_;
  mutable std::mutex mu_;
  mutable std::list<Key> lru_;  // most recently used first
  std::unordered_map<Key, Slot, KeyHash> map_;
};

// A HashReader over the tiles of a tree of `size` leaves. A node at level 8L + k (k < 8) is
// read from the level-L tile holding its 2^k descendants at level 8L and hashed up from them,
// so a proof costs one fetch per distinct tile it touches (about two per tile level) and at
// most 255 hashes per tile. Each read() fetches each distinct tile once; full tiles are kept
// in `cache` (optional, may be shared between readers and threads) across calls, and so are
// partial tiles (by width).
// Nodes that are not complete in the tree of `size` are refused with not_found; a tile of the
// wrong length is corrupt; fetch errors are returned prefixed with the tile's path.
class TileReader final : public HashReader {
 public:
  TileReader(std::uint64_t size, TileFetch fetch, TileCache* cache = nullptr)
      : size_(size), fetch_(std::move(fetch)), cache_(cache) {}
  std::uint64_t size() const { return size_; }
  Result<std::vector<Hash>> read(std::span<const NodeId> nodes) const override;

 private:
  std::uint64_t size_;
  TileFetch fetch_;
  TileCache* cache_;
};

// An entry bundle: each entry as a big-endian uint16 length followed by its bytes.
// bad_input when there are more than 256 entries or an entry exceeds bundle_entry_bytes_max.
Result<Bytes> encode_bundle(std::span<const Bytes> entries);

// Parses the entry bundle `id` (its width is the number of entries it must hold). Strict:
// corrupt when the bundle holds fewer or more entries, a length runs past the end, or
// bytes trail the last entry; bad_input when the bundle exceeds bundle_bytes_max.
Result<std::vector<Bytes>> parse_bundle(const TileId& id, ByteView bundle);

}  // namespace lontar::merkle
