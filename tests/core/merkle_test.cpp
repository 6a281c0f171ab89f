#include "merkle/merkle.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <functional>

#include "crypto/crypto.hpp"
#include "support/property.hpp"

using namespace lontar;
using namespace lontar::merkle;

namespace {

Hash hx(std::string_view hex) { return hash_from_hex(hex).value(); }

// Reference vectors: the 8 leaves, roots, inclusion and consistency proofs of the
// RFC 6962 test data used by Certificate Transparency implementations, as published in
// github.com/transparency-dev/merkle, proof/verify_test.go (originally Google's
// certificate-transparency merkle_tree_test). Leaf numbers there are 1-based; here 0-based.
const std::vector<Bytes> ct_leaves = {
    from_hex("").value(),
    from_hex("00").value(),
    from_hex("10").value(),
    from_hex("2021").value(),
    from_hex("3031").value(),
    from_hex("40414243").value(),
    from_hex("5051525354555657").value(),
    from_hex("606162636465666768696a6b6c6d6e6f").value(),
};

// ct_roots[i] is the root of the first i + 1 leaves.
const std::vector<Hash> ct_roots = {
    hx("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    hx("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    hx("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    hx("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    hx("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    hx("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    hx("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    hx("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
};

struct InclusionVector {
  std::uint64_t index;
  std::uint64_t size;
  std::vector<Hash> proof;
};
const std::vector<InclusionVector> ct_inclusion = {
    {0, 1, {}},
    {0,
     8,
     {hx("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
      hx("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
      hx("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}},
    {5,
     8,
     {hx("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
      hx("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
      hx("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
    {2, 3, {hx("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")}},
    {1,
     5,
     {hx("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
      hx("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
      hx("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")}},
};

struct ConsistencyVector {
  std::uint64_t old_size;
  std::uint64_t new_size;
  std::vector<Hash> proof;
};
const std::vector<ConsistencyVector> ct_consistency = {
    {1, 1, {}},
    {1,
     8,
     {hx("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
      hx("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
      hx("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}},
    {6,
     8,
     {hx("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
      hx("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
      hx("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
    {2,
     5,
     {hx("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
      hx("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")}},
    {6,
     7,
     {hx("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
      hx("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
      hx("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
};

MemoryTree ct_tree() {
  MemoryTree t;
  for (const Bytes& leaf : ct_leaves) t.append(leaf_hash(leaf));
  return t;
}

// A tree of `n` leaves whose contents are their index, little-endian.
MemoryTree numbered_tree(std::uint64_t n) {
  MemoryTree t;
  for (std::uint64_t i = 0; i < n; ++i) {
    Bytes leaf(8);
    for (int b = 0; b < 8; ++b) leaf[b] = static_cast<std::uint8_t>(i >> (8 * b));
    t.append(leaf_hash(leaf));
  }
  return t;
}

// Reference MTH straight from RFC 9162 §2.1.1, by recursion over the leaf hashes.
Hash reference_root(std::span<const Hash> leaves) {
  if (leaves.empty()) return crypto::sha256(ByteView{});
  if (leaves.size() == 1) return leaves[0];
  std::size_t k = 1;
  while (k * 2 < leaves.size()) k *= 2;
  return node_hash(reference_root(leaves.subspan(0, k)), reference_root(leaves.subspan(k)));
}

// A HashReader that counts its calls, to check that proofs read in one batch.
class CountingReader final : public HashReader {
 public:
  explicit CountingReader(const HashReader& inner) : inner_(inner) {}
  Result<std::vector<Hash>> read(std::span<const NodeId> nodes) const override {
    ++calls;
    nodes_read += nodes.size();
    return inner_.read(nodes);
  }
  mutable int calls = 0;
  mutable std::size_t nodes_read = 0;

 private:
  const HashReader& inner_;
};

// The shape of an inclusion proof, straight from the RFC 9162 PATH recursion: for each hash,
// leaf side first, whether it joins from the left. The verifier sees only this shape, so two
// (index, size) pairs with the same shape accept the same proofs; any other pair must not.
std::vector<bool> inclusion_shape(std::uint64_t m, std::uint64_t n) {
  if (n <= 1) return {};
  std::uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  std::vector<bool> out = m < k ? inclusion_shape(m, k) : inclusion_shape(m - k, n - k);
  out.push_back(m >= k);
  return out;
}

// The shape of a consistency proof from the RFC 9162 SUBPROOF recursion: whether the old root
// itself seeds the computation (the old tree is a complete subtree of the new one), then for
// each further hash whether it joins from the left.
struct ConsistencyShape {
  bool seeded_by_old_root = false;
  std::vector<bool> sides;
  bool operator==(const ConsistencyShape&) const = default;
};
void consistency_shape(std::uint64_t m, std::uint64_t n, bool whole, ConsistencyShape& out) {
  if (m == n) {
    out.seeded_by_old_root = whole;
    return;
  }
  std::uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  if (m <= k) {
    consistency_shape(m, k, whole, out);
    out.sides.push_back(false);
  } else {
    consistency_shape(m - k, n - k, false, out);
    out.sides.push_back(true);
  }
}
ConsistencyShape consistency_shape(std::uint64_t m, std::uint64_t n) {
  ConsistencyShape s;
  consistency_shape(m, n, true, s);
  return s;
}

Hash flip(Hash h, std::size_t bit) {
  h[bit / 8 % 32] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  return h;
}

}  // namespace

// docs/FORMAT.md §4, vector M1.
TEST_CASE("leaf and node hashes are the RFC 6962 domain-separated SHA-256") {
  CHECK(to_hex(empty_root()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // The empty leaf: SHA-256(0x00).
  CHECK(to_hex(leaf_hash({})) == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  const Hash l = leaf_hash(ct_leaves[0]);
  const Hash r = leaf_hash(ct_leaves[1]);
  Bytes joined{0x01};
  append(joined, l);
  append(joined, r);
  CHECK(node_hash(l, r) == crypto::sha256(joined));
}

// docs/FORMAT.md §4, vector M2.
TEST_CASE("roots of the reference tree match the Certificate Transparency vectors for sizes 0 to 8") {
  MemoryTree tree = ct_tree();
  CHECK(tree.root(0) == empty_root());
  auto r0 = root(tree, 0);
  REQUIRE(r0.ok());
  CHECK(*r0 == empty_root());
  RootBuilder builder;
  CHECK(builder.root() == empty_root());
  for (std::uint64_t n = 1; n <= 8; ++n) {
    CAPTURE(n);
    CHECK(tree.root(n) == ct_roots[n - 1]);
    builder.append(leaf_hash(ct_leaves[n - 1]));
    CHECK(builder.root() == ct_roots[n - 1]);
  }
}

// docs/FORMAT.md §4, vector M3 (leaf 5 of 8).
TEST_CASE("inclusion proofs match the Certificate Transparency vectors and verify") {
  MemoryTree tree = ct_tree();
  for (const auto& v : ct_inclusion) {
    CAPTURE(v.index);
    CAPTURE(v.size);
    auto proof = inclusion_proof(tree, v.index, v.size);
    REQUIRE(proof.ok());
    CHECK(*proof == v.proof);
    const Hash leaf = leaf_hash(ct_leaves[v.index]);
    CHECK(verify_inclusion(leaf, v.index, v.size, v.proof, ct_roots[v.size - 1]).ok());
  }
}

// docs/FORMAT.md §4, vector M4 (6 to 8).
TEST_CASE("consistency proofs match the Certificate Transparency vectors and verify") {
  MemoryTree tree = ct_tree();
  for (const auto& v : ct_consistency) {
    CAPTURE(v.old_size);
    CAPTURE(v.new_size);
    auto proof = consistency_proof(tree, v.old_size, v.new_size);
    REQUIRE(proof.ok());
    CHECK(*proof == v.proof);
    CHECK(verify_consistency(v.old_size, v.new_size, ct_roots[v.old_size - 1], ct_roots[v.new_size - 1], v.proof).ok());
  }
}

TEST_CASE("an inclusion proof for an index at or beyond the size is bad input") {
  MemoryTree tree = ct_tree();
  auto p = inclusion_proof(tree, 8, 8);
  REQUIRE(!p.ok());
  CHECK(p.error().code == Code::bad_input);
  CHECK(inclusion_proof(tree, 0, 0).error().code == Code::bad_input);
  auto v = verify_inclusion(ct_roots[0], 3, 3, {}, ct_roots[2]);
  REQUIRE(!v.ok());
  CHECK(v.error().code == Code::bad_input);
}

TEST_CASE("a consistency proof from a larger to a smaller tree is bad input") {
  MemoryTree tree = ct_tree();
  CHECK(consistency_proof(tree, 5, 4).error().code == Code::bad_input);
  CHECK(verify_consistency(5, 4, ct_roots[4], ct_roots[3], {}).error().code == Code::bad_input);
}

TEST_CASE("trivial consistency cases follow the stated conventions") {
  // Equal sizes: empty proof and equal roots.
  CHECK(verify_consistency(3, 3, ct_roots[2], ct_roots[2], {}).ok());
  CHECK(verify_consistency(3, 3, ct_roots[2], ct_roots[3], {}).error().code == Code::corrupt);
  CHECK(verify_consistency(3, 3, ct_roots[2], ct_roots[2], std::vector<Hash>{ct_roots[0]}).error().code ==
        Code::corrupt);
  // From the empty tree: empty proof.
  CHECK(verify_consistency(0, 5, empty_root(), ct_roots[4], {}).ok());
  CHECK(!verify_consistency(0, 5, empty_root(), ct_roots[4], std::vector<Hash>{ct_roots[0]}).ok());
  // A real size change needs a non-empty proof.
  CHECK(!verify_consistency(1, 2, ct_roots[0], ct_roots[1], {}).ok());
  auto p = consistency_proof(ct_tree(), 0, 8);
  REQUIRE(p.ok());
  CHECK(p->empty());
}

TEST_CASE("a reader that does not hold a node makes the proof fail with its error") {
  MemoryTree small = ct_tree();  // 8 leaves
  auto p = inclusion_proof(small, 3, 9);
  REQUIRE(!p.ok());
  CHECK(p.error().code == Code::not_found);
  CHECK(!RootBuilder::resume(small, 9).ok());
}

TEST_CASE("proofs read their nodes in a single batch of O(log n) nodes") {
  MemoryTree tree = numbered_tree(1000);
  CountingReader reader(tree);
  REQUIRE(inclusion_proof(reader, 777, 1000).ok());
  CHECK(reader.calls == 1);
  CHECK(reader.nodes_read <= 2 * 10);
  reader.calls = 0;
  reader.nodes_read = 0;
  REQUIRE(consistency_proof(reader, 333, 999).ok());
  CHECK(reader.calls == 1);
  CHECK(reader.nodes_read <= 3 * 10);
  reader.calls = 0;
  REQUIRE(root(reader, 999).ok());
  CHECK(reader.calls == 1);
}

TEST_CASE("RootBuilder reports the complete subtrees each append finishes and resumes from stored hashes") {
  MemoryTree tree = numbered_tree(300);
  RootBuilder b;
  std::uint64_t finished = 0;
  for (std::uint64_t i = 0; i < 300; ++i) {
    const Hash leaf = tree.hash({0, i}).value();
    auto done = b.append(leaf);
    REQUIRE(!done.empty());
    CHECK(done[0].id == NodeId{0, i});
    for (const Node& n : done) {
      CHECK(tree.hash(n.id).value() == n.hash);
      ++finished;
    }
    // Leaf 7 completes the subtrees at levels 0..3 that end at leaf 8.
    if (i == 7) CHECK(done.size() == 4);
  }
  CHECK(finished == 2 * 300 - static_cast<std::uint64_t>(std::popcount(300u)));
  CHECK(b.root() == tree.root());

  auto resumed = RootBuilder::resume(tree, 100);
  REQUIRE(resumed.ok());
  CHECK(resumed->size() == 100);
  CHECK(resumed->root() == tree.root(100));
  for (std::uint64_t i = 100; i < 300; ++i) resumed->append(tree.hash({0, i}).value());
  CHECK(resumed->root() == tree.root());
}

TEST_CASE("property: roots from MemoryTree, RootBuilder and the RFC recursion agree") {
  CHECK(test::property("roots agree", [] {
    const auto n = *rc::gen::inRange<std::uint64_t>(0, 600);
    std::vector<Hash> leaves;
    MemoryTree tree;
    RootBuilder builder;
    for (std::uint64_t i = 0; i < n; ++i) {
      leaves.push_back(leaf_hash(as_bytes(std::to_string(i * 7919))));
      tree.append(leaves.back());
      builder.append(leaves.back());
    }
    const Hash expected = reference_root(leaves);
    RC_ASSERT(tree.root() == expected);
    RC_ASSERT(builder.root() == expected);
    const auto m = *rc::gen::inRange<std::uint64_t>(0, n + 1);
    RC_ASSERT(tree.root(m) == reference_root(std::span<const Hash>(leaves).subspan(0, m)));
  }));
}

TEST_CASE("property: every inclusion proof verifies, and altering a hash, the index or the size fails") {
  CHECK(test::property("inclusion", [] {
    const auto n = *rc::gen::inRange<std::uint64_t>(1, 2000);
    const auto index = *rc::gen::inRange<std::uint64_t>(0, n);
    MemoryTree tree = numbered_tree(n);
    const Hash leaf = tree.hash({0, index}).value();
    const Hash r = tree.root();
    auto proof = inclusion_proof(tree, index, n);
    RC_ASSERT(proof.ok());
    RC_ASSERT(verify_inclusion(leaf, index, n, *proof, r).ok());

    const auto bit = *rc::gen::inRange<std::size_t>(0, 256);
    RC_ASSERT(!verify_inclusion(flip(leaf, bit), index, n, *proof, r).ok());
    RC_ASSERT(!verify_inclusion(leaf, index, n, *proof, flip(r, bit)).ok());
    if (!proof->empty()) {
      const auto at = *rc::gen::inRange<std::size_t>(0, proof->size());
      Proof bad = *proof;
      bad[at] = flip(bad[at], bit);
      RC_ASSERT(!verify_inclusion(leaf, index, n, bad, r).ok());
      bad = *proof;
      bad.pop_back();
      RC_ASSERT(!verify_inclusion(leaf, index, n, bad, r).ok());
    }
    Proof longer = *proof;
    longer.push_back(r);
    RC_ASSERT(!verify_inclusion(leaf, index, n, longer, r).ok());

    const auto other_index = *rc::gen::inRange<std::uint64_t>(0, n);
    if (other_index != index) RC_ASSERT(!verify_inclusion(leaf, other_index, n, *proof, r).ok());
    // RFC 9162 proofs bind the size only through the proof's shape (the checkpoint signs the
    // size): a size with another shape must fail, one with the same shape verifies.
    const auto other_size = *rc::gen::inRange<std::uint64_t>(index + 1, 2 * n + 2);
    RC_ASSERT(verify_inclusion(leaf, index, other_size, *proof, r).ok() ==
              (inclusion_shape(index, other_size) == inclusion_shape(index, n)));
  }));
}

TEST_CASE("property: every consistency proof verifies, and altering a hash or a size fails") {
  CHECK(test::property("consistency", [] {
    const auto n = *rc::gen::inRange<std::uint64_t>(1, 2000);
    const auto m = *rc::gen::inRange<std::uint64_t>(1, n + 1);
    MemoryTree tree = numbered_tree(n);
    const Hash old_root = tree.root(m);
    const Hash new_root = tree.root();
    auto proof = consistency_proof(tree, m, n);
    RC_ASSERT(proof.ok());
    RC_ASSERT(verify_consistency(m, n, old_root, new_root, *proof).ok());

    const auto bit = *rc::gen::inRange<std::size_t>(0, 256);
    RC_ASSERT(!verify_consistency(m, n, flip(old_root, bit), new_root, *proof).ok());
    RC_ASSERT(!verify_consistency(m, n, old_root, flip(new_root, bit), *proof).ok());
    if (!proof->empty()) {
      const auto at = *rc::gen::inRange<std::size_t>(0, proof->size());
      Proof bad = *proof;
      bad[at] = flip(bad[at], bit);
      RC_ASSERT(!verify_consistency(m, n, old_root, new_root, bad).ok());
      bad = *proof;
      bad.pop_back();
      RC_ASSERT(!verify_consistency(m, n, old_root, new_root, bad).ok());
      Proof longer = *proof;
      longer.push_back(new_root);
      RC_ASSERT(!verify_consistency(m, n, old_root, new_root, longer).ok());
    }
    // Other sizes: as for inclusion, sizes are bound through the proof's shape only.
    if (m != n) {
      const auto other_m = *rc::gen::inRange<std::uint64_t>(1, n);
      RC_ASSERT(verify_consistency(other_m, n, old_root, new_root, *proof).ok() ==
                (consistency_shape(other_m, n) == consistency_shape(m, n)));
      const auto other_n = *rc::gen::inRange<std::uint64_t>(m + 1, 2 * n + 2);
      RC_ASSERT(verify_consistency(m, other_n, old_root, new_root, *proof).ok() ==
                (consistency_shape(m, other_n) == consistency_shape(m, n)));
    }
  }));
}

// docs/FORMAT.md §4.3, vector M5: leaves [1, 3) of the first 7 leaves of M2 (the proof's
// last hash is the right edge MTH(D[4:7]), a subtree of 3 leaves), and [2, 5) of all 8.
// Recomputed independently with Python's hashlib (the RFC recursion written again).
TEST_CASE("range proofs match the FORMAT.md vector M5 and verify") {
  MemoryTree tree = ct_tree();
  struct Vector {
    std::uint64_t begin, end, size;
    Proof proof;
  };
  const std::vector<Vector> vectors = {
      {1,
       3,
       7,
       {hx("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        hx("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        hx("837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e")}},
      {2,
       5,
       8,
       {hx("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        hx("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        hx("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0")}},
      {0, 8, 8, {}},
      // One leaf: M3's hashes, left to right.
      {5,
       6,
       8,
       {hx("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        hx("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        hx("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0")}},
  };
  for (const auto& v : vectors) {
    CAPTURE(v.begin);
    CAPTURE(v.size);
    auto proof = range_proof(tree, v.begin, v.end, v.size);
    REQUIRE(proof.ok());
    CHECK(*proof == v.proof);
    std::vector<Hash> leaves;
    for (std::uint64_t i = v.begin; i < v.end; ++i) leaves.push_back(leaf_hash(ct_leaves[i]));
    CHECK(verify_range(leaves, v.begin, v.size, v.proof, ct_roots[v.size - 1]).ok());
  }
  CHECK(range_proof(tree, 3, 3, 8).error().code == Code::bad_input);
  CHECK(range_proof(tree, 3, 9, 8).error().code == Code::bad_input);
  CHECK(verify_range({}, 0, 8, {}, ct_roots[7]).error().code == Code::bad_input);
  const std::vector<Hash> two = {leaf_hash(ct_leaves[6]), leaf_hash(ct_leaves[7])};
  CHECK(verify_range(two, 7, 8, {}, ct_roots[7]).error().code == Code::bad_input);
}

TEST_CASE("property: every range proof verifies, is at most 2 log2 n hashes, and altering a leaf or hash fails") {
  CHECK(test::property("range", [] {
    const auto n = *rc::gen::inRange<std::uint64_t>(1, 3000);
    const auto a = *rc::gen::inRange<std::uint64_t>(0, n);
    const auto b = *rc::gen::inRange<std::uint64_t>(a + 1, n + 1);
    MemoryTree tree = numbered_tree(n);
    const Hash r = tree.root();
    std::vector<Hash> leaves;
    for (std::uint64_t i = a; i < b; ++i) leaves.push_back(tree.hash({0, i}).value());
    auto proof = range_proof(tree, a, b, n);
    RC_ASSERT(proof.ok());
    RC_ASSERT(verify_range(leaves, a, n, *proof, r).ok());
    RC_ASSERT(proof->size() <= 2 * static_cast<std::size_t>(std::bit_width(n - 1)));
    if (b == a + 1) {  // a single leaf: the inclusion proof's hashes
      Proof sorted = *proof, inclusion = inclusion_proof(tree, a, n).value();
      auto less = [](const Hash& x, const Hash& y) { return x < y; };
      std::sort(sorted.begin(), sorted.end(), less);
      std::sort(inclusion.begin(), inclusion.end(), less);
      RC_ASSERT(sorted == inclusion);
    }

    const auto bit = *rc::gen::inRange<std::size_t>(0, 256);
    const auto leaf_at = *rc::gen::inRange<std::size_t>(0, leaves.size());
    std::vector<Hash> bad_leaves = leaves;
    bad_leaves[leaf_at] = flip(bad_leaves[leaf_at], bit);
    RC_ASSERT(verify_range(bad_leaves, a, n, *proof, r).error().code == Code::corrupt);
    RC_ASSERT(!verify_range(leaves, a, n, *proof, flip(r, bit)).ok());
    if (!proof->empty()) {
      const auto at = *rc::gen::inRange<std::size_t>(0, proof->size());
      Proof bad = *proof;
      bad[at] = flip(bad[at], bit);
      RC_ASSERT(verify_range(leaves, a, n, bad, r).error().code == Code::corrupt);
      bad = *proof;
      bad.pop_back();
      RC_ASSERT(!verify_range(leaves, a, n, bad, r).ok());
    }
    Proof longer = *proof;
    longer.push_back(r);
    RC_ASSERT(!verify_range(leaves, a, n, longer, r).ok());
    // The same leaves claimed one place further, or one leaf fewer, do not verify.
    if (b < n) RC_ASSERT(!verify_range(leaves, a + 1, n, *proof, r).ok());
    if (leaves.size() > 1) {
      RC_ASSERT(!verify_range(std::span<const Hash>(leaves).first(leaves.size() - 1), a, n, *proof, r).ok());
    }
  }));
}
