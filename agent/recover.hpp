// recover.hpp — a new laptop for an office whose laptop was lost or stolen: rebuild
// the office's store from the central log and continue its chain (issue 6;
// docs/OPERATIONS.md §8).
//
// The flow, on the new laptop, with an empty data folder:
//   1. prepare_recovery_key() creates the folder (0700), a new Ed25519 key (0600,
//      optionally with a passphrase) and its TLS client certificate — or reuses the
//      key an earlier run left there. The admin registers that key for the same
//      office (`lontar-server office add-key --id CODE --key HEX`) and revokes the
//      lost one (`office revoke`).
//   2. recover_office() connects with the new key and:
//      - GET /v1/ledger: the log key announced must be the pinned one, and the
//        server must know the new key as CODE (else RecoverFailure::not_registered);
//      - GET /checkpoint: opened with the pinned log key (signature, origin);
//      - pulls the whole feed up to the checkpoint's size and the level-0 hash tiles
//        of the same range: the RFC 6962 root of all the tiles' leaf hashes must be the
//        checkpoint's root, and every leaf the office sees in full (its own entries,
//        all seals, admin entries) must hash to its tile's hash — so everything
//        rebuilt is proven to be in the signed log;
//      - the office's own entries must run 1..S without gaps, each linking to the one
//        before; each of its seal leaves must carry a valid signature by a key that
//        was registered for the office, and not revoked, at that point in the log;
//      - builds the store in <dir>/.recover-tmp/: own entries with their receipts
//        (leaf index, verdict: nothing left in the outbox), the log's seals of the
//        office, the replica (rules state replayed from the feed under the ledger's
//        NIK key), the checkpoint, the feed position and the last seal leaf (what
//        `sync` proves included at its next run), the former keys that sealed the
//        chain (verify.hpp), and settings as `init` writes them, with the new key;
//      - runs verify_chain over it, closes it, and links it into place as
//        <dir>/agent.db (never replacing one: a concurrent init or recover loses).
//   A crash at any point leaves either no agent.db (rerun recover: the temporary
//   folder is discarded) or a complete, verified one.
// The next `record` continues at seq S + 1, sealed with the new key.
//
// Entries the lost laptop recorded but never synced are not in the log and cannot be
// recovered: the report names S so that the office can re-enter what came after it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "office.hpp"

namespace lontar::agent {

// The folder a recovery is built in, inside the data folder.
constexpr const char* recover_tmp_dir_name = ".recover-tmp";
// Setting written by a recovery: when, from which checkpoint, up to which seq.
constexpr const char* recovered_setting = "recovered";

struct RecoveryKey {
  crypto::PublicKey public_key{};
  bool created = false;  // false: an earlier run's key was reused
  std::filesystem::path key_file;
};

// The new key in `dir`: created with its certificate when `dir` holds none, else the
// one an earlier recover left (decrypted with `passphrase`). Refuses (conflict) when
// `dir` already holds an office store: a recovery never overwrites an office.
Result<RecoveryKey> prepare_recovery_key(const std::filesystem::path& dir, const std::string& office,
                                         const std::optional<std::string>& passphrase);

struct RecoverOptions {
  std::string office;      // the office's principal id, e.g. "SBY-RUNGKUT"
  std::string server_url;  // required
  std::string server_key;  // the log's verifier key, required
  std::optional<std::string> passphrase;
  std::function<void(const std::string&)> progress;  // one line per step (may be empty)
};

struct RecoverReport : domain::OutcomeCounts {
  std::string office, name;
  std::uint64_t entries = 0;                    // own entries rebuilt (= last_seq)
  std::uint64_t last_seq = 0;                   // S: the last seq the lost laptop synced; 0 if none
  std::uint64_t seals = 0;                      // the office's seal leaves in the log
  std::uint64_t leaves = 0;                     // the verified checkpoint's tree size
  Hash root{};                                  // and root
  std::string checkpoint_note;                  // the signed note as received
  std::vector<std::string> former_keys;         // fingerprints of the other keys that sealed the chain
  std::vector<std::string> former_keys_active;  // those of them not revoked in the log (yet)
  std::string public_key_hex, fingerprint;      // the new key
};

// What a failed recovery means for the caller (exit codes).
enum class RecoverFailure {
  not_registered,  // the server does not know the new key as this office (yet), or it was revoked
  unverified,      // the server or what it sent failed a check (pin, signature, root, chain, seal)
  retry,           // network, TLS, server busy or down: try again later
  local,           // bad options, the folder, or this machine's disk (the message says what)
};

// Rebuilds the office's store in `dir` (see above). `dir` must hold the key from
// prepare_recovery_key and no agent.db. On failure `*failure` says what kind it was
// and nothing is left in place of agent.db.
Result<RecoverReport> recover_office(const std::filesystem::path& dir, const RecoverOptions& options,
                                     RecoverFailure* failure);

}  // namespace lontar::agent
