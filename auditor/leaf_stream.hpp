// leaf_stream.hpp — the parallel stage of an audit: fetch, decode, hash, verify.
//
// A worker thread reads the entry bundles covering leaves [from, to) in order,
// and for each leaf computes what does not depend on the rules state: the RFC 6962
// leaf hash, the decoded chain::Leaf, the entry hash, the decoded payload and the
// person's key, and whether a seal's signature verifies with the key it names. It
// also feeds each leaf hash, in order, to a TreeStage: the Merkle root and the hash
// tiles depend on order but not on the rules, so they run here too. The results go
// to the caller's (sequential) thread one bundle at a time through a queue of at
// most `chunks_queued_max` bundles, so memory stays flat whatever the log's size.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chain/chain.hpp"
#include "domain/domain.hpp"
#include "findings.hpp"
#include "merkle/merkle.hpp"
#include "rules/rules.hpp"
#include "source.hpp"
#include "tile_check.hpp"

namespace lontar::audit {

constexpr std::size_t chunks_queued_max = 8;

struct DecodedLeaf {
  std::uint64_t index = 0;
  Hash leaf_hash{};
  bool decoded = false;
  std::string decode_error;  // when !decoded
  chain::Leaf leaf;
  Hash entry_hash{};                       // type == entry
  std::optional<domain::Payload> payload;  // type == entry, when the payload decodes
  std::optional<Hash> person;              // person_key of the payload's NIK, if it has one
  // type == entry: the entry decoded and keyed for the rules (rules::Prepared), so the
  // sequential replay neither decodes the payload again nor computes the person key.
  // It points into `leaf.entry`: once set, the DecodedLeaf stays where it is (a Chunk's
  // vector is reserved before it is filled and travels whole, its buffer never moves).
  std::optional<rules::Prepared> prepared;
  bool seal_signature_ok = false;  // type == seal
};

// The order-dependent work that does not need the rules: the Merkle root
// (resumed from the remembered frontier) and the hash tiles.
struct TreeStage {
  merkle::TileWriter tiles;  // the tree (resumed from the remembered frontier) and its tiles
  Findings findings;         // the worker's own; merged by the caller after join()
  Status status;             // an internal failure stops the stream
};

struct Chunk {
  std::vector<DecodedLeaf> leaves;
  // The stream ends here: the log lacks the bundle or it is malformed (a finding), or
  // the source could not be read at all (an error: network, permissions; audit again).
  std::optional<Finding> failure;
  std::optional<Error> error;
};

class LeafStream {
 public:
  // Starts the worker. `source` and `tree` must outlive the stream; `source` must be
  // safe to call from one more thread; `tree` belongs to the worker until join().
  // `nik_key` keys the person keys. Requires from <= to.
  LeafStream(Source& source, std::uint64_t from, std::uint64_t to, TreeStage& tree, const Hash& nik_key);
  ~LeafStream();
  LeafStream(const LeafStream&) = delete;
  LeafStream& operator=(const LeafStream&) = delete;

  // The next bundle's leaves, in log order; nullopt once all leaves (or a failure) were delivered.
  std::optional<Chunk> next();
  // Waits for the worker to end (after next() returned nullopt, or to abandon the stream).
  void join();

 private:
  void run();
  Chunk read_bundle(std::uint64_t bundle, std::uint64_t first, std::uint64_t last);

  Source& source_;
  TreeStage& tree_;
  Hash nik_key_;
  std::uint64_t from_;
  std::uint64_t to_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> queue_;
  bool done_ = false;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace lontar::audit
