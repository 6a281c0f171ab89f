// tree.hpp — the log store's one door to Merkle hashing, tiles and checkpoints.
//
// Everything the central log needs from RFC 6962 hashing (shared/merkle) and from
// C2SP signed notes (shared/note) goes through this file, so that the store itself
// never spells out a hash rule or a note format.
//
// Tiles are C2SP tlog-tiles of height 8: a tile at level L holds up to 256 hashes,
// each the root of a perfect subtree of 256^L leaves. The store keeps the newest
// version of every tile: full tiles never change, the partial tile at the right
// edge of each level is rewritten as the tree grows (a narrower partial tile is a
// prefix of a wider one, so every published width can be served from it).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "crypto/crypto.hpp"
#include "merkle/tiles.hpp"

namespace lontar::server::tree {

constexpr unsigned tile_height = merkle::tile_height;
constexpr std::size_t tile_width = merkle::tile_width_full;  // hashes per full tile
constexpr std::size_t hash_bytes = 32;
constexpr unsigned tile_levels_max = 8;                                        // 256^8 = 2^64 leaves
constexpr std::size_t bundle_leaf_bytes_max = merkle::bundle_entry_bytes_max;  // uint16 length prefix

// RFC 6962: SHA-256(0x00 || leaf) and SHA-256(0x01 || left || right).
Hash leaf_hash(ByteView leaf);
Hash node_hash(const Hash& left, const Hash& right);

// A C2SP tile resource: a hash tile or an entry bundle (merkle/tiles.hpp).
using TilePath = merkle::TileId;
// Parses "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]" strictly (C2SP form).
Result<TilePath> parse_tile_path(std::string_view path);
std::string format_tile_path(const TilePath& t);
// The width of tile (level, index) in a tree of `size` leaves; 0 when it does not exist.
std::uint32_t tile_width_in(unsigned level, std::uint64_t index, std::uint64_t size);
// An entry bundle of `leaves` (uint16 big-endian length, then the bytes, for each).
Result<Bytes> encode_bundle(std::span<const Bytes> leaves);

// A stored tile: its hashes concatenated (32 bytes each).
struct TileData {
  unsigned level = 0;
  std::uint64_t index = 0;
  Bytes hashes;
};

// Reads the stored tile (level, index) — the newest, possibly partial, version;
// an empty Bytes when there is none.
using TileReadFn = std::function<Result<Bytes>(unsigned level, std::uint64_t index)>;

// The right edge of the tree: the partial tile of every level. Appending leaf
// hashes completes tiles; take_writes() hands over every tile that changed since
// the last call, to be stored in the same transaction as the leaves.
class Edge {
 public:
  // The edge of a tree of `size` leaves, read from stored tiles.
  static Result<Edge> load(std::uint64_t size, const TileReadFn& read);

  void append(const Hash& leaf_hash);
  std::uint64_t size() const { return size_; }
  // The RFC 6962 root of the tree (SHA-256 of "" for the empty tree).
  Hash root() const;
  // Tiles changed since the last call (completed full tiles and the current partial ones).
  std::vector<TileData> take_writes();

 private:
  std::uint64_t size_ = 0;
  std::vector<std::vector<Hash>> partial_;  // per level: hashes of the unfinished tile
  std::vector<TileData> full_written_;
  std::vector<bool> dirty_;
};

// Inclusion proof for leaf `index` in the tree of `size` leaves, and consistency
// proof between two sizes (RFC 9162 §2.1.3, §2.1.4), from stored tiles:
// O(log size) tile reads, each tile read once per proof.
Result<std::vector<Hash>> inclusion_proof(const TileReadFn& read, std::uint64_t index, std::uint64_t size);
Result<std::vector<Hash>> consistency_proof(const TileReadFn& read, std::uint64_t old_size, std::uint64_t new_size);

// Ok when `origin` can name the log and its key (a C2SP note key name).
Status check_origin(std::string_view origin);
// A C2SP tlog-checkpoint for (origin, size, root), signed as a C2SP signed note
// by the log key named `origin`.
Result<std::string> sign_checkpoint(std::string_view origin, std::uint64_t size, const Hash& root,
                                    const crypto::PrivateKey& key);
// The verifier key string "<origin>+<key id hex>+<base64 key>" that agents and auditors pin.
std::string verifier_key(std::string_view origin, const crypto::PublicKey& key);

}  // namespace lontar::server::tree
