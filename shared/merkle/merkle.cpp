// merkle.cpp — RFC 9162 proofs as lists of complete subtrees, read in one batch.
#include "merkle/merkle.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <bit>
#include <cassert>
#include <cstdlib>

namespace lontar::merkle {
namespace {

// MTH(D[begin:end]) as the RFC recursion needs it. Every range the RFC recursion produces has
// `begin` aligned to the largest power of two <= end - begin, so its greedy split into aligned
// complete subtrees is exactly the RFC's split at k (largest power of two below the size).
struct Range {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

// The largest power of two strictly below n. Requires n >= 2.
std::uint64_t split_point(std::uint64_t n) {
  assert(n >= 2);
  return std::bit_floor(n - 1);
}

// Appends the complete subtrees that make up [begin, end), left to right.
void decompose(Range r, std::vector<NodeId>& out) {
  while (r.begin < r.end) {
    const unsigned align = r.begin == 0 ? 64u : static_cast<unsigned>(std::countr_zero(r.begin));
    const unsigned fit = static_cast<unsigned>(std::bit_width(r.end - r.begin)) - 1;
    const unsigned level = align < fit ? align : fit;
    out.push_back(NodeId{static_cast<std::uint8_t>(level), r.begin >> level});
    r.begin += std::uint64_t{1} << level;
  }
}

// RFC 9162 §2.1.3.1 PATH(m, D[begin:end]), as ranges, leaf side first.
void inclusion_ranges(std::uint64_t m, Range r, std::vector<Range>& out) {
  const std::uint64_t n = r.end - r.begin;
  if (n <= 1) return;
  const std::uint64_t k = split_point(n);
  if (m < k) {
    inclusion_ranges(m, {r.begin, r.begin + k}, out);
    out.push_back({r.begin + k, r.end});
  } else {
    inclusion_ranges(m - k, {r.begin + k, r.end}, out);
    out.push_back({r.begin, r.begin + k});
  }
}

// RFC 9162 §2.1.4.1 SUBPROOF(m, D[begin:end], b), as ranges.
void consistency_ranges(std::uint64_t m, Range r, bool whole, std::vector<Range>& out) {
  const std::uint64_t n = r.end - r.begin;
  if (m == n) {
    if (!whole) out.push_back(r);
    return;
  }
  const std::uint64_t k = split_point(n);
  if (m <= k) {
    consistency_ranges(m, {r.begin, r.begin + k}, whole, out);
    out.push_back({r.begin + k, r.end});
  } else {
    consistency_ranges(m - k, {r.begin + k, r.end}, false, out);
    out.push_back({r.begin, r.begin + k});
  }
}

// The range proof's subtrees for leaves [begin, end): the maximal subtrees of node `r` (a
// subtree of the RFC recursion) that do not overlap the range, left to right.
void range_proof_ranges(Range r, std::uint64_t begin, std::uint64_t end, std::vector<Range>& out) {
  if (r.end <= begin || r.begin >= end) {
    out.push_back(r);
    return;
  }
  if (begin <= r.begin && r.end <= end) return;          // computed from the range's own leaves
  const std::uint64_t k = split_point(r.end - r.begin);  // a partial overlap has two leaves or more
  range_proof_ranges({r.begin, r.begin + k}, begin, end, out);
  range_proof_ranges({r.begin + k, r.end}, begin, end, out);
}

// Reads the complete subtrees of every range in one batch and folds each range's
// subtrees right to left into its MTH.
Result<std::vector<Hash>> hash_ranges(const HashReader& hashes, const std::vector<Range>& ranges) {
  std::vector<NodeId> ids;
  std::vector<std::size_t> ends;  // ends[i]: one past the last id of ranges[i]
  ids.reserve(ranges.size() * 2);
  ends.reserve(ranges.size());
  for (const Range& r : ranges) {
    decompose(r, ids);
    ends.push_back(ids.size());
  }
  LONTAR_ASSIGN(std::vector<Hash> got, hashes.read(ids));
  if (got.size() != ids.size())
    return Error{Code::internal, fmt::format("hash reader returned {} hashes for {} nodes", got.size(), ids.size())};
  std::vector<Hash> out;
  out.reserve(ranges.size());
  std::size_t begin = 0;
  for (std::size_t end : ends) {
    assert(end > begin);
    Hash h = got[end - 1];
    for (std::size_t i = end - 1; i > begin; --i) h = node_hash(got[i - 1], h);
    out.push_back(h);
    begin = end;
  }
  return out;
}

Error does_not_verify(const std::string& what) {
  return Error{Code::corrupt, what + "; the proof or the root is wrong, or the log is not the one it claims to be"};
}

// SHA-256 of the concatenation of `parts`. Proofs over tiles hash hundreds of nodes, so this
// avoids crypto::sha256's per-call context allocation and algorithm lookup (about 3x faster):
// the algorithm is fetched once and each thread reuses one context.
Hash sha256(std::initializer_list<ByteView> parts) {
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);  // lives for the process
  thread_local Context c;
  if (md == nullptr || c.ctx == nullptr || EVP_DigestInit_ex2(c.ctx, md, nullptr) != 1) std::abort();
  for (ByteView p : parts)
    if (EVP_DigestUpdate(c.ctx, p.data(), p.size()) != 1) std::abort();
  Hash out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(c.ctx, out.data(), &len) != 1 || len != out.size()) std::abort();
  return out;
}

}  // namespace

Hash leaf_hash(ByteView leaf) {
  static constexpr std::uint8_t prefix[1] = {0x00};
  return sha256({ByteView(prefix), leaf});
}

Hash node_hash(const Hash& left, const Hash& right) {
  static constexpr std::uint8_t prefix[1] = {0x01};
  return sha256({ByteView(prefix), left, right});
}

Hash empty_root() { return sha256({}); }

bool is_complete(NodeId id, std::uint64_t size) { return id.level <= node_level_max && id.index < (size >> id.level); }

std::vector<NodeId> root_nodes(std::uint64_t size) {
  std::vector<NodeId> out;
  decompose({0, size}, out);
  return out;
}

Result<Hash> root(const HashReader& hashes, std::uint64_t size) {
  if (size == 0) return empty_root();
  LONTAR_ASSIGN(std::vector<Hash> h, hash_ranges(hashes, {Range{0, size}}));
  return h[0];
}

Result<Proof> inclusion_proof(const HashReader& hashes, std::uint64_t index, std::uint64_t size) {
  if (index >= size)
    return Error{Code::bad_input,
                 fmt::format("inclusion proof for leaf {} in a tree of {} leaves: the leaf index must be below the "
                             "tree size",
                             index, size)};
  std::vector<Range> ranges;
  inclusion_ranges(index, {0, size}, ranges);
  return hash_ranges(hashes, ranges);
}

Result<Proof> consistency_proof(const HashReader& hashes, std::uint64_t old_size, std::uint64_t new_size) {
  if (old_size > new_size)
    return Error{Code::bad_input,
                 fmt::format("consistency proof from size {} to size {}: the old size must not exceed the new size",
                             old_size, new_size)};
  if (old_size == 0 || old_size == new_size) return Proof{};
  std::vector<Range> ranges;
  consistency_ranges(old_size, {0, new_size}, true, ranges);
  return hash_ranges(hashes, ranges);
}

Result<Hash> root_from_inclusion_proof(const Hash& leaf, std::uint64_t index, std::uint64_t size,
                                       std::span<const Hash> proof) {
  if (index >= size)
    return Error{Code::bad_input, fmt::format("leaf index {} is not below the tree size {}", index, size)};
  // RFC 9162 §2.1.3.2, steps 1-5.
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return does_not_verify(fmt::format("inclusion proof for leaf {} of {} is too long", index, size));
    if ((fn & 1) != 0 || fn == sn) {
      r = node_hash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return does_not_verify(fmt::format("inclusion proof for leaf {} of {} is too short", index, size));
  return r;
}

Status verify_inclusion(const Hash& leaf, std::uint64_t index, std::uint64_t size, std::span<const Hash> proof,
                        const Hash& root_hash) {
  LONTAR_ASSIGN(Hash r, root_from_inclusion_proof(leaf, index, size, proof));
  if (r != root_hash)
    return does_not_verify(fmt::format("inclusion proof for leaf {} of {} leads to root {}, not {}", index, size,
                                       to_hex(r), to_hex(root_hash)));
  return {};
}

Status verify_consistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root, const Hash& new_root,
                          std::span<const Hash> proof) {
  if (old_size > new_size)
    return Error{Code::bad_input, fmt::format("consistency from size {} to the smaller size {}: a log cannot shrink",
                                              old_size, new_size)};
  if (old_size == new_size) {
    if (!proof.empty()) return does_not_verify("consistency proof between equal sizes must be empty");
    if (old_root != new_root)
      return does_not_verify(fmt::format("two different roots for the same size {}: {} and {}", old_size,
                                         to_hex(old_root), to_hex(new_root)));
    return {};
  }
  if (old_size == 0) {
    if (!proof.empty()) return does_not_verify("consistency proof from the empty tree must be empty");
    return {};
  }
  if (proof.empty()) return does_not_verify(fmt::format("empty consistency proof from {} to {}", old_size, new_size));

  // RFC 9162 §2.1.4.2.
  std::size_t next = 0;
  Hash first;
  if (std::has_single_bit(old_size)) {
    first = old_root;  // step 1: the old root is itself a node of the new tree
  } else {
    first = proof[next++];
  }
  std::uint64_t fn = old_size - 1;
  std::uint64_t sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = first;
  Hash sr = first;
  for (; next < proof.size(); ++next) {
    const Hash& c = proof[next];
    if (sn == 0) return does_not_verify(fmt::format("consistency proof from {} to {} is too long", old_size, new_size));
    if ((fn & 1) != 0 || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return does_not_verify(fmt::format("consistency proof from {} to {} is too short", old_size, new_size));
  if (fr != old_root)
    return does_not_verify(fmt::format("consistency proof from {} to {} does not lead to the old root {}", old_size,
                                       new_size, to_hex(old_root)));
  if (sr != new_root)
    return does_not_verify(fmt::format("consistency proof from {} to {} does not lead to the new root {}", old_size,
                                       new_size, to_hex(new_root)));
  return {};
}

// ---- range proofs

Result<Proof> range_proof(const HashReader& hashes, std::uint64_t begin, std::uint64_t end, std::uint64_t size) {
  if (begin >= end || end > size)
    return Error{Code::bad_input,
                 fmt::format("range proof for leaves [{}, {}) in a tree of {} leaves: the range must hold at least "
                             "one leaf and end within the tree",
                             begin, end, size)};
  std::vector<Range> ranges;
  range_proof_ranges({0, size}, begin, end, ranges);
  if (ranges.empty()) return Proof{};
  return hash_ranges(hashes, ranges);
}

namespace {

// Recomputes MTH(D[r.begin:r.end]) from the range's leaves and the proof's hashes, taking the
// proof's hashes in order from `next`. False when the proof runs out.
class RangeFold {
 public:
  RangeFold(std::span<const Hash> leaves, std::uint64_t begin, std::span<const Hash> proof)
      : leaves_(leaves), begin_(begin), end_(begin + leaves.size()), proof_(proof) {}

  bool fold(Range r, Hash& out) {
    if (r.end <= begin_ || r.begin >= end_) {
      if (next_ == proof_.size()) return false;
      out = proof_[next_++];
      return true;
    }
    if (r.end - r.begin == 1) {  // a leaf of the range
      out = leaves_[r.begin - begin_];
      return true;
    }
    const std::uint64_t k = split_point(r.end - r.begin);
    Hash left, right;
    if (!fold({r.begin, r.begin + k}, left) || !fold({r.begin + k, r.end}, right)) return false;
    out = node_hash(left, right);
    return true;
  }
  std::size_t used() const { return next_; }

 private:
  std::span<const Hash> leaves_;
  std::uint64_t begin_, end_;
  std::span<const Hash> proof_;
  std::size_t next_ = 0;
};

}  // namespace

Result<Hash> root_from_range_proof(std::span<const Hash> leaves, std::uint64_t begin, std::uint64_t size,
                                   std::span<const Hash> proof) {
  if (leaves.empty() || begin >= size || leaves.size() > size - begin)
    return Error{Code::bad_input, fmt::format("a range of {} leaves from leaf {} is not within a tree of {} leaves",
                                              leaves.size(), begin, size)};
  const std::uint64_t end = begin + leaves.size();
  RangeFold f(leaves, begin, proof);
  Hash r;
  if (!f.fold({0, size}, r))
    return does_not_verify(
        fmt::format("range proof for leaves [{}, {}) of {} is too short ({} hashes)", begin, end, size, proof.size()));
  if (f.used() != proof.size())
    return does_not_verify(fmt::format("range proof for leaves [{}, {}) of {} is too long: {} hashes, {} used", begin,
                                       end, size, proof.size(), f.used()));
  return r;
}

Status verify_range(std::span<const Hash> leaves, std::uint64_t begin, std::uint64_t size, std::span<const Hash> proof,
                    const Hash& root_hash) {
  LONTAR_ASSIGN(Hash r, root_from_range_proof(leaves, begin, size, proof));
  if (r != root_hash)
    return does_not_verify(fmt::format("range proof for leaves [{}, {}) of {} leads to root {}, not {}", begin,
                                       begin + leaves.size(), size, to_hex(r), to_hex(root_hash)));
  return {};
}

// ---- MemoryTree

void MemoryTree::append(const Hash& leaf) {
  Hash h = leaf;
  for (std::size_t level = 0;; ++level) {
    if (levels_.size() == level) levels_.emplace_back();
    auto& row = levels_[level];
    row.push_back(h);
    if (row.size() % 2 != 0) return;
    h = node_hash(row[row.size() - 2], row[row.size() - 1]);
  }
}

Hash MemoryTree::root(std::uint64_t n) const {
  assert(n <= size());
  auto r = merkle::root(*this, n);
  assert(r.ok());  // every root node of a prefix is stored
  return *r;
}

Result<Hash> MemoryTree::hash(NodeId id) const {
  if (!is_complete(id, size()))
    return Error{Code::not_found, fmt::format("node (level {}, index {}) is not a complete subtree of a tree of {} "
                                              "leaves",
                                              id.level, id.index, size())};
  return levels_[id.level][id.index];
}

Result<std::vector<Hash>> MemoryTree::read(std::span<const NodeId> nodes) const {
  std::vector<Hash> out;
  out.reserve(nodes.size());
  for (NodeId id : nodes) {
    LONTAR_ASSIGN(Hash h, hash(id));
    out.push_back(h);
  }
  return out;
}

// ---- RootBuilder

Result<RootBuilder> RootBuilder::resume(const HashReader& hashes, std::uint64_t size) {
  std::vector<NodeId> ids = root_nodes(size);
  LONTAR_ASSIGN(std::vector<Hash> got, hashes.read(ids));
  if (got.size() != ids.size())
    return Error{Code::internal, fmt::format("hash reader returned {} hashes for {} nodes", got.size(), ids.size())};
  RootBuilder b;
  b.size_ = size;
  for (std::size_t i = 0; i < ids.size(); ++i) b.frontier_.push_back(Node{ids[i], got[i]});
  return b;
}

std::span<const Node> RootBuilder::append(const Hash& leaf) {
  finished_.clear();
  Node n{NodeId{0, size_}, leaf};
  finished_.push_back(n);
  // Each set low bit of size_ is a frontier subtree that the new node now completes.
  for (std::uint64_t s = size_; (s & 1) != 0; s >>= 1) {
    assert(!frontier_.empty() && frontier_.back().id.level == n.id.level);
    n = Node{NodeId{static_cast<std::uint8_t>(n.id.level + 1), n.id.index >> 1},
             node_hash(frontier_.back().hash, n.hash)};
    frontier_.pop_back();
    finished_.push_back(n);
  }
  frontier_.push_back(n);
  ++size_;
  return finished_;
}

Hash RootBuilder::root() const {
  if (frontier_.empty()) return empty_root();
  Hash h = frontier_.back().hash;
  for (std::size_t i = frontier_.size() - 1; i > 0; --i) h = node_hash(frontier_[i - 1].hash, h);
  return h;
}

}  // namespace lontar::merkle
