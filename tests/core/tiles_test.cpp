#include "merkle/tiles.hpp"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <thread>

#include "support/property.hpp"

using namespace lontar;
using namespace lontar::merkle;

namespace {

MemoryTree numbered_tree(std::uint64_t n) {
  MemoryTree t;
  for (std::uint64_t i = 0; i < n; ++i) t.append(leaf_hash(as_bytes("leaf " + std::to_string(i))));
  return t;
}

// Every hash tile of `tree`, by path, as a log would store them.
std::map<std::string, Bytes> tiles_of(const MemoryTree& tree) {
  std::map<std::string, Bytes> out;
  for (const TileId& id : tiles_added(0, tree.size())) out[tile_path(id)] = tile_hashes(tree, id).value();
  return out;
}

// A fetch function over stored tiles that counts its calls.
struct TileStore {
  std::map<std::string, Bytes> tiles;
  int fetches = 0;
  TileFetch fetch() {
    return [this](const TileId& id) -> Result<Bytes> {
      ++fetches;
      auto it = tiles.find(tile_path(id));
      if (it == tiles.end()) return Error{Code::not_found, "no such tile"};
      return it->second;
    };
  }
};

rc::Gen<TileId> gen_tile_id() {
  return rc::gen::apply(
      [](bool entries, std::uint8_t level, std::uint64_t index, std::uint32_t width) {
        return TileId{entries, entries ? std::uint8_t{0} : level, index, width};
      },
      rc::gen::arbitrary<bool>(), rc::gen::inRange<std::uint8_t>(0, tile_level_max + 1),
      rc::gen::oneOf(rc::gen::inRange<std::uint64_t>(0, 2000), rc::gen::arbitrary<std::uint64_t>()),
      rc::gen::oneOf(rc::gen::just(tile_width_full), rc::gen::inRange<std::uint32_t>(1, tile_width_full + 1)));
}

}  // namespace

// docs/FORMAT.md §4.4 path examples.
TEST_CASE("tile paths follow the C2SP tlog-tiles encoding") {
  CHECK(tile_path({false, 0, 1234067, 256}) == "tile/0/x001/x234/067");
  CHECK(tile_path({false, 3, 1234067, 8}) == "tile/3/x001/x234/067.p/8");
  CHECK(tile_path({false, 1, 0, 256}) == "tile/1/000");
  CHECK(tile_path({false, 63, 999, 255}) == "tile/63/999.p/255");
  CHECK(tile_path({false, 0, 1000, 256}) == "tile/0/x001/000");
  CHECK(tile_path({true, 0, 5, 17}) == "tile/entries/005.p/17");
  CHECK(tile_path({true, 0, 1000000, 256}) == "tile/entries/x001/x000/000");
  CHECK(tile_path({true, 0, UINT64_MAX, 255}) == "tile/entries/x018/x446/x744/x073/x709/x551/615.p/255");
  CHECK(tile_path({true, 0, UINT64_MAX, 255}).size() <= tile_path_bytes_max);

  auto id = parse_tile_path("tile/0/x001/x234/067");
  REQUIRE(id.ok());
  CHECK(*id == TileId{false, 0, 1234067, 256});
  id = parse_tile_path("tile/entries/x018/x446/x744/x073/x709/x551/615.p/1");
  REQUIRE(id.ok());
  CHECK(*id == TileId{true, 0, UINT64_MAX, 1});
}

TEST_CASE("malformed tile paths are refused with a reason") {
  const char* bad[] = {
      "",
      "tile",
      "tile/0",
      "tile/0/",
      "tiles/0/000",
      "/tile/0/000",
      "tile/0/000/",
      "tile/00/000",  // leading zero in the level
      "tile/64/000",  // level above 63
      "tile/-1/000",
      "tile/data/000",  // the old Go sumdb data tiles are not ours
      "tile/0/1",       // not 3 digits
      "tile/0/0001",
      "tile/0/x001",     // ends with an x group
      "tile/0/001/234",  // missing x on a non-final group
      "tile/0/x001/x234",
      "tile/0/X001/234",  // upper-case X
      "tile/0/x000/001",  // non-canonical leading zero group
      "tile/0/x001/23a",
      "tile/0/000.p",  // .p without a width
      "tile/0/000.p/",
      "tile/0/000.p/0",    // empty tiles do not exist
      "tile/0/000.p/256",  // full tiles have no .p
      "tile/0/000.p/300",
      "tile/0/000.p/08",  // leading zero in the width
      "tile/0/000.p/8/9",
      "tile/0/x000.p/8",
      "tile/0/000.P/8",
      "tile/0/000/extra",
      "tile/entries",
      "tile/entries/x001",
      "tile/entries/000.p/256",
      "tile/0/x018/x446/x744/x073/x709/x551/616",                                          // above 2^64 - 1
      "tile/0/x001/x018/x446/x744/x073/x709/x551/615",                                     // 8 groups
      "tile/0/x001/x001/x001/x001/x001/x001/x001/x001/x001/x001/x001/x001/x001/x001/001",  // overlong
  };
  for (const char* p : bad) {
    CAPTURE(p);
    auto id = parse_tile_path(p);
    REQUIRE(!id.ok());
    CHECK(id.error().code == Code::bad_input);
    CHECK(id.error().message.find("tile path") != std::string::npos);
  }
}

TEST_CASE("property: tile paths round-trip") {
  CHECK(test::property("round trip", [] {
    const TileId id = *gen_tile_id();
    const std::string path = tile_path(id);
    RC_ASSERT(path.size() <= tile_path_bytes_max);
    auto back = parse_tile_path(path);
    RC_ASSERT(back.ok());
    RC_ASSERT(*back == id);
  }));
}

TEST_CASE("the tiles of a tree of 70000 leaves are those of the C2SP example") {
  // c2sp.org/tlog-tiles: 273 full level 0 tiles, one partial of width 112, one full level 1 tile,
  // one partial level 1 tile of width 17, and one partial level 2 tile of width 1.
  auto tiles = tiles_added(0, 70000);
  REQUIRE(tiles.size() == 273 + 1 + 1 + 1 + 1);
  CHECK(tiles[0] == TileId{false, 0, 0, 256});
  CHECK(tiles[272] == TileId{false, 0, 272, 256});
  CHECK(tiles[273] == TileId{false, 0, 273, 112});
  CHECK(tiles[274] == TileId{false, 1, 0, 256});
  CHECK(tiles[275] == TileId{false, 1, 1, 17});
  CHECK(tiles[276] == TileId{false, 2, 0, 1});
  // A tree of 256 leaves: one full level 0 tile and a level 1 tile of width 1.
  CHECK(tiles_added(0, 256) == std::vector<TileId>{{false, 0, 0, 256}, {false, 1, 0, 1}});
  CHECK(tiles_added(0, 0).empty());
  CHECK(bundles_added(0, 70000).size() == 274);
  CHECK(bundles_added(0, 70000).back() == TileId{true, 0, 273, 112});
  CHECK(tile_width(0, 274, 70000) == 0);
  CHECK(tile_width(3, 0, 70000) == 0);
}

TEST_CASE("property: tiles_added lists exactly the tiles that appear or grow") {
  CHECK(test::property("tiles added", [] {
    const auto a = *rc::gen::inRange<std::uint64_t>(0, 200000);
    const auto b = a + *rc::gen::inRange<std::uint64_t>(0, 100000);
    const auto added = tiles_added(a, b);
    std::set<std::tuple<unsigned, std::uint64_t>> seen;
    for (const TileId& t : added) {
      RC_ASSERT(t.width == tile_width(t.level, t.index, b));
      RC_ASSERT(t.width != tile_width(t.level, t.index, a));
      seen.insert({t.level, t.index});
    }
    for (const TileId& t : tiles_added(0, b)) {
      if (seen.count({t.level, t.index}) == 0) RC_ASSERT(t.width == tile_width(t.level, t.index, a));
    }
  }));
}

TEST_CASE("TileReader answers proofs equal to the in-memory tree's, touching few tiles") {
  MemoryTree tree = numbered_tree(70000);
  TileStore store{tiles_of(tree)};
  TileReader tiles(tree.size(), store.fetch());

  auto r = root(tiles, tree.size());
  REQUIRE(r.ok());
  CHECK(*r == tree.root());
  // 70000 leaves span three tile levels; a proof needs at most two tiles per level.
  CHECK(store.fetches <= 6);

  for (std::uint64_t index : {0ull, 1ull, 255ull, 256ull, 4097ull, 65535ull, 65536ull, 69887ull, 69999ull}) {
    CAPTURE(index);
    store.fetches = 0;
    auto p = inclusion_proof(tiles, index, tree.size());
    REQUIRE(p.ok());
    CHECK(*p == inclusion_proof(tree, index, tree.size()).value());
    CHECK(store.fetches <= 6);
    CHECK(verify_inclusion(tree.hash({0, index}).value(), index, tree.size(), *p, tree.root()).ok());
  }
  for (std::uint64_t old_size : {1ull, 256ull, 257ull, 65536ull, 69000ull}) {
    CAPTURE(old_size);
    store.fetches = 0;
    auto p = consistency_proof(tiles, old_size, tree.size());
    REQUIRE(p.ok());
    CHECK(*p == consistency_proof(tree, old_size, tree.size()).value());
    CHECK(store.fetches <= 9);
  }
}

TEST_CASE("property: TileReader proofs equal MemoryTree proofs for any size and index, with or without a cache") {
  CHECK(test::property("tile proofs", [] {
    const auto n = *rc::gen::inRange<std::uint64_t>(1, 2000);
    const auto index = *rc::gen::inRange<std::uint64_t>(0, n);
    const auto old_size = *rc::gen::inRange<std::uint64_t>(0, n + 1);
    MemoryTree tree = numbered_tree(n);
    TileStore store{tiles_of(tree)};
    TileCache cache(*rc::gen::inRange<std::size_t>(0, 4));
    TileReader plain(n, store.fetch());
    TileReader cached(n, store.fetch(), &cache);
    for (int round = 0; round < 2; ++round) {  // the second round reads from the cache
      for (const TileReader* tiles : {&plain, &cached}) {
        RC_ASSERT(root(*tiles, n).value() == tree.root());
        RC_ASSERT(root(*tiles, old_size).value() == tree.root(old_size));
        RC_ASSERT(inclusion_proof(*tiles, index, n).value() == inclusion_proof(tree, index, n).value());
        RC_ASSERT(consistency_proof(*tiles, old_size, n).value() == consistency_proof(tree, old_size, n).value());
      }
    }
  }));
}

TEST_CASE("a TileCache keeps tiles across readers and sizes, partial ones by width, bounded") {
  MemoryTree tree = numbered_tree(70000);
  TileStore store{tiles_of(tree)};
  TileCache cache(6);
  {
    TileReader tiles(70000, store.fetch(), &cache);
    REQUIRE(inclusion_proof(tiles, 1000, 70000).ok());
  }
  // Tiles: level 0 index 3 and level 1 index 0 (full), level 1 index 1 (width 17) and level 0
  // index 273 (width 112) for the right-hand side [65536, 70000): all four kept.
  CHECK(cache.size() == 4);
  store.fetches = 0;
  {
    TileReader tiles(70000, store.fetch(), &cache);
    auto p = inclusion_proof(tiles, 1001, 70000);
    REQUIRE(p.ok());
    CHECK(*p == inclusion_proof(tree, 1001, 70000).value());
  }
  CHECK(store.fetches == 0);
  // A reader for an older size (as an auditor holding an older checkpoint has) shares the full
  // tiles and fetches that size's partial tiles (other widths: other entries).
  for (const TileId& id : tiles_added(0, 69000)) store.tiles[tile_path(id)] = tile_hashes(tree, id).value();
  TileReader older(69000, store.fetch(), &cache);
  auto p = inclusion_proof(older, 1002, 69000);
  REQUIRE(p.ok());
  CHECK(*p == inclusion_proof(tree, 1002, 69000).value());
  CHECK(store.fetches == 2);
  CHECK(cache.size() == 6);
  // Bounded: many different tiles still leave at most 6.
  for (std::uint64_t i = 0; i < 69000; i += 997) REQUIRE(inclusion_proof(older, i, 69000).ok());
  CHECK(cache.size() == 6);
}

TEST_CASE("TileReaders on several threads can share one TileCache") {
  MemoryTree tree = numbered_tree(70000);
  const auto stored = tiles_of(tree);
  TileCache cache(8);
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      TileReader tiles(
          70000, [&](const TileId& id) -> Result<Bytes> { return stored.at(tile_path(id)); }, &cache);
      for (std::uint64_t i = static_cast<std::uint64_t>(t); i < 70000; i += 1499) {
        auto p = inclusion_proof(tiles, i, 70000);
        if (!p.ok() || !verify_inclusion(tree.hash({0, i}).value(), i, 70000, *p, tree.root()).ok()) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == std::vector<int>(4, 0));
}

TEST_CASE("tiles built from RootBuilder's finished subtrees equal the tree's tiles") {
  // What a log does as it appends: keep the finished level-8L hashes, write the tiles that changed.
  const std::uint64_t n = 70000;
  MemoryTree tree = numbered_tree(n);
  RootBuilder builder;
  std::map<std::pair<unsigned, std::uint64_t>, Bytes> built;  // (tile level, index) -> bytes
  for (std::uint64_t i = 0; i < n; ++i) {
    for (const Node& node : builder.append(tree.hash({0, i}).value())) {
      if (node.id.level % tile_height != 0) continue;
      append(built[{node.id.level / tile_height, node.id.index / tile_width_full}], node.hash);
    }
  }
  CHECK(builder.root() == tree.root());
  const auto expected = tiles_added(0, n);
  CHECK(built.size() == expected.size());
  for (const TileId& id : expected) {
    CAPTURE(tile_path(id));
    CHECK(built[{id.level, id.index}] == tile_hashes(tree, id).value());
  }
}

TEST_CASE("TileReader refuses nodes outside its tree, wrong-sized tiles and failed fetches") {
  MemoryTree tree = numbered_tree(300);
  TileStore store{tiles_of(tree)};
  TileReader tiles(300, store.fetch());
  const NodeId beyond{8, 1};  // leaves 256..511: not complete in 300
  auto got = tiles.read(std::span<const NodeId>(&beyond, 1));
  REQUIRE(!got.ok());
  CHECK(got.error().code == Code::not_found);

  store.tiles["tile/0/001.p/44"].pop_back();
  auto p = inclusion_proof(tiles, 299, 300);
  REQUIRE(!p.ok());
  CHECK(p.error().code == Code::corrupt);
  CHECK(p.error().message.find("tile/0/001.p/44") != std::string::npos);

  store.tiles.erase("tile/0/000");
  p = inclusion_proof(tiles, 3, 300);
  REQUIRE(!p.ok());
  CHECK(p.error().code == Code::not_found);
  CHECK(p.error().message.find("tile/0/000") != std::string::npos);

  CHECK(!tile_hashes(tree, TileId{false, 0, 1, 256}).ok());  // leaves 256..511 are not all there
  CHECK(tile_hashes(tree, TileId{true, 0, 0, 256}).error().code == Code::bad_input);
}

TEST_CASE("entry bundles are uint16 big-endian length-prefixed entries (FORMAT.md vector T1)") {
  const std::vector<Bytes> entries = {Bytes{}, Bytes{0xab}, Bytes(300, 0x11)};
  auto bundle = encode_bundle(entries);
  REQUIRE(bundle.ok());
  CHECK(bundle->size() == 2 + 3 + 302);
  // Lengths 0, 1 (then ab), 300 (then 0x11...).
  CHECK(to_hex(ByteView(*bundle).subspan(0, 8)) == "00000001ab012c11");
  const TileId id{true, 0, 0, 3};
  auto back = parse_bundle(id, *bundle);
  REQUIRE(back.ok());
  CHECK(*back == entries);

  // FORMAT.md §4 vector T1: the bundle of the two entries "lontar" and "" .
  auto t1 = encode_bundle(std::vector<Bytes>{Bytes{'l', 'o', 'n', 't', 'a', 'r'}, Bytes{}});
  REQUIRE(t1.ok());
  CHECK(to_hex(*t1) == "00066c6f6e7461720000");  // 0006 "lontar", 0000 ""
}

TEST_CASE("malformed entry bundles are refused") {
  const std::vector<Bytes> entries = {Bytes{1, 2, 3}, Bytes{4}};
  Bytes good = encode_bundle(entries).value();
  const TileId two{true, 0, 7, 2};
  REQUIRE(parse_bundle(two, good).ok());

  CHECK(parse_bundle(TileId{true, 0, 7, 3}, good).error().code == Code::corrupt);  // too few entries
  CHECK(parse_bundle(TileId{true, 0, 7, 1}, good).error().code == Code::corrupt);  // trailing entry
  Bytes truncated(good.begin(), good.end() - 1);
  CHECK(parse_bundle(two, truncated).error().code == Code::corrupt);
  Bytes half_length(good.begin(), good.begin() + 6);  // first entry, then one byte of a length
  CHECK(parse_bundle(two, half_length).error().code == Code::corrupt);
  Bytes trailing = good;
  trailing.push_back(0);
  CHECK(parse_bundle(two, trailing).error().code == Code::corrupt);
  auto msg = parse_bundle(two, trailing).error().message;
  CHECK(msg.find("tile/entries/007.p/2") != std::string::npos);

  CHECK(encode_bundle(std::vector<Bytes>{Bytes(bundle_entry_bytes_max + 1)}).error().code == Code::bad_input);
  CHECK(encode_bundle(std::vector<Bytes>{Bytes(bundle_entry_bytes_max)}).ok());
  CHECK(encode_bundle(std::vector<Bytes>(tile_width_full + 1)).error().code == Code::bad_input);
  CHECK(parse_bundle(TileId{true, 0, 0, 256}, Bytes(bundle_bytes_max + 1)).error().code == Code::bad_input);
}

TEST_CASE("property: entry bundles round-trip") {
  CHECK(test::property("bundle round trip", [] {
    const auto entries = *rc::gen::container<std::vector<Bytes>>(rc::gen::arbitrary<Bytes>());
    RC_PRE(!entries.empty() && entries.size() <= tile_width_full);
    auto bundle = encode_bundle(entries);
    RC_ASSERT(bundle.ok());
    auto back = parse_bundle(TileId{true, 0, 0, static_cast<std::uint32_t>(entries.size())}, *bundle);
    RC_ASSERT(back.ok());
    RC_ASSERT(*back == entries);
  }));
}
