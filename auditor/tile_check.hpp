// tile_check.hpp — checks the log's hash tiles against hashes recomputed from the entries.
//
// A C2SP hash tile at level L holds the hashes of up to 256 consecutive complete
// subtrees of height 8L (level 0: leaf hashes). The auditor recomputes every such
// hash from the entries (merkle::RootBuilder reports each complete subtree as it
// finishes) and compares it with the tile the source serves: a tile that is
// missing, truncated or altered is a finding, because offices and witnesses who
// check inclusion against tiles would be misled by it.
//
// Memory: at most 255 pending hashes per tile level (a few levels), whatever the
// size of the log; save()/load() carry them to the next run.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "findings.hpp"
#include "merkle/merkle.hpp"
#include "merkle/tiles.hpp"
#include "source.hpp"

namespace lontar::audit {

constexpr std::size_t tile_levels_max = 8;  // 256^8 = 2^64 leaves

class TileChecker {
 public:
  // Resumes from save() output; empty bytes start a new log.
  static Result<TileChecker> load(ByteView saved);
  Bytes save() const;

  // Takes the complete subtrees one append finished (lowest level first); checks
  // each hash tile that they complete.
  Status on_nodes(std::span<const merkle::Node> nodes, Source& source, Findings& findings);
  // Checks the partial tiles of the tree of `size` leaves (the last tile of each level).
  Status finish(std::uint64_t size, Source& source, Findings& findings) const;

 private:
  Status compare(unsigned level, std::uint64_t tile_index, std::span<const Hash> expected, Source& source,
                 Findings& findings) const;
  std::vector<std::vector<Hash>> pending_;  // per tile level: hashes of its current, unfinished tile
};

}  // namespace lontar::audit
