// verify.hpp — re-checking the office's whole local chain.
//
// Streams every entry in seq order (memory bounded by one sealed run): each
// stored hash equals the hash of its bytes, seqs run 1, 2, 3... without gaps,
// each entry's prev is the hash of the one before, its payload decodes, and
// every seal is signed by this office's key over the head it names. Every
// entry must be covered by a seal, and be either waiting in the outbox or
// acknowledged by the server (else it would never be pushed: `sync` repairs that). After a recovery (recover.hpp) the
// seals taken from the central log may be signed by the office's former keys, listed in the setting
// former_keys_setting: those are accepted too.
#pragma once

#include <cstdint>

#include "office.hpp"

namespace lontar::agent {

// Comma-separated hex public keys that sealed this office's chain before its
// current key (written by recover_office).
constexpr const char* former_keys_setting = "former_keys";

struct VerifyReport {
  std::uint64_t entries = 0;
  std::uint64_t seals = 0;
};

// An Error (Code::corrupt) names the first entry or seal that fails.
Result<VerifyReport> verify_chain(Office& office);

}  // namespace lontar::agent
