// protocol.hpp — messages between agents, auditors and the server (docs/PROTOCOL.md).
// Bulk bodies are cereal portable binary (encoding/encoding.hpp); small admin and
// status bodies are JSON. Every limit a receiver enforces is named here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chain/chain.hpp"
#include "domain/domain.hpp"
#include "encoding/encoding.hpp"

namespace lontar::protocol {

constexpr std::size_t push_body_bytes_max = 16 << 20;   // one push batch
constexpr std::size_t checkpoint_bytes_max = 16 << 10;  // one signed checkpoint note
constexpr std::size_t proof_hashes_max = 128;           // 2 * 64 levels
constexpr std::size_t feed_items_max = 4096;            // one feed page
constexpr std::size_t leaf_bytes_max = chain::payload_bytes_max + 4096;

// The receipt for one entry of a push: where it sits in the log and its verdict.
// An entry that was already logged gets its earlier receipt (idempotent push).
struct EntryReceipt {
  std::uint64_t seq = 0;
  std::uint64_t leaf_index = 0;
  domain::Verdict verdict;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(seq, leaf_index, verdict);
  }
};

// Response to POST /v1/push.
struct PushResponse {
  std::uint64_t seal_leaf_index =
      0;                   // index of the seal leaf covering the batch (of the earlier one if nothing was new)
  std::string checkpoint;  // signed note: a checkpoint whose tree contains every leaf above
  std::vector<EntryReceipt> receipts;  // one per entry of the batch, in seq order

  template <class Archive>
  void serialize(Archive& ar) {
    ar(seal_leaf_index, encoding::bounded(checkpoint, checkpoint_bytes_max, "checkpoint"),
       encoding::bounded(receipts, chain::batch_entries_max, "receipts"));
  }
};

// Another office's entry as an office may see it (DESIGN.md, Personal data):
// enough for offline rule checks, no names, addresses or heirs.
struct RedactedEntry {
  std::string principal;
  std::uint64_t seq = 0;
  domain::EntryKind kind = domain::EntryKind::participant_enroll;
  domain::Verdict verdict;
  Hash nik_key{};                       // HMAC-SHA-256(ledger's NIK key, NIK); zero if the kind has no NIK
  domain::ProgrammeSet programmes = 0;  // enroll: programmes; claim: the claim's programme bit
  domain::Date date;                    // enroll: coverage start; claim: event date
  domain::YearMonth first_month;        // contribution
  std::uint16_t months = 0;             // contribution
  domain::Rupiah amount = 0;            // payout amount, or contribution total
  std::string reference;                // claim_no (claim, payout); receipt no (contribution); "" otherwise
  std::string target_principal;         // void
  std::uint64_t target_seq = 0;         // void

  template <class Archive>
  void serialize(Archive& ar) {
    namespace e = encoding;
    ar(e::bounded(principal, domain::principal_id_bytes_max, "principal"), seq,
       e::checked(kind, domain::valid_kind, "kind"), verdict, nik_key, programmes, date, first_month, months, amount,
       e::bounded(reference, domain::code_bytes_max, "reference"),
       e::bounded(target_principal, domain::principal_id_bytes_max, "target_principal"), target_seq);
  }
};

// One leaf of GET /v1/feed: the full encoded chain::Leaf when the caller may see it
// (its own entries, seals, admin entries, everything for auditors), else a redaction,
// or — for another office's entry about a person outside the caller's registered scope —
// `withheld`: only the leaf index and the form, so that the caller's feed position still
// advances and it knows the leaf was left out on purpose (docs/PROTOCOL.md, feed).
enum class FeedForm : std::uint8_t { full = 1, redacted = 2, withheld = 3 };
bool valid_feed_form(FeedForm f);

struct FeedItem {
  std::uint64_t leaf_index = 0;
  FeedForm form = FeedForm::full;
  Bytes leaf;              // form == full: encoding::encode(chain::Leaf)
  RedactedEntry redacted;  // form == redacted

  // A withheld item is the index and the form only (9 bytes); the other forms carry
  // both fields, the unused one empty or zero-valued.
  template <class Archive>
  void serialize(Archive& ar) {
    ar(leaf_index, encoding::checked(form, valid_feed_form, "form"));
    if (form == FeedForm::withheld) return;
    ar(encoding::bounded(leaf, leaf_bytes_max, "leaf"), redacted);
  }
};

struct FeedPage {
  std::vector<FeedItem> items;  // leaves after `after`, in order
  std::uint64_t tree_size = 0;  // size of the tree the page was read from

  template <class Archive>
  void serialize(Archive& ar) {
    ar(encoding::bounded(items, feed_items_max, "items"), tree_size);
  }
};

// A Merkle proof as served by /v1/proof/*.
struct Proof {
  std::uint64_t first = 0;  // inclusion: leaf index; consistency: old size
  std::uint64_t size = 0;   // tree size
  std::vector<Hash> hashes;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(first, size, encoding::bounded(hashes, proof_hashes_max, "hashes"));
  }
};

}  // namespace lontar::protocol
