// tile_writer.hpp — the hash tiles of a growing log, built from RootBuilder's finished nodes.
//
// One compact range serves both sides of the log: the server appends each new leaf hash
// here and stores the tiles this hands over (and signs root()), while an auditor recomputes
// the same root with a bare RootBuilder over the same leaves. Both roots come from one
// RootBuilder, as transparency-dev's compact.Range serves tessera's integrator and its
// clients.
//
// Every node RootBuilder::append finishes at tree level 8L is hash number (index % 256) of
// hash tile (L, index / 256) (tiles.hpp). A tile is handed over by take_writes() when it
// completes (width 256, never to change again) and, until then, at its current width each
// time it grew since the last call: a narrower version of a tile is a prefix of a wider one,
// so a store that keeps only the newest version of each tile serves every published width.
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "merkle/merkle.hpp"
#include "merkle/tiles.hpp"

namespace lontar::merkle {

// A hash tile to store: its id (with its current width) and its id.width * 32 bytes.
struct TileWrite {
  TileId id;
  Bytes hashes;
};

class TileWriter {
 public:
  TileWriter() = default;
  // Continues a tree of `size` leaves whose tiles `fetch` returns (at the widths asked
  // for): reads the root nodes (RootBuilder::resume over a TileReader) and the partial
  // tile of every level. Errors are fetch's, or corrupt for a tile of the wrong length.
  static Result<TileWriter> resume(std::uint64_t size, const TileFetch& fetch);

  // Appends one leaf hash (leaf_hash of the leaf's bytes).
  void append(const Hash& leaf_hash);
  std::uint64_t size() const { return builder_.size(); }
  // The RFC 9162 root of every leaf appended: RootBuilder's.
  Hash root() const { return builder_.root(); }
  // The tiles completed or grown since the last call, lowest level first within each
  // completion; every one must be stored before a checkpoint of size() is published.
  std::vector<TileWrite> take_writes();

 private:
  RootBuilder builder_;
  std::vector<std::vector<Hash>> partial_;  // per tile level: the hashes of its unfinished tile
  std::vector<bool> grown_;                 // per tile level: partial_ changed since take_writes
  std::vector<TileWrite> completed_;        // full tiles not yet taken
};

}  // namespace lontar::merkle
