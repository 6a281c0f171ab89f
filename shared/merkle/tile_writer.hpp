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
//
// A checker that recomputes tiles to compare them with the ones a log serves (the auditor)
// takes only the completed tiles as they complete (take_completed), the partial ones at the
// end (partial_tiles), and carries the unfinished tiles' hashes from one run to the next
// with save_partial/restore, its tree continued from its own saved frontier.
#pragma once

#include <cstdint>
#include <span>
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
  // Continues `builder`'s tree with the unfinished tiles' hashes that save_partial wrote
  // at the same size. Corrupt when `saved` is malformed or holds a number of hashes at some
  // level that a tree of builder.size() leaves cannot have. Empty `saved` fits size 0 only.
  static Result<TileWriter> restore(RootBuilder builder, ByteView saved);
  // The unfinished tiles' hashes: one byte, the number of levels n; then for each level
  // 0..n-1 its hash count (uint16 little endian, < 256) and the hashes, 32 bytes each.
  Bytes save_partial() const;

  // Appends one leaf hash (leaf_hash of the leaf's bytes).
  void append(const Hash& leaf_hash);
  std::uint64_t size() const { return builder_.size(); }
  // The RFC 9162 root of every leaf appended: RootBuilder's.
  Hash root() const { return builder_.root(); }
  // The tiles completed or grown since the last call, lowest level first within each
  // completion; every one must be stored before a checkpoint of size() is published.
  std::vector<TileWrite> take_writes();
  // Only the tiles completed since the last call (width 256, lowest level first within each
  // completion); the partial tiles' grown state is left to take_writes.
  std::vector<TileWrite> take_completed();
  // The partial tile of every level at its current width (none where the width is 0).
  std::vector<TileWrite> partial_tiles() const;
  // The tree's frontier, to save and RootBuilder::resume from.
  std::span<const Node> frontier() const { return builder_.frontier(); }

 private:
  RootBuilder builder_;
  std::vector<std::vector<Hash>> partial_;  // per tile level: the hashes of its unfinished tile
  std::vector<bool> grown_;                 // per tile level: partial_ changed since take_writes
  std::vector<TileWrite> completed_;        // full tiles not yet taken
};

}  // namespace lontar::merkle
