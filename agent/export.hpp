// export.hpp — the unsynced entries as a file to carry (USB stick) when there is
// no network at all.
//
// File layout (docs/FORMAT.md §7, "Office export"): a text header of "key: value"
// lines that starts with "LONTAR-EXPORT 1", names the checkpoint the office last
// accepted ("checkpoint: <size> <base64 root>" or "checkpoint: none"), says that
// the file holds personal data, and ends with an empty line; then for each push
// batch an 8-byte little-endian length and encoding::encode(chain::Batch). Batches
// end on seals, so each is exactly what the sync client would push. Readers ignore
// header keys they do not know, so the checkpoint line did not need a new version.
#pragma once

#include <filesystem>

#include "office.hpp"

namespace lontar::agent {

constexpr std::string_view export_magic = "LONTAR-EXPORT 1";
constexpr std::string_view export_checkpoint_key = "checkpoint";
constexpr std::string_view export_no_checkpoint = "none";

struct ExportSummary {
  std::uint64_t entries = 0;
  std::uint64_t batches = 0;
  std::uint64_t first_seq = 0, last_seq = 0;
};

// Writes the file atomically (temp + fsync + rename); refuses to overwrite.
Result<ExportSummary> export_unsynced(Office& office, const std::filesystem::path& out);

}  // namespace lontar::agent
