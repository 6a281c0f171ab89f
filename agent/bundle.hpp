// bundle.hpp — import-bundle: the receipts of a carried export, brought back on a
// stick from `lontar-server import` (docs/FORMAT.md §8, "Receipts bundle"), for an
// office with no network at all.
//
// import_bundle verifies what a sync verifies (sync.hpp) and a little more, then
// stores the verdicts as if the entries had been pushed:
//   1. the bundle is for this office (else conflict, naming both offices);
//   2. the checkpoint carries the pinned log key's signature; it extends the
//      checkpoint this office accepted — the consistency proof in the bundle starts
//      at the checkpoint the export's header named, which must be the one this
//      office still trusts (else conflict: it synced since; sync over the network
//      or export again), or the bundle's checkpoint is the trusted one itself;
//   3. every batch's seal leaf is proven included and is a seal of this office's key
//      covering the batch; every receipt's entry leaf, rebuilt from THIS office's
//      stored entry and the receipt's verdict, is proven included at its leaf index
//      (so each verdict is the one in the log, and the log holds exactly the entry
//      written here);
//   4. the file's last 64 bytes are the log key's signature over the rest.
// Only when all of that holds are the receipts stored, the entries taken out of the
// outbox and the checkpoint and last seal leaf advanced, in one transaction.
//
// Failures of 2-3 in a file that passes 4 are the server's own statements: an
// incident exactly as in a sync (the store is marked; exit 7 until `incident
// clear`). The same failures in a file that fails 4 mean the file was altered or
// damaged on the way: refused (Code::corrupt), nothing stored, no incident.
// A bundle whose receipts are all stored already is a no-op (already_imported).
// The feed is not pulled: the replica of other offices' entries stays as it is
// until the next network sync.
#pragma once

#include <filesystem>
#include <string>

#include "office.hpp"

namespace lontar::agent {

struct BundleReport : domain::OutcomeCounts {
  std::uint64_t batches = 0;
  std::uint64_t receipts = 0;      // receipts in the bundle
  std::uint64_t acknowledged = 0;  // of them, newly stored here
  std::uint64_t checkpoint_size = 0;
  bool already_imported = false;  // nothing new: the store was left as it was
};

// Verifies and stores the receipts bundle `file` (see above). `server_key` is the
// log's verifier key ("" = the one stored at init).
Result<BundleReport> import_bundle(Office& office, const std::filesystem::path& file, std::string server_key);

}  // namespace lontar::agent
