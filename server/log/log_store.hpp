// log_store.hpp — the central log of lontar-server: a LogService over one SQLite file or
// one PostgreSQL database (storage.hpp).
//
// The parts, each in a file of its own (docs/ARCHITECTURE.md draws them):
//   log_store.cpp      this class: opening, the push queue, the integrator's thread;
//   integrator.hpp     the one writer: a group of pushes → leaves, verdicts, one checkpoint;
//   mirror_restore.cpp the integrator rebuilding the log from a mirror;
//   publisher.hpp      recording and serving checkpoints, answering pushes;
//   reader.hpp         tiles, the feed, proofs, heads, keys;
//   storage.hpp        the seam to the database; sqlite_storage.hpp is its SQLite backend.
//
// Promises:
//  - Every pushed entry and every seal becomes a leaf of one append-only RFC 6962
//    tree, in log order: for each batch its seal leaf first, then its new entry
//    leaves (docs/FORMAT.md). Each entry leaf carries the verdict of the rules
//    engine, judged in log order against the state before it.
//  - Group commit: pushes from any number of threads queue up; one integrator
//    thread takes everything waiting and integrates it in ONE transaction (leaves,
//    hash tiles, rules state, office heads) with ONE signed checkpoint. A publisher
//    thread then records the checkpoint (before_publish), serves it and answers
//    every push in the group, while the integrator goes on with the next group;
//    groups committed meanwhile are published together. push() returns only after
//    its commit is durable (WAL, synchronous=FULL) and a checkpoint covering it is
//    recorded and served.
//  - WAL checkpoints run on a thread of their own, not in the integrator's commits.
//  - A checkpoint is never published for uncommitted leaves: it is written in the
//    same transaction as the leaves it covers and served only after the commit.
//  - Restart resumes from the store; a failed integration leaves the store as it
//    was before it, and every push of the failed group gets the error.
//  - Several processes on one PostgreSQL ledger (LogStorage::shared()): the one holding
//    the integrator role integrates as above; every other one checks each push as above,
//    queues it in the database and answers it with the receipts the integrator wrote.
//    It follows the log (serves the newest committed checkpoint) and takes the role when
//    it becomes free (log_store.cpp: follow_interval).
//  - Memory does not grow with the log: the store keeps only the right edge of the
//    tree and the heads of the principals that pushed recently in RAM.
//  - The server checks itself (SQLite ledgers): a scrub thread, on a connection of its
//    own, re-reads the leaves and re-hashes the tiles against the latest checkpoint
//    (ScrubPass) at options.scrub_leaves_per_second, one pass after another (at most one
//    pass start per second). Damage, or a broken integrator invariant, stops signing
//    (signing_stop.hpp): the alarm is logged once and shown in metrics(), every push is
//    refused (Code::io, HTTP 503) naming the damage and what to run, and no checkpoint is
//    signed until the process restarts over a restored ledger.
//
// Refusals (the push changes nothing, except that equivocation evidence is kept):
//  Code::unauthorized — caller is not the batch's principal; seal signed by a key
//                       that is not registered or was revoked; bad seal signature;
//  Code::bad_input    — empty or oversized batch, broken chain link, a gap after
//                       the server's head;
//  Code::conflict     — equivocation: a different entry under a seq already logged;
//  Code::io           — signing stopped (damage or a broken invariant), shutting down.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "crypto/crypto.hpp"
#include "log/integrator.hpp"
#include "log/publisher.hpp"
#include "log/reader.hpp"
#include "log/storage.hpp"
#include "rules/rules.hpp"
#include "service.hpp"

namespace lontar::server {

// Pushes waiting for the integrator; a push beyond this waits for room (backpressure).
constexpr std::size_t push_queue_max_default = 4096;
// Entries integrated in one group commit at most (bounds one transaction's size).
constexpr std::size_t integration_entries_max_default = 200'000;
// C2SP entry bundles prefix each leaf with a uint16 length, so a leaf (an encoded
// entry with its verdict) must fit in 65,535 bytes; entries are checked against
// this, leaving room for the largest verdict.
constexpr std::size_t bundle_leaf_bytes_max = 65'535;
constexpr std::size_t entry_bytes_max = bundle_leaf_bytes_max - 8 * 1024;

// The background scrub's default rate (`[server] scrub_leaves_per_second`).
constexpr std::uint64_t scrub_leaves_per_second_default = 5000;

struct LogStoreOptions {
  std::size_t push_queue_max = push_queue_max_default;
  std::size_t integration_entries_max = integration_entries_max_default;
  // The background scrub (scrub.hpp): leaves re-read and re-hashed per second, cycling
  // through the whole log; 0 turns it off. SQLite ledgers only (a PostgreSQL ledger is
  // checked with the database's own tools and an auditor's --sample).
  std::uint64_t scrub_leaves_per_second = 0;
  BeforePublishFn before_publish = nullptr;  // optional
  // Full hash tiles kept in memory for proofs (16 KiB each; 0: none, every proof reads
  // its tiles from the store, as before December 2026).
  std::size_t proof_cache_tiles = proof_cache_tiles_default;
};

class LogStore final : public LogService {
 public:
  // `path` is the store: a SQLite file, or a PostgreSQL database given by its libpq
  // URI (postgresql://..., pg_storage.hpp).
  // Creates a new ledger store at `path` (the file must not exist): schema and
  // settings (origin, the log's public key, the NIK key). The log is empty; the
  // genesis admin entries are pushed like any batch (see log/init.hpp).
  static Result<std::unique_ptr<LogStore>> create(const std::string& path, const std::string& origin,
                                                  crypto::PrivateKey log_key, const rules::NikKey& nik_key,
                                                  LogStoreOptions options = {});

  // Opens an existing ledger store. `log_key` must be the key it was created with.
  // Checks that the stored tree matches the latest stored checkpoint.
  static Result<std::unique_ptr<LogStore>> open(const std::string& path, crypto::PrivateKey log_key,
                                                LogStoreOptions options = {});

  // Stops: refuses new pushes, integrates every push already queued, joins the integrator.
  ~LogStore() override;
  void shutdown();

  const std::string& origin() const;
  const rules::NikKey& nik_key() const;
  // The verifier key string agents and auditors pin ("<origin>+<id>+<key>").
  std::string verifier_key() const;
  // Pushes accepted and not yet answered: queued or being integrated (a gauge for /metrics).
  std::size_t pushes_in_flight();
  // Every equivocation recorded, oldest first (at most `limit`).
  Result<std::vector<Equivocation>> equivocations(std::size_t limit = 1000);

  // Restore from a mirror (`lontar-server restore --from-mirror`): appends the leaves
  // size() .. heads.back().size - 1, read verbatim through `leaf_at`, as leaves already
  // judged. Each entry leaf must carry the verdict the rules engine reaches again in log
  // order (else corrupt, naming the leaf); office heads, seals, keys and rules state are
  // rebuilt as a push would. The tree must have each given root at each given size
  // (sizes ascending, none below the current size); only then is it committed, with a
  // checkpoint at the last size, which is returned. Nothing is kept on any failure.
  // Requires that no push is in flight (the restore command holds the data lock).
  Result<std::string> append_mirrored(std::span<const TreeHead> heads,
                                      const std::function<Result<Bytes>(std::uint64_t index)>& leaf_at);

  // LogService (server/service.hpp).
  Result<std::optional<Caller>> authenticate(const crypto::PublicKey& key) override;
  Result<protocol::PushResponse> push(const Caller& caller, chain::Batch batch) override;
  Result<std::pair<std::uint64_t, Hash>> head(std::string_view principal) override;
  Result<protocol::FeedPage> feed(const Caller& caller, std::uint64_t from, std::size_t limit) override;
  Result<protocol::Proof> inclusion_proof(std::uint64_t index, std::uint64_t size) override;
  Result<protocol::Proof> consistency_proof(std::uint64_t old_size, std::uint64_t new_size) override;
  // merkle::range_proof of leaves [begin, end) in the published tree of `size` leaves
  // (the receipts bundle, docs/FORMAT.md §8); Proof::first is `begin`.
  Result<protocol::Proof> range_proof(std::uint64_t begin, std::uint64_t end, std::uint64_t size);
  std::string checkpoint() override;
  Result<Bytes> tile(std::string_view path) override;
  Metrics metrics() override;

  struct Impl;
  explicit LogStore(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace lontar::server
