// verify_hashed.hpp — chain::verify_run for a caller that already hashed the entries.
//
// The server encodes and hashes each pushed entry once (it logs the bytes and keys
// the chain by the hash); this variant checks the run with those hashes instead of
// encoding and hashing every entry a second time. Kept out of chain.hpp, which
// nearly every file includes.
#pragma once

#include <span>

#include "chain/chain.hpp"

namespace lontar::chain {

// verify_run(entries, after_seq, after_head, seal), with entry_hashes[i] taken as
// entry_hash(entries[i]) (the caller computed it from the same entry's encoding).
// An Error (internal) when the two spans differ in length.
Status verify_run(std::span<const Entry> entries, std::span<const Hash> entry_hashes, std::uint64_t after_seq,
                  const Hash& after_head, const Seal* seal);

}  // namespace lontar::chain
