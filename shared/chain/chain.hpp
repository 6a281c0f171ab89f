// chain.hpp — entries, seals, push batches and log leaves: the office chain.
//
// Each principal (office or admin) writes entries numbered 1, 2, 3... with no
// gaps; each entry carries the hash of the one before it (all-zero for seq 1).
// A Seal signs (principal, last seq, head hash, time) with the principal's
// Ed25519 key and so authenticates every entry before it through the links.
// Byte layouts: docs/FORMAT.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/crypto.hpp"
#include "domain/domain.hpp"
#include "encoding/encoding.hpp"

namespace lontar::chain {

constexpr std::uint8_t entry_version = 1;
constexpr std::size_t payload_bytes_max = 64 << 10;
constexpr std::size_t operator_bytes_max = 64;
constexpr std::size_t batch_entries_max = 10'000;
constexpr std::string_view entry_hash_domain = "lontar/entry/v1\n";
constexpr std::string_view seal_signature_domain = "lontar/seal/v1\n";

struct Entry {
  std::uint8_t version = entry_version;
  std::string principal;            // the writing principal's id
  std::uint64_t seq = 0;            // 1, 2, 3, ... per principal
  Hash prev{};                      // entry_hash of seq-1; zero for seq 1
  std::int64_t recorded_at_ms = 0;  // office clock, informational only
  std::string operator_id;          // the clerk who recorded it
  domain::EntryKind kind = domain::EntryKind::participant_enroll;
  Bytes payload;  // domain::encode_payload()

  template <class Archive>
  void serialize(Archive& ar) {
    namespace e = encoding;
    ar(version, e::bounded(principal, domain::principal_id_bytes_max, "principal"), seq, prev, recorded_at_ms,
       e::bounded(operator_id, operator_bytes_max, "operator"), e::checked(kind, domain::valid_kind, "kind"),
       e::bounded(payload, payload_bytes_max, "payload"));
  }
};

// Builds an entry from a payload (encodes it); the caller sets seq and prev.
Result<Entry> make_entry(std::string principal, std::uint64_t seq, const Hash& prev, std::int64_t recorded_at_ms,
                         std::string operator_id, const domain::Payload& payload);

// SHA-256("lontar/entry/v1\n" || encode(entry)).
Hash entry_hash(const Entry& e);
// entry_hash of already-encoded entry bytes (no re-encoding).
Hash entry_hash_of_bytes(ByteView encoded_entry);
// The entry_hash of the entry that the encoded entry leaf `leaf` carries, taken over the
// leaf's own bytes (no decoding, no re-encoding), given the size of that entry's top-level
// encoding: docs/FORMAT.md §2, the leaf is 0x01, the leaf type, then the entry's fields, and
// the entry's encoding is 0x01 then the same fields. None when the leaf is too short to hold
// an entry of that size. (The caller knows the size from the entry it compares with.)
std::optional<Hash> entry_hash_in_leaf(ByteView leaf, std::size_t encoded_entry_size);

// The end of an office chain: its last seq and that entry's hash (0 and all-zero when
// the chain is empty). The office store, the central log and the auditor each track one
// per chain.
struct ChainHead {
  std::uint64_t seq = 0;
  Hash hash{};
};

struct Seal {
  std::string principal;
  std::uint64_t last_seq = 0;
  Hash head{};                    // entry_hash of entry last_seq
  std::int64_t sealed_at_ms = 0;  // informational
  crypto::PublicKey key{};        // the signing key (must be registered for principal)
  crypto::Signature signature{};

  template <class Archive>
  void serialize(Archive& ar) {
    ar(encoding::bounded(principal, domain::principal_id_bytes_max, "principal"), last_seq, head, sealed_at_ms, key,
       signature);
  }
};

// The signed message: "lontar/seal/v1\n" || encode(seal without its signature).
Bytes seal_message(const Seal& s);
Seal make_seal(const std::string& principal, std::uint64_t last_seq, const Hash& head, std::int64_t sealed_at_ms,
               const crypto::PrivateKey& key);
// Checks the signature against s.key only (whether that key may sign is the rules' job).
bool seal_signature_valid(const Seal& s);

// Checks that `entries` continue a chain whose last known entry is (after_seq,
// after_head): same principal, contiguous seq, each prev = hash of the one before,
// and — if `seal` is given — that the seal is for the last entry and its signature
// verifies. The error names the offending seq.
Status verify_run(std::span<const Entry> entries, std::uint64_t after_seq, const Hash& after_head, const Seal* seal);

// What an office pushes (and what `export` writes to a file): its entries after the
// server's head for it, and the seal covering the last one.
struct Batch {
  std::string principal;
  std::vector<Entry> entries;
  Seal seal;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(encoding::bounded(principal, domain::principal_id_bytes_max, "principal"),
       encoding::bounded(entries, batch_entries_max, "entries"), seal);
  }
};

// A leaf of the central log: either an entry with its verdict or a seal.
enum class LeafType : std::uint8_t { entry = 1, seal = 2 };
bool valid_leaf_type(LeafType t);

struct Leaf {
  LeafType type = LeafType::entry;
  Entry entry;              // when type == entry
  domain::Verdict verdict;  // when type == entry
  Seal seal;                // when type == seal

  template <class Archive>
  void save(Archive& ar) const {
    ar(encoding::checked(const_cast<LeafType&>(type), valid_leaf_type, "leaf.type"));
    if (type == LeafType::entry) {
      ar(const_cast<Entry&>(entry), const_cast<domain::Verdict&>(verdict));
    } else {
      ar(const_cast<Seal&>(seal));
    }
  }
  template <class Archive>
  void load(Archive& ar) {
    ar(encoding::checked(type, valid_leaf_type, "leaf.type"));
    if (type == LeafType::entry) {
      ar(entry, verdict);
    } else {
      ar(seal);
    }
  }
};

Leaf entry_leaf(Entry e, domain::Verdict v);
Leaf seal_leaf(Seal s);

}  // namespace lontar::chain
