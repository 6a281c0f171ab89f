// reader.hpp — the log's read paths: tiles, the feed, proofs, heads and keys.
//
// Answers from committed rows (ReadSide) and never beyond the published checkpoint
// (Published): a leaf, tile or proof the served checkpoint does not cover is not_found,
// so that nothing is shown before its checkpoint is recorded. Any number of threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "log/publisher.hpp"
#include "log/storage.hpp"

namespace lontar::server {

// Full hash tiles kept, with their inner levels hashed, for proofs (merkle::TileCache):
// 16 KiB each, so at most 64 MiB by default. Every tile above level 0 of a log of up to 268
// million leaves fits, and the level-0 tiles of a million leaves (the newest, which offices
// ask about, stay in as the least recently used go).
constexpr std::size_t proof_cache_tiles_default = 4096;

class LogReader {
 public:
  // All three must outlive it. `cache_tiles`: full tiles kept for proofs (0: none).
  LogReader(ReadSide& store, const Published& published, const rules::NikKey& nik_key,
            std::size_t cache_tiles = proof_cache_tiles_default)
      : store_(store),
        published_(published),
        nik_key_(nik_key),
        cache_(cache_tiles > 0 ? std::make_unique<merkle::TileCache>(cache_tiles) : nullptr) {}

  // LogService's read operations (service.hpp).
  Result<std::optional<Caller>> authenticate(const crypto::PublicKey& key);
  Result<std::pair<std::uint64_t, Hash>> head(std::string_view principal);
  // Leaves from..: in full for an auditor or admin, for the caller's own entries, seals
  // and admin entries; other offices' entries redacted (rules::redact).
  Result<protocol::FeedPage> feed(const Caller& caller, std::uint64_t from, std::size_t limit);
  Result<protocol::Proof> inclusion_proof(std::uint64_t index, std::uint64_t size);
  Result<protocol::Proof> consistency_proof(std::uint64_t old_size, std::uint64_t new_size);
  Result<protocol::Proof> range_proof(std::uint64_t begin, std::uint64_t end, std::uint64_t size);
  Result<Bytes> tile(std::string_view path);
  Result<std::vector<Equivocation>> equivocations(std::size_t limit);

 private:
  // Hash tiles of the tree of `size` leaves, as a merkle::HashReader.
  merkle::TileReader tiles(std::uint64_t size);
  // An entry bundle: the leaves of level-0 tile `t`.
  Result<Bytes> bundle(const merkle::TileId& t, std::string_view path);

  ReadSide& store_;
  const Published& published_;
  const rules::NikKey& nik_key_;
  // Full tiles never change, so one cache serves every tree size; shared by every thread.
  std::unique_ptr<merkle::TileCache> cache_;
};

}  // namespace lontar::server
