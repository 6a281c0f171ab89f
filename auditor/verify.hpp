// verify.hpp — one audit run: from a source's checkpoint down to every leaf.
//
// verify() opens the source's signed checkpoint with the log's verifier key, checks
// it against every checkpoint accepted before (same size with another root is a
// fork; smaller than one accepted is a rollback), then streams the leaves not yet
// audited: the parallel stage (leaf_stream.hpp) decodes and hashes, the sequential
// stage recomputes the Merkle root from the remembered frontier (merkle::RootBuilder),
// checks the hash tiles (tile_check.hpp) and the chains, seals and verdicts
// (ledger_check.hpp). The recomputed root must equal the checkpoint's: that proves
// the new tree extends the one accepted before, and that the entries are the ones
// the checkpoint signs. Only a run without findings is remembered.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "findings.hpp"
#include "note/checkpoint.hpp"
#include "source.hpp"

namespace lontar::audit {

struct VerifyOptions {
  std::string verifier_key;         // "<name>+<hex id>+<base64 key>"; the name is the log's origin
  std::filesystem::path state_dir;  // the audit state (audit_state.hpp)
  // After the usual run (only the leaves added since the last one), audit every leaf again
  // from the first in a fresh state (STATE/from-start.tmp, removed after): an old leaf or
  // tile changed on the server's disk since it was audited is found (root and tile
  // mismatch naming the leaf). The report is that second run's.
  bool from_start = false;
  // After the usual run, re-read this many leaves audited by earlier runs, chosen at random
  // (all of them when there are fewer): each leaf's bytes from its entry bundle, hashed
  // and proved into the checkpoint's root through the hash tiles. A leaf changed on the
  // server's disk since it was audited is a root_mismatch finding naming it. Cheap enough
  // for every run (one bundle and a few tiles per leaf); 0: none.
  std::uint64_t sample = 0;
  // Record the report's facts on a thread of their own (report_book.hpp, ReportWriter),
  // alongside the replay; false: on the replay's thread (the same rows; for tests).
  bool report_thread = true;
};

struct VerifyReport {
  Findings findings;
  std::string source;
  std::optional<note::Checkpoint> checkpoint;
  std::uint64_t from = 0;  // leaves [from, to) were checked in this run
  std::uint64_t to = 0;
  std::uint64_t entries = 0;
  std::uint64_t seals = 0;
  std::uint64_t checkpoints_accepted = 0;  // after this run
  std::uint64_t sampled = 0;               // old leaves re-read at random (VerifyOptions::sample)
  double seconds = 0;
  long peak_rss_kib = 0;  // of this process, at the end of the run (VmHWM)
  bool passed() const { return findings.empty(); }
};

// Errors are reasons the audit could not run (bad key, unusable state folder);
// everything wrong with the log is a finding in the report.
Result<VerifyReport> verify(Source& source, const VerifyOptions& options);

// One line a person can read: PASS or FAIL, the log, its size, what was checked.
std::string summary_line(const VerifyReport& r);
// The whole report as one JSON object.
std::string to_json(const VerifyReport& r);

}  // namespace lontar::audit
