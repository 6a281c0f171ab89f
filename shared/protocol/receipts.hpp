// receipts.hpp — the receipts bundle: what `lontar-server import --receipts` writes
// for an office with no network at all, and `lontar-agent import-bundle` reads
// (docs/FORMAT.md §8). It stands in for the answers a sync gets over TLS: the
// receipt (leaf index, verdict) of every entry of the carried export, the seal leaf
// of each batch, the signed checkpoint after the import, proofs that every seal leaf
// and entry leaf in it is in that checkpoint, and a consistency proof from the
// checkpoint the office had accepted when it exported.
//
// Two versions, told apart by the first line; a reader takes both:
//   "LONTAR-RECEIPTS 1": one RFC 9162 inclusion proof per leaf (the seal leaf's and
//      each receipt's): 0.5-0.8 KB a receipt;
//   "LONTAR-RECEIPTS 2" (written by default): no per-leaf proofs; each batch carries
//      one range proof (merkle::range_proof) per maximal run of consecutive leaf
//      indices among its seal leaf and its receipts' leaves — one for a batch the log
//      integrated in one piece (a batch is logged as consecutive leaves, docs/FORMAT.md
//      §6): about 30 bytes a receipt.
//
// File layout: a text header of "key: value" lines that starts with the magic line
// and ends with an empty line; then sections, each an 8-byte little-endian length L
// and L bytes of encode(): one ReceiptsHead, then one batch per batch (ReceiptsBatch
// in version 1, ReceiptsBatchV2 in version 2); then 64 bytes: the log key's Ed25519
// signature over "lontar/receipts/v1\n" || SHA-256(every byte before the signature)
// (the same in both versions: the signed bytes start with the magic line). The
// signature makes the whole file the server's statement, as TLS makes a push answer
// one: a file that fails it was altered or damaged on the way.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/crypto.hpp"
#include "protocol/protocol.hpp"

namespace lontar::protocol {

constexpr std::string_view receipts_magic = "LONTAR-RECEIPTS 1";     // version 1
constexpr std::string_view receipts_magic_v2 = "LONTAR-RECEIPTS 2";  // version 2
constexpr unsigned receipts_version_latest = 2;
constexpr std::string_view receipts_signature_domain = "lontar/receipts/v1\n";
constexpr std::size_t receipts_header_bytes_max = 4096;
// One section: a version 1 batch of 10,000 receipts whose verdicts each carry the most
// reasons, each with a full inclusion proof, stays below this.
constexpr std::size_t receipts_section_bytes_max = 96 << 20;

// The first section: whose receipts, and the checkpoint they are proven in.
struct ReceiptsHead {
  std::string office;             // the principal whose export was imported
  std::uint64_t batches = 0;      // ReceiptsBatch sections that follow
  std::string checkpoint;         // signed note: the log's checkpoint after the import
  std::uint64_t base_size = 0;    // the office's accepted checkpoint when it exported (0: none)
  Hash base_root{};               // its root (zero when base_size is 0)
  std::vector<Hash> consistency;  // RFC 9162 proof from base_size to the checkpoint's size

  template <class Archive>
  void serialize(Archive& ar) {
    namespace e = encoding;
    ar(e::bounded(office, domain::principal_id_bytes_max, "office"), batches,
       e::bounded(checkpoint, checkpoint_bytes_max, "checkpoint"), base_size, base_root,
       e::bounded(consistency, proof_hashes_max, "consistency"));
  }
};

// One entry's receipt with the inclusion proof of its entry leaf in the checkpoint.
struct ProvenReceipt {
  EntryReceipt receipt;
  std::vector<Hash> inclusion;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(receipt, encoding::bounded(inclusion, proof_hashes_max, "inclusion"));
  }
};

// A range proof (merkle::range_proof) that leaves [begin, end) are in the checkpoint.
struct LeafRangeProof {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::vector<Hash> hashes;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(begin, end, encoding::bounded(hashes, proof_hashes_max, "hashes"));
  }
};

// One batch of the export: its seal leaf (as logged) and its receipts, in seq order,
// with their proofs. serialize() is the version 1 section; in memory the struct holds a
// batch of either version: version 1 fills `seal_inclusion` and each receipt's
// `inclusion` and leaves `ranges` empty, version 2 the other way round.
struct ReceiptsBatch {
  std::uint64_t seal_leaf_index = 0;
  Bytes seal_leaf;                   // encode(chain::Leaf) of the seal leaf at seal_leaf_index
  std::vector<Hash> seal_inclusion;  // version 1: its inclusion proof in the checkpoint
  std::vector<ProvenReceipt> receipts;
  std::vector<LeafRangeProof> ranges;  // version 2 (not in the version 1 encoding)

  template <class Archive>
  void serialize(Archive& ar) {
    namespace e = encoding;
    ar(seal_leaf_index, e::bounded(seal_leaf, leaf_bytes_max, "seal_leaf"),
       e::bounded(seal_inclusion, proof_hashes_max, "seal_inclusion"),
       e::bounded(receipts, chain::batch_entries_max, "receipts"));
  }
};

// Leaf ranges one batch may carry: one per leaf at most (its seal leaf and its receipts').
constexpr std::size_t receipts_ranges_max = chain::batch_entries_max + 1;

// The version 2 batch section: the receipts without proofs, then the range proofs that
// cover exactly the batch's leaves (its seal leaf and its receipts' entry leaves),
// ascending and disjoint.
struct ReceiptsBatchV2 {
  std::uint64_t seal_leaf_index = 0;
  Bytes seal_leaf;
  std::vector<EntryReceipt> receipts;
  std::vector<LeafRangeProof> ranges;

  template <class Archive>
  void serialize(Archive& ar) {
    namespace e = encoding;
    ar(seal_leaf_index, e::bounded(seal_leaf, leaf_bytes_max, "seal_leaf"),
       e::bounded(receipts, chain::batch_entries_max, "receipts"), e::bounded(ranges, receipts_ranges_max, "ranges"));
  }
};

// The maximal runs of consecutive values in `leaf_indices` (any order, duplicates
// allowed), ascending, as [begin, end) pairs: the ranges a version 2 batch proves.
std::vector<std::pair<std::uint64_t, std::uint64_t>> leaf_runs(std::vector<std::uint64_t> leaf_indices);

// The message the log key signs: the domain string followed by `digest`.
Bytes receipts_signed_message(const Hash& digest);

// Writes a bundle to `<path>.partial`, then fsyncs and renames it onto `path`
// (replacing an earlier bundle there). Destroyed before finish(): the partial file
// is removed and `path` is untouched.
class ReceiptsWriter {
 public:
  // `header_lines` are the "key: value" lines after the magic line. `version` 1 or 2:
  // add(ReceiptsBatch) writes that version's section (version 2 requires empty
  // seal_inclusion and inclusion proofs; version 1 empty ranges).
  static Result<ReceiptsWriter> create(const std::filesystem::path& path, const std::vector<std::string>& header_lines,
                                       unsigned version = receipts_version_latest);
  ReceiptsWriter(ReceiptsWriter&&) noexcept;
  ReceiptsWriter& operator=(ReceiptsWriter&&) = delete;
  ~ReceiptsWriter();

  Status add(const ReceiptsHead& head);
  Status add(const ReceiptsBatch& batch);
  // Appends the signature by `log_key` and moves the file into place.
  Status finish(const crypto::PrivateKey& log_key);

 private:
  ReceiptsWriter(std::filesystem::path path, std::FILE* f, unsigned version);
  Status write(ByteView bytes);
  Status section(Result<Bytes> encoded, const char* what);
  Error io_error(const char* what) const;
  std::filesystem::path path_, partial_;
  std::FILE* f_ = nullptr;
  unsigned version_ = receipts_version_latest;
  crypto::Sha256 digest_;
};

// Reads a bundle section by section (one section in memory at a time). A file that
// cannot be opened is Code::not_found; every other error is Code::corrupt (the file
// is not what the server wrote: damaged, cut short, or not a bundle at all), naming
// the byte and what was wrong.
class ReceiptsReader {
 public:
  // Opens `path`, reads the text header and the ReceiptsHead. Errors name the byte.
  static Result<ReceiptsReader> open(const std::filesystem::path& path);

  unsigned version() const { return version_; }  // 1 or 2, from the magic line
  const std::vector<std::string>& header_lines() const { return header_; }
  const ReceiptsHead& head() const { return head_; }
  // The next batch section, of either version (see ReceiptsBatch); nullopt after the
  // last one (the signature follows).
  Result<std::optional<ReceiptsBatch>> next();
  // True when the file's last 64 bytes are `log_key`'s signature over the rest (reads
  // the whole file once more).
  Result<bool> signed_by(const crypto::PublicKey& log_key) const;

 private:
  explicit ReceiptsReader(std::filesystem::path path);
  template <class T>
  Result<T> read_section(const char* what);
  Error bad(std::string what) const;
  std::filesystem::path path_;
  std::ifstream in_;
  std::uint64_t size_ = 0;    // file size
  std::uint64_t offset_ = 0;  // next byte to read
  std::uint64_t batches_read_ = 0;
  unsigned version_ = 1;
  std::vector<std::string> header_;
  ReceiptsHead head_;
};

}  // namespace lontar::protocol
