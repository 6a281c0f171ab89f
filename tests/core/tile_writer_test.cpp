#include "merkle/tile_writer.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace lontar;
using namespace lontar::merkle;

namespace {

// A log's tile table: the newest version of each hash tile, served at any narrower width.
struct NewestTiles {
  std::map<std::pair<unsigned, std::uint64_t>, Bytes> tiles;
  void store(std::vector<TileWrite> writes) {
    for (TileWrite& t : writes) {
      REQUIRE(t.hashes.size() == std::size_t{t.id.width} * sizeof(Hash));
      Bytes& slot = tiles[{t.id.level, t.id.index}];
      CHECK(t.hashes.size() >= slot.size());  // a tile only grows
      CHECK(std::equal(slot.begin(), slot.end(), t.hashes.begin()));
      slot = std::move(t.hashes);
    }
  }
  TileFetch fetch() {
    return [this](const TileId& id) -> Result<Bytes> {
      auto it = tiles.find({id.level, id.index});
      if (it == tiles.end() || it->second.size() < std::size_t{id.width} * sizeof(Hash)) {
        return Error{Code::not_found, tile_path(id) + " not stored"};
      }
      return Bytes(it->second.begin(), it->second.begin() + static_cast<std::ptrdiff_t>(id.width * sizeof(Hash)));
    };
  }
};

}  // namespace

TEST_CASE("the tile writer stores exactly the C2SP tiles and its root is the RFC 9162 root at every size") {
  NewestTiles stored;
  TileWriter writer;
  MemoryTree mirror;
  const std::uint64_t sizes[] = {1, 2, 3, 255, 256, 257, 511, 65535, 65536, 65537, 70'001};
  std::size_t next = 0;
  for (std::uint64_t n = 1; n <= 70'001; ++n) {
    const Hash h = leaf_hash(as_bytes(std::to_string(n)));
    writer.append(h);
    mirror.append(h);
    if (n != sizes[next]) continue;
    ++next;
    CAPTURE(n);
    stored.store(writer.take_writes());
    CHECK(writer.size() == n);
    CHECK(writer.root() == mirror.root());
    for (const TileId& id : tiles_added(0, n)) {
      CAPTURE(tile_path(id));
      CHECK(stored.fetch()(id).value() == tile_hashes(mirror, id).value());
    }
    // A writer resumed from the stored tiles has the same root, and proofs read from them are the tree's.
    auto resumed = TileWriter::resume(n, stored.fetch());
    REQUIRE(resumed.ok());
    CHECK(resumed->root() == mirror.root());
    const TileReader reader(n, stored.fetch());
    for (std::uint64_t i : {std::uint64_t{0}, n / 3, n - 1}) {
      CHECK(inclusion_proof(reader, i, n).value() == inclusion_proof(mirror, i, n).value());
    }
    for (std::uint64_t old : {std::uint64_t{1}, n / 2 + 1, n}) {
      CHECK(consistency_proof(reader, old, n).value() == consistency_proof(mirror, old, n).value());
    }
  }
}

TEST_CASE("a resumed tile writer continues exactly as one that never stopped") {
  NewestTiles a_tiles, b_tiles;
  TileWriter a;
  std::uint64_t n = 0;
  auto leaf = [](std::uint64_t i) { return leaf_hash(as_bytes("leaf " + std::to_string(i))); };
  for (; n < 700; ++n) a.append(leaf(n));
  a_tiles.store(a.take_writes());
  b_tiles = a_tiles;
  auto b = TileWriter::resume(n, b_tiles.fetch());
  REQUIRE(b.ok());
  for (; n < 66'000; ++n) {
    a.append(leaf(n));
    b->append(leaf(n));
    if (n % 1000 == 0) {
      a_tiles.store(a.take_writes());
      b_tiles.store(b->take_writes());
      REQUIRE(a.root() == b->root());
    }
  }
  a_tiles.store(a.take_writes());
  b_tiles.store(b->take_writes());
  CHECK(a.root() == b->root());
  CHECK(a_tiles.tiles == b_tiles.tiles);
}

TEST_CASE("resuming refuses a missing or short partial tile") {
  TileWriter w;
  for (int i = 0; i < 300; ++i) w.append(leaf_hash(as_bytes(std::to_string(i))));
  NewestTiles stored;
  stored.store(w.take_writes());
  CHECK(TileWriter::resume(300, stored.fetch()).ok());
  stored.tiles[{0, 1}].resize(10 * sizeof(Hash));  // the partial tile of 44 hashes, cut to 10
  CHECK_FALSE(TileWriter::resume(300, stored.fetch()).ok());
  stored.tiles.erase({0, 1});
  CHECK_FALSE(TileWriter::resume(300, stored.fetch()).ok());
}

TEST_CASE("a checker's tile writer: completed tiles as they complete, partial ones at the end, restored across runs") {
  auto leaf = [](std::uint64_t i) { return leaf_hash(as_bytes("leaf " + std::to_string(i))); };
  MemoryTree mirror;
  TileWriter w;
  std::map<std::pair<unsigned, std::uint64_t>, TileWrite> completed;
  std::uint64_t n = 0;
  auto run_to = [&](TileWriter& t, std::uint64_t end) {
    for (; n < end; ++n) {
      t.append(leaf(n));
      mirror.append(leaf(n));
      for (TileWrite& c : t.take_completed()) {
        CHECK(c.id.width == tile_width_full);  // never a partial tile
        CHECK(c.hashes == tile_hashes(mirror, c.id).value());
        CHECK(completed.count({c.id.level, c.id.index}) == 0);  // each once
        completed[{c.id.level, c.id.index}] = std::move(c);
      }
    }
  };
  run_to(w, 600);
  CHECK(completed.size() == 2);  // level-0 tiles 0 and 1
  std::vector<TileWrite> partial = w.partial_tiles();
  REQUIRE(partial.size() == 2);  // level 0 (88 hashes) and level 1 (2 hashes)
  CHECK(partial[0].id.width == 88);
  CHECK(partial[1].id.width == 2);
  for (const TileWrite& p : partial) CHECK(p.hashes == tile_hashes(mirror, p.id).value());

  // The next run: the tree from its frontier, the unfinished tiles from save_partial.
  const Bytes saved = w.save_partial();
  auto builder = RootBuilder::resume(mirror, n);
  REQUIRE(builder.ok());
  auto restored = TileWriter::restore(std::move(*builder), saved);
  REQUIRE(restored.ok());
  run_to(*restored, 66'000);
  CHECK(completed.count({1, 0}) == 1);  // the level-1 tile that completed across the two runs
  CHECK(completed.at({1, 0}).hashes == tile_hashes(mirror, completed.at({1, 0}).id).value());
  CHECK(restored->root() == mirror.root());
  for (const TileWrite& p : restored->partial_tiles()) CHECK(p.hashes == tile_hashes(mirror, p.id).value());

  // A saved state that does not fit the tree's size is refused, not continued out of step.
  auto again = [&](ByteView bytes) { return TileWriter::restore(RootBuilder::resume(mirror, 600).value(), bytes); };
  CHECK(again(saved).ok());
  Bytes short_level = saved;
  short_level.resize(short_level.size() - sizeof(Hash));
  CHECK(again(short_level).error().code == Code::corrupt);
  CHECK(again(Bytes{}).error().code == Code::corrupt);
  CHECK(again(w.save_partial()).ok());
  Bytes trailing = saved;
  trailing.push_back(0);
  CHECK(again(trailing).error().code == Code::corrupt);
  CHECK(TileWriter::restore(RootBuilder{}, Bytes{}).ok());
}
