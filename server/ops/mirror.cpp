#include "ops/mirror.hpp"

#include <fmt/format.h>

#include "crypto/x509.hpp"
#include "merkle/tiles.hpp"

namespace lontar::server::ops {

Result<Mirror> Mirror::open(const std::filesystem::path& dir, const note::Verifier& log, std::string_view origin) {
  const auto path = dir / "checkpoint";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Error{Code::not_found, fmt::format("{}: no checkpoint file; --from-mirror takes a folder written by "
                                              "`lontar-server export` (checkpoint, tile/...)",
                                              path.string())};
  }
  Mirror m;
  m.dir_ = dir;
  LONTAR_ASSIGN(m.note_, crypto::read_file(path));
  auto cp = note::open_checkpoint(m.note_, log, origin);
  if (!cp.ok()) {
    return Error{Code::corrupt, fmt::format("{}: not a checkpoint of this log: {}", path.string(), cp.error().message)};
  }
  m.checkpoint_ = std::move(cp).value();
  return m;
}

Result<Bytes> Mirror::leaf(std::uint64_t index) {
  if (index >= checkpoint_.size) {
    return Error{Code::bad_input, fmt::format("leaf {} is beyond the mirror's {} leaves", index, checkpoint_.size)};
  }
  const std::uint64_t n = index / merkle::tile_width_full;
  if (n != bundle_index_) {
    merkle::TileId id;
    id.entries = true;
    id.index = n;
    id.width = merkle::tile_width(0, n, checkpoint_.size);
    const auto path = dir_ / merkle::tile_path(id);
    auto text = crypto::read_file(path);
    if (!text.ok()) {
      return Error{Code::not_found, fmt::format("{}: {}; the mirror lacks the entry bundles (tile/entries/), which "
                                                "only auditors' copies hold",
                                                path.string(), text.error().message)};
    }
    auto leaves = merkle::parse_bundle(id, as_bytes(*text));
    if (!leaves.ok()) return std::move(leaves).error().prefix(path.string());
    bundle_ = std::move(leaves).value();
    bundle_index_ = n;
  }
  return bundle_[index % merkle::tile_width_full];
}

}  // namespace lontar::server::ops
