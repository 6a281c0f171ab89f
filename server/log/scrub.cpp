#include "log/scrub.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "chain/chain.hpp"
#include "encoding/encoding.hpp"
#include "merkle/merkle.hpp"
#include "merkle/tile_writer.hpp"
#include "note/checkpoint.hpp"

namespace lontar::server {
namespace {

constexpr std::size_t leaves_per_read = 4096;

}  // namespace

void ScrubPass::damaged(std::string what) {
  if (report_.damage.size() < options_.damage_max) {
    report_.damage.push_back(std::move(what));
  } else {
    ++report_.damage_not_listed;
  }
}

// The stored tile against the one recomputed from the leaves.
Status ScrubPass::check_tile(const merkle::TileWrite& expected) {
  ++report_.tiles_checked;
  const std::string path = merkle::tile_path(expected.id);
  auto stored = storage_->write_side().tile(expected.id);  // not read_side: its leaves() is reading
  if (!stored.ok() && stored.error().code != Code::corrupt && stored.error().code != Code::not_found) {
    return std::move(stored).error();
  }
  if (!stored.ok()) {
    damaged(fmt::format("hash tile {}: {}", path, stored.error().message));
  } else if (*stored != expected.hashes) {
    std::size_t i = 0;  // the first hash that differs
    while ((i + 1) * sizeof(Hash) <= std::min(stored->size(), expected.hashes.size()) &&
           std::equal(expected.hashes.begin() + static_cast<std::ptrdiff_t>(i * sizeof(Hash)),
                      expected.hashes.begin() + static_cast<std::ptrdiff_t>((i + 1) * sizeof(Hash)),
                      stored->begin() + static_cast<std::ptrdiff_t>(i * sizeof(Hash)))) {
      ++i;
    }
    const unsigned shift = merkle::tile_height * expected.id.level;
    const std::uint64_t leaf = (expected.id.index * merkle::tile_width_full + i) << shift;
    if (expected.id.level == 0) {
      damaged(
          fmt::format("leaf {}: its stored bytes do not hash to the tree's leaf hash ({} hash {}): the leaf "
                      "or the tile changed on disk",
                      leaf, path, i));
    } else {
      damaged(fmt::format("hash tile {}: hash {} (leaves {}..{}) is not the one recomputed from the leaves", path, i,
                          leaf, leaf + (std::uint64_t{1} << shift) - 1));
    }
  }
  return {};
}

// An office entry's index row: where it was logged and its hash.
Status ScrubPass::check_entry(std::uint64_t index, const chain::Entry& e) {
  ++report_.entries_checked;
  LONTAR_ASSIGN(auto logged, storage_->write_side().entry(e.principal, e.seq));
  const Hash hash = chain::entry_hash(e);
  if (!logged) {
    damaged(fmt::format("leaf {}: entry {} #{} has no index row", index, e.principal, e.seq));
  } else if (logged->leaf_index != index || logged->entry_hash != hash) {
    damaged(fmt::format("leaf {}: the index row of entry {} #{} says leaf {} and another hash", index, e.principal,
                        e.seq, logged->leaf_index));
  }
  return {};
}

Result<ScrubPass> ScrubPass::start(LogStorage& storage, ScrubOptions options) {
  ScrubPass pass(storage, std::move(options));
  LONTAR_ASSIGN(auto latest, storage.write_side().latest_checkpoint());
  if (!latest) return Error{Code::not_found, storage.name() + ": no signed checkpoint to check the leaves against"};
  const LogSettings& settings = storage.settings();
  LONTAR_ASSIGN(note::Verifier verifier, note::Verifier::make(settings.origin, settings.log_public_key));
  auto cp = note::open_checkpoint(latest->note, verifier, settings.origin);
  if (!cp.ok()) {
    pass.damaged(fmt::format("the latest stored checkpoint ({} leaves) does not verify with the log's key: {}",
                             latest->size, cp.error().message));
    pass.done_ = true;
    return pass;
  }
  pass.report_.size = cp->size;
  pass.root_ = cp->root;
  if (cp->size == 0) LONTAR_TRY(pass.finish());
  return pass;
}

Result<bool> ScrubPass::step(std::uint64_t leaves) {
  if (done_) return true;
  const std::uint64_t size = report_.size;
  const std::uint64_t first = next_;
  const std::uint64_t end = std::min(size, first + std::max<std::uint64_t>(leaves, 1));
  bool gap = false;
  while (next_ < end && !gap) {
    const std::uint64_t from = next_;
    const std::size_t limit = static_cast<std::size_t>(std::min<std::uint64_t>(end - from, leaves_per_read));
    Status read = storage_->read_side().leaves(from, end, limit, [&](std::uint64_t i, ByteView leaf) -> Status {
      if (i != next_) {
        gap = true;
        return Error{Code::corrupt, "gap"};  // stops the read; reported below
      }
      ++next_;
      tree_.append(merkle::leaf_hash(leaf));
      for (const merkle::TileWrite& t : tree_.take_completed()) LONTAR_TRY(check_tile(t));
      auto decoded = encoding::decode<chain::Leaf>(leaf, "leaf");
      if (!decoded.ok()) {
        damaged(fmt::format("leaf {}: does not decode: {}", i, decoded.error().message));
      } else if (decoded->type == chain::LeafType::entry) {
        LONTAR_TRY(check_entry(i, decoded->entry));
      }
      if (options_.progress && next_ % options_.progress_every == 0) options_.progress(next_);
      return {};
    });
    if (!read.ok() && !gap) return std::move(read).error();
    if (next_ == from) gap = true;
  }
  if (gap) {
    damaged(fmt::format("leaf {}: missing (leaves {}..{} cannot be read)", next_, next_, size - 1));
    done_ = true;
    return true;
  }
  if (next_ == size) LONTAR_TRY(finish());
  return done_;
}

Status ScrubPass::finish() {
  for (const merkle::TileWrite& t : tree_.partial_tiles()) LONTAR_TRY(check_tile(t));
  if (tree_.root() != root_) {
    damaged(fmt::format("the root recomputed from the {} leaves is not the one the checkpoint signed", report_.size));
  }
  done_ = true;
  return {};
}

Result<ScrubReport> scrub(LogStorage& storage, const ScrubOptions& options) {
  LONTAR_ASSIGN(ScrubPass pass, ScrubPass::start(storage, options));
  while (!pass.done()) LONTAR_TRY(pass.step(leaves_per_read));
  return pass.report();
}

}  // namespace lontar::server
