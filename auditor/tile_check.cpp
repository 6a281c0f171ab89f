#include "tile_check.hpp"

#include <cstring>

namespace lontar::audit {
namespace {

// Compares the tile the source serves with `expected`, recomputed from the entries.
Status compare(const merkle::TileWrite& expected, Source& source, Findings& findings) {
  const std::string path = merkle::tile_path(expected.id);
  const std::size_t count = expected.id.width;
  const std::uint64_t first_leaf = (expected.id.index * merkle::tile_width_full)
                                   << (merkle::tile_height * expected.id.level);
  auto got = source.tile(path);
  if (!got.ok() && got.error().code != Code::not_found && got.error().code != Code::corrupt) {
    return std::move(got).error().prefix("reading " + path);
  }
  if (!got.ok()) {
    findings.add(check::tile_mismatch, first_leaf, "", std::nullopt, path + ": " + got.error().message);
    return {};
  }
  if (got->size() != expected.hashes.size()) {
    findings.add(check::tile_mismatch, first_leaf, "", std::nullopt,
                 path + ": " + std::to_string(got->size()) + " bytes, expected " +
                     std::to_string(expected.hashes.size()) + " (" + std::to_string(count) +
                     " hashes); the tile is truncated or padded");
    return {};
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (std::memcmp(got->data() + i * 32, expected.hashes.data() + i * 32, 32) != 0) {
      const std::uint64_t leaf = (expected.id.index * merkle::tile_width_full + i)
                                 << (merkle::tile_height * expected.id.level);
      findings.add(check::tile_mismatch, leaf, "", std::nullopt,
                   path + ": hash " + std::to_string(i) + " differs from the one recomputed from the entries");
      return {};
    }
  }
  return {};
}

}  // namespace

Status check_completed_tiles(merkle::TileWriter& tiles, Source& source, Findings& findings) {
  for (const merkle::TileWrite& t : tiles.take_completed()) LONTAR_TRY(compare(t, source, findings));
  return {};
}

Status check_partial_tiles(const merkle::TileWriter& tiles, Source& source, Findings& findings) {
  for (const merkle::TileWrite& t : tiles.partial_tiles()) LONTAR_TRY(compare(t, source, findings));
  return {};
}

}  // namespace lontar::audit
