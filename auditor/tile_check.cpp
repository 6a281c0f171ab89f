#include "tile_check.hpp"

#include <cstring>

namespace lontar::audit {
namespace {

constexpr unsigned tile_height = merkle::tile_height;
constexpr std::size_t tile_width = merkle::tile_width_full;

std::string hash_tile_path(unsigned level, std::uint64_t index, std::size_t width) {
  return merkle::tile_path(
      merkle::TileId{false, static_cast<std::uint8_t>(level), index, static_cast<std::uint32_t>(width)});
}

}  // namespace

Result<TileChecker> TileChecker::load(ByteView saved) {
  TileChecker t;
  std::size_t at = 0;
  auto need = [&](std::size_t n) { return at + n <= saved.size(); };
  if (saved.empty()) return t;
  if (!need(1) || saved[0] > tile_levels_max) return Error{Code::corrupt, "saved tile state: bad level count"};
  t.pending_.resize(saved[at++]);
  for (auto& level : t.pending_) {
    if (!need(2)) return Error{Code::corrupt, "saved tile state: truncated"};
    std::size_t n = static_cast<std::size_t>(saved[at]) | static_cast<std::size_t>(saved[at + 1]) << 8;
    at += 2;
    if (n >= tile_width || !need(n * 32)) return Error{Code::corrupt, "saved tile state: bad hash count"};
    level.resize(n);
    for (auto& h : level) {
      std::memcpy(h.data(), saved.data() + at, 32);
      at += 32;
    }
  }
  if (at != saved.size()) return Error{Code::corrupt, "saved tile state: trailing bytes"};
  return t;
}

Bytes TileChecker::save() const {
  Bytes out;
  out.push_back(static_cast<std::uint8_t>(pending_.size()));
  for (const auto& level : pending_) {
    out.push_back(static_cast<std::uint8_t>(level.size() & 0xff));
    out.push_back(static_cast<std::uint8_t>(level.size() >> 8));
    for (const auto& h : level) append(out, h);
  }
  return out;
}

Status TileChecker::compare(unsigned level, std::uint64_t tile_index, std::span<const Hash> expected, Source& source,
                            Findings& findings) const {
  std::string path = hash_tile_path(level, tile_index, expected.size());
  std::uint64_t first_leaf = (tile_index * tile_width) << (tile_height * level);
  auto got = source.tile(path);
  if (!got.ok() && got.error().code != Code::not_found && got.error().code != Code::corrupt) {
    return std::move(got).error().prefix("reading " + path);
  }
  if (!got.ok()) {
    findings.add(check::tile_mismatch, first_leaf, "", std::nullopt, path + ": " + got.error().message);
    return {};
  }
  if (got->size() != expected.size() * 32) {
    findings.add(check::tile_mismatch, first_leaf, "", std::nullopt,
                 path + ": " + std::to_string(got->size()) + " bytes, expected " +
                     std::to_string(expected.size() * 32) + " (" + std::to_string(expected.size()) +
                     " hashes); the tile is truncated or padded");
    return {};
  }
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (std::memcmp(got->data() + i * 32, expected[i].data(), 32) != 0) {
      std::uint64_t leaf = (tile_index * tile_width + i) << (tile_height * level);
      findings.add(check::tile_mismatch, leaf, "", std::nullopt,
                   path + ": hash " + std::to_string(i) + " differs from the one recomputed from the entries");
      return {};
    }
  }
  return {};
}

Status TileChecker::on_nodes(std::span<const merkle::Node> nodes, Source& source, Findings& findings) {
  for (const auto& node : nodes) {
    if (node.id.level % tile_height != 0) continue;
    unsigned level = node.id.level / tile_height;
    if (level >= tile_levels_max) return Error{Code::internal, "tree deeper than the tile levels supported"};
    if (pending_.size() <= level) pending_.resize(level + 1);
    auto& pend = pending_[level];
    if (pend.size() != node.id.index % tile_width) {
      return Error{Code::internal, "tile state out of step with the tree at level " + std::to_string(level) +
                                       "; delete the state folder and audit from the start"};
    }
    pend.push_back(node.hash);
    if (pend.size() == tile_width) {
      LONTAR_TRY(compare(level, node.id.index / tile_width, pend, source, findings));
      pend.clear();
    }
  }
  return {};
}

Status TileChecker::finish(std::uint64_t size, Source& source, Findings& findings) const {
  for (unsigned level = 0; level < tile_levels_max; ++level) {
    std::uint64_t count = size >> (tile_height * level);
    if (count == 0) break;
    std::size_t width = count % tile_width;
    if (width == 0) continue;
    if (pending_.size() <= level || pending_[level].size() != width) {
      return Error{Code::internal, "tile state holds the wrong number of hashes at level " + std::to_string(level)};
    }
    LONTAR_TRY(compare(level, count / tile_width, pending_[level], source, findings));
  }
  return {};
}

}  // namespace lontar::audit
