// leaf_stream.hpp — the parallel stage of an audit: fetch, decode, hash, verify.
//
// A worker thread reads the entry bundles covering leaves [from, to) in order,
// and for each leaf computes what does not depend on the leaves before it: the
// RFC 6962 leaf hash, the decoded chain::Leaf, the entry hash, and whether a
// seal's signature verifies with the key it names. It hands the results to the
// caller's (sequential) thread one bundle at a time through a queue of at most
// `chunks_queued_max` bundles, so memory stays flat whatever the log's size.
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
#include "findings.hpp"
#include "source.hpp"

namespace lontar::audit {

constexpr std::size_t chunks_queued_max = 8;

struct DecodedLeaf {
  std::uint64_t index = 0;
  Hash leaf_hash{};
  bool decoded = false;
  std::string decode_error;  // when !decoded
  chain::Leaf leaf;
  Hash entry_hash{};             // type == entry
  bool seal_signature_ok = false;  // type == seal
};

struct Chunk {
  std::vector<DecodedLeaf> leaves;
  std::optional<Finding> failure;  // the bundle could not be read or parsed: the stream ends here
};

// Splits an entry bundle into its leaves (each a big-endian uint16 length and the
// bytes). bad_input unless it holds exactly `count` leaves and nothing more.
Result<std::vector<ByteView>> split_bundle(ByteView bundle, std::size_t count);

class LeafStream {
 public:
  // Starts the worker. `source` must outlive the stream and be safe to call from
  // one more thread. Requires from <= to.
  LeafStream(Source& source, std::uint64_t from, std::uint64_t to);
  ~LeafStream();
  LeafStream(const LeafStream&) = delete;
  LeafStream& operator=(const LeafStream&) = delete;

  // The next bundle's leaves, in log order; nullopt once all leaves (or a failure) were delivered.
  std::optional<Chunk> next();

 private:
  void run();
  Chunk read_bundle(std::uint64_t bundle, std::uint64_t first, std::uint64_t last);

  Source& source_;
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
