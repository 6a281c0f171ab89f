// merkle.hpp — RFC 6962 / RFC 9162 Merkle tree hashing, proofs and verification.
//
// The tree over leaves D[0..n) is exactly RFC 9162 §2.1.1's: the empty tree hashes to
// SHA-256(""), a leaf to SHA-256(0x00 || leaf), an inner node to SHA-256(0x01 || left || right),
// and a tree of n > 1 leaves splits at k, the largest power of two below n.
//
// Every node of that tree that covers a power-of-two aligned range is a *complete subtree*,
// named by a NodeId (level, index): it covers leaves [index * 2^level, (index + 1) * 2^level).
// Complete subtrees never change as the log grows, so they are what a log stores (as tiles,
// see tiles.hpp) and what a HashReader returns. Proof functions first work out which complete
// subtrees they need, read them in one batch, then assemble — O(log n) hashes, one read call.
//
// Functions here are pure apart from the reads they make through the given HashReader.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace lontar::merkle {

// Levels 0..63: a tree size is a uint64_t, so no complete subtree is higher than level 63.
constexpr unsigned node_level_max = 63;

// A complete subtree: covers leaves [index << level, (index + 1) << level).
// Level 0 nodes are leaf hashes.
struct NodeId {
  std::uint8_t level = 0;
  std::uint64_t index = 0;
  bool operator==(const NodeId&) const = default;
};

// A complete subtree with its hash.
struct Node {
  NodeId id;
  Hash hash{};
};

// An inclusion or consistency proof: the RFC 9162 list of hashes, in RFC order.
using Proof = std::vector<Hash>;

// RFC 6962 leaf hash: SHA-256(0x00 || leaf).
Hash leaf_hash(ByteView leaf);
// RFC 6962 inner node hash: SHA-256(0x01 || left || right).
Hash node_hash(const Hash& left, const Hash& right);
// The root of the tree of size 0: SHA-256("").
Hash empty_root();

// True when `id` is a complete subtree of a tree of `size` leaves.
bool is_complete(NodeId id, std::uint64_t size);

// Source of stored hashes of complete subtrees (memory, database, tiles).
class HashReader {
 public:
  virtual ~HashReader() = default;
  // The hashes of `nodes`, in the same order (so result[i] is the hash of nodes[i]).
  // Fails (not_found, or the storage's own error) when a node is not available; a reader
  // must never invent a hash. One call per proof: implementations batch their storage reads.
  virtual Result<std::vector<Hash>> read(std::span<const NodeId> nodes) const = 0;
};

// The complete subtrees whose hashes, folded right to left with node_hash, give the
// root of the tree of `size` leaves: one per set bit of `size`, largest first.
std::vector<NodeId> root_nodes(std::uint64_t size);

// The root hash (RFC 9162 MTH) of the first `size` leaves. Any size; O(log size) reads.
Result<Hash> root(const HashReader& hashes, std::uint64_t size);

// RFC 9162 §2.1.3.1 inclusion proof for leaf `index` in the tree of `size` leaves.
// Requires index < size (bad_input otherwise). At most ceil(log2(size)) hashes, leaf side first:
// the RFC's PATH(index, D[0:size]).
Result<Proof> inclusion_proof(const HashReader& hashes, std::uint64_t index, std::uint64_t size);

// RFC 9162 §2.1.4.1 consistency proof between the trees of `old_size` and `new_size` leaves.
// Requires old_size <= new_size (bad_input otherwise). Empty when old_size is 0 or equal to
// new_size.
Result<Proof> consistency_proof(const HashReader& hashes, std::uint64_t old_size, std::uint64_t new_size);

// The root that an inclusion proof implies (RFC 9162 §2.1.3.2 without the final compare).
// bad_input when index >= size; corrupt when the proof has the wrong length.
Result<Hash> root_from_inclusion_proof(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                                       std::span<const Hash> proof);

// RFC 9162 §2.1.3.2: ok when `proof` shows that `leaf_hash` is leaf `index` of the tree of
// `size` leaves with root `root`. bad_input when index >= size; corrupt when it does not verify.
Status verify_inclusion(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size, std::span<const Hash> proof,
                        const Hash& root);

// RFC 9162 §2.1.4.2: ok when `proof` shows that the tree of `old_size` leaves with root
// `old_root` is a prefix of the tree of `new_size` leaves with root `new_root`.
// Conventions for the trivial cases: old_size == new_size needs an empty proof and equal roots;
// old_size == 0 needs an empty proof (every tree extends the empty one).
// bad_input when old_size > new_size; corrupt when it does not verify.
Status verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root, const Hash& new_root,
                          std::span<const Hash> proof);

// ---- Range proofs (several consecutive leaves at once; docs/FORMAT.md §4.3)
//
// A range proof shows that the leaf hashes of a contiguous range of leaves [begin, end) are
// leaves begin..end-1 of the tree of `size` leaves with a given root. It is the list of the
// hashes MTH(D[lo:hi]) of the maximal subtrees of the RFC 9162 tree that lie wholly outside the
// range (the RFC's recursion, splitting at the largest power of two below the size, down to
// the first subtree that does not overlap the range), left to right. With the range's own leaf
// hashes they are exactly what is needed to recompute the root: at most two hashes per tree
// level, so at most 2 * ceil(log2 size) hashes whatever the range's length; none for the whole
// tree. For a single leaf it holds the same hashes as its RFC 9162 inclusion proof, in left to
// right order instead of leaf side first.

// The range proof of leaves [begin, end) in the tree of `size` leaves. Requires
// begin < end <= size (bad_input otherwise). One read call.
Result<Proof> range_proof(const HashReader& hashes, std::uint64_t begin, std::uint64_t end, std::uint64_t size);

// The root that a range proof implies for the leaf hashes `leaves` at begin ..
// begin + leaves.size() - 1. bad_input when `leaves` is empty or runs past `size`; corrupt when
// the proof has the wrong length for the range.
Result<Hash> root_from_range_proof(std::span<const Hash> leaves, std::uint64_t begin, std::uint64_t size,
                                   std::span<const Hash> proof);

// ok when `proof` shows that `leaves` are leaves begin .. begin + leaves.size() - 1 of the tree
// of `size` leaves with root `root`; errors as root_from_range_proof, corrupt when the root differs.
Status verify_range(std::span<const Hash> leaves, std::uint64_t begin, std::uint64_t size, std::span<const Hash> proof,
                    const Hash& root);

// An in-memory tree that stores the hash of every complete subtree (about 2 hashes per leaf).
// For tests, offices and auditors that hold a whole (small) log in memory.
class MemoryTree final : public HashReader {
 public:
  // Appends one leaf by its leaf hash (see leaf_hash).
  void append(const Hash& leaf_hash);
  std::uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  // The root of the first `size` leaves (the whole tree by default). Requires size <= size().
  Hash root() const { return root(size()); }
  Hash root(std::uint64_t size) const;
  // The hash of a complete subtree; not_found unless is_complete(id, size()).
  Result<Hash> hash(NodeId id) const;
  Result<std::vector<Hash>> read(std::span<const NodeId> nodes) const override;

 private:
  std::vector<std::vector<Hash>> levels_;  // levels_[l][i] = hash of NodeId{l, i}
};

// Streaming root computation in O(log n) memory (the "compact range" of [0, n)): append leaf
// hashes one by one; root() is the RFC 9162 root of all appended so far. Each append reports
// the complete subtrees it finished, so a log can persist new tiles as it goes and an auditor
// can recompute the root of millions of leaves in constant memory.
class RootBuilder {
 public:
  RootBuilder() = default;
  // Continues a tree of `size` leaves, reading its root_nodes(size) from `hashes`.
  static Result<RootBuilder> resume(const HashReader& hashes, std::uint64_t size);

  // Appends a leaf hash. Returns the complete subtrees this append finished, lowest level
  // first (the leaf itself at level 0, then each parent it completed). The span is valid
  // until the next call to append.
  std::span<const Node> append(const Hash& leaf_hash);
  std::uint64_t size() const { return size_; }
  Hash root() const;
  // The current frontier: root_nodes(size()) with their hashes, largest first.
  std::span<const Node> frontier() const { return frontier_; }

 private:
  std::uint64_t size_ = 0;
  std::vector<Node> frontier_;  // one per set bit of size_, highest level first
  std::vector<Node> finished_;  // reused buffer returned by append
};

}  // namespace lontar::merkle
