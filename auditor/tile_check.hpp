// tile_check.hpp — checks the log's hash tiles against hashes recomputed from the entries.
//
// A C2SP hash tile at level L holds the hashes of up to 256 consecutive complete
// subtrees of height 8L (level 0: leaf hashes). The auditor recomputes every such
// tile from the entries with the same merkle::TileWriter the server builds its tiles
// with, and compares it with the tile the source serves: a tile that is missing,
// truncated or altered is a finding, because offices and witnesses who check
// inclusion against tiles would be misled by it.
//
// Memory: at most 255 pending hashes per tile level (a few levels), whatever the
// size of the log; TileWriter::save_partial/restore carry them to the next run.
#pragma once

#include "findings.hpp"
#include "merkle/tile_writer.hpp"
#include "source.hpp"

namespace lontar::audit {

// Checks each hash tile that `tiles`' last appends completed (TileWriter::take_completed).
Status check_completed_tiles(merkle::TileWriter& tiles, Source& source, Findings& findings);
// Checks the partial tile of each level of the tree `tiles` holds (the last tile of each level).
Status check_partial_tiles(const merkle::TileWriter& tiles, Source& source, Findings& findings);

}  // namespace lontar::audit
