// export_file.hpp — reading the office export file: the batches an office with no
// network at all carries to the server on a stick (`lontar-agent export`, read by
// `lontar-server import`; docs/FORMAT.md §7, "Office export file").
//
// File layout: a text header of "key: value" lines that starts with
// "LONTAR-EXPORT 1" and ends with an empty line (at most 4,096 bytes), then for
// each batch an 8-byte little-endian length and encode(chain::Batch). The header
// names the office, the entries ("entries: <first>..<last>"), the number of
// batches, and the checkpoint the office had accepted; the lines office, entries
// and batches are required, checkpoint is optional (files written before it
// existed), other keys are ignored.
//
// A stick can be pulled out mid-copy, so a file is never trusted piecewise:
// check_export() reads it whole and holds it to its header before anything of it is
// used. Every error names the file and the line, byte or batch, and what to do.
// All errors are Code::bad_input ("copy it again"), except a seal whose signature
// fails (Code::unauthorized) and an unreadable file (Code::not_found).
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "chain/chain.hpp"
#include "protocol/protocol.hpp"

namespace lontar::protocol {

constexpr std::string_view export_magic = "LONTAR-EXPORT 1";
constexpr std::size_t export_header_bytes_max = 4096;
// One batch is at most push_body_bytes_max bytes, as a push body.

// The header's facts (the text lines are kept for printing).
struct ExportHeader {
  std::string office;
  std::uint64_t first_seq = 0, last_seq = 0;  // "entries: <first>..<last>"
  std::uint64_t batches = 0;                  // distinct batches the file holds
  std::uint64_t base_size = 0;                // "checkpoint: <size> <root>"; 0 for none or absent
  Hash base_root{};
  std::vector<std::string> lines;  // every line after the magic line, as written
};

// One batch as read from the file.
struct ExportBatch {
  std::uint64_t index = 0;   // 1-based position in the file
  std::uint64_t offset = 0;  // byte offset of its length prefix
  Hash digest{};             // SHA-256 of its encoded bytes (to recognise a repeat)
  chain::Batch batch;
};

// Reads an export file batch by batch (bounded: one batch in memory).
class ExportReader {
 public:
  // Opens `path` and reads and checks the header (not the batches).
  static Result<ExportReader> open(const std::filesystem::path& path);

  const ExportHeader& header() const { return header_; }
  // The next batch, decoded but not verified; nullopt at the end of the file.
  Result<std::optional<ExportBatch>> next();

 private:
  explicit ExportReader(std::filesystem::path path);
  Error cut_short(const char* what) const;
  std::filesystem::path path_;
  std::ifstream in_;
  ExportHeader header_;
  std::uint64_t size_ = 0;    // the file's size
  std::uint64_t offset_ = 0;  // next byte to read
  std::uint64_t index_ = 0;
};

// What check_export() found, one row per batch in file order.
struct ExportContents {
  struct Row {
    Hash digest{};
    std::uint64_t first_seq = 0, last_seq = 0;
    std::uint64_t repeats = 0;  // 0, or the index of the earlier batch this one repeats byte for byte
  };
  std::vector<Row> batches;
  std::vector<crypto::PublicKey> keys;  // the distinct keys that sealed the batches, in file order
  std::uint64_t distinct = 0;           // batches that are not repeats
  std::uint64_t entries = 0;            // entries in them
};

// Reads the whole file and checks, with no log state: every batch decodes, belongs
// to the header's office, and verifies (chain::verify_run: links, the seal covers
// the batch, its signature); each batch continues the one before it (a batch that
// repeats an earlier one byte for byte is allowed and skipped: an idempotent
// re-send); and the distinct batches are exactly what the header announces — the
// count, the first seq and the last one. A file cut at a batch boundary fails here
// ("the file is incomplete: copy it again from the office").
Result<ExportContents> check_export(const std::filesystem::path& path);

}  // namespace lontar::protocol
