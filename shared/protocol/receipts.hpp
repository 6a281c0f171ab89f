// receipts.hpp — the receipts bundle: what `lontar-server import --receipts` writes
// for an office with no network at all, and `lontar-agent import-bundle` reads
// (docs/FORMAT.md §8). It stands in for the answers a sync gets over TLS: the
// receipt (leaf index, verdict) of every entry of the carried export, the seal leaf
// of each batch, the signed checkpoint after the import, an inclusion proof of every
// seal leaf and entry leaf in it, and a consistency proof from the checkpoint the
// office had accepted when it exported.
//
// File layout: a text header of "key: value" lines that starts with
// "LONTAR-RECEIPTS 1" and ends with an empty line; then sections, each an 8-byte
// little-endian length L and L bytes of encode(): one ReceiptsHead, then one
// ReceiptsBatch per batch; then 64 bytes: the log key's Ed25519 signature over
// "lontar/receipts/v1\n" || SHA-256(every byte before the signature). The signature
// makes the whole file the server's statement, as TLS makes a push answer one:
// a file that fails it was altered or damaged on the way.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "crypto/crypto.hpp"
#include "protocol/protocol.hpp"

namespace lontar::protocol {

constexpr std::string_view receipts_magic = "LONTAR-RECEIPTS 1";
constexpr std::string_view receipts_signature_domain = "lontar/receipts/v1\n";
constexpr std::size_t receipts_header_bytes_max = 4096;
// One section: a batch of 10,000 receipts whose verdicts each carry the most
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

// One batch of the export: its seal leaf (as logged) and its receipts, in seq order.
struct ReceiptsBatch {
  std::uint64_t seal_leaf_index = 0;
  Bytes seal_leaf;                   // encode(chain::Leaf) of the seal leaf at seal_leaf_index
  std::vector<Hash> seal_inclusion;  // its inclusion proof in the checkpoint
  std::vector<ProvenReceipt> receipts;

  template <class Archive>
  void serialize(Archive& ar) {
    namespace e = encoding;
    ar(seal_leaf_index, e::bounded(seal_leaf, leaf_bytes_max, "seal_leaf"),
       e::bounded(seal_inclusion, proof_hashes_max, "seal_inclusion"),
       e::bounded(receipts, chain::batch_entries_max, "receipts"));
  }
};

// The message the log key signs: the domain string followed by `digest`.
Bytes receipts_signed_message(const Hash& digest);

// Writes a bundle to `<path>.partial`, then fsyncs and renames it onto `path`
// (replacing an earlier bundle there). Destroyed before finish(): the partial file
// is removed and `path` is untouched.
class ReceiptsWriter {
 public:
  // `header_lines` are the "key: value" lines after the magic line.
  static Result<ReceiptsWriter> create(const std::filesystem::path& path, const std::vector<std::string>& header_lines);
  ReceiptsWriter(ReceiptsWriter&&) noexcept;
  ReceiptsWriter& operator=(ReceiptsWriter&&) = delete;
  ~ReceiptsWriter();

  Status add(const ReceiptsHead& head);
  Status add(const ReceiptsBatch& batch);
  // Appends the signature by `log_key` and moves the file into place.
  Status finish(const crypto::PrivateKey& log_key);

 private:
  ReceiptsWriter(std::filesystem::path path, std::FILE* f);
  Status write(ByteView bytes);
  Status section(Result<Bytes> encoded, const char* what);
  Error io_error(const char* what) const;
  std::filesystem::path path_, partial_;
  std::FILE* f_ = nullptr;
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

  const std::vector<std::string>& header_lines() const { return header_; }
  const ReceiptsHead& head() const { return head_; }
  // The next batch section; nullopt after the last one (the signature follows).
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
  std::vector<std::string> header_;
  ReceiptsHead head_;
};

}  // namespace lontar::protocol
