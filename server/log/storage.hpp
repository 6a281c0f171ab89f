// storage.hpp — the seam between the central log's logic and its database.
//
// The log's logic — the integrator (integrator.hpp), mirror restore (in it), the
// publisher (publisher.hpp) and the read paths (reader.hpp) — never spells out SQL: it
// asks a LogStorage for typed rows. SqliteStorage (sqlite_storage.hpp) is the one
// backend today; a second one (PostgreSQL) implements these three classes and nothing
// else changes.
//
// The rows (one table each in SQLite):
//   settings     origin, the log's public key, the ledger's NIK key (written once, by create)
//   leaves       index → leaf bytes; indexes 0 .. size-1, no gap (leaf hashes live in tiles)
//   tiles        (level, index) → the newest version of each hash tile (merkle/tile_writer.hpp)
//   checkpoints  size → signed checkpoint note: one per integration that added leaves
//   entries      (principal, seq) → leaf index and entry hash of each logged office entry
//   seals        (principal, last_seq) → leaf index of each logged seal
//   heads        principal → its last logged seq and entry hash
//   keys         public key → principal, role, active (follows applied principal.* entries)
//   equivocations  evidence of refused forks, kept for ever
//   rules_*      the rules engine's state (rules::State), in the same database
//
// What each caller needs from a backend:
//
//  WriteSide — the integrator's, and nobody else's: ONE writer for the ledger at a time,
//    used from one thread. Every write happens inside transaction(): the leaves, tiles,
//    checkpoint, entries, seals, heads, keys, equivocations and rules-state rows written by
//    its body become durable together (and survive power loss) when it returns ok, or none
//    of them does. That is what makes "a checkpoint is never published for uncommitted
//    leaves" and "a failed integration leaves the store as it was" hold. Reads on this side
//    see the open transaction's writes.
//    One writer: SqliteStorage relies on the server's data-folder lock (cli_lock.hpp) and
//    BEGIN IMMEDIATE. Several server processes on one PostgreSQL choose their one integrator
//    through the database (a lease row or an advisory lock taken when the WriteSide is
//    opened, and checked at each transaction): the integrator's in-memory state (the tree's
//    right edge, cached heads) is valid only while it holds that role, and is reloaded
//    (Integrator::load) when it takes it.
//  ReadSide — the HTTP threads': any number of threads, concurrently with the writer.
//    Sees committed rows only, never part of a transaction. A backend serializes or pools
//    connections as it needs (SqliteStorage: one connection behind a mutex).
//
// Errors: the backend's own (io, corrupt), naming the store (name()) and what failed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "chain/chain.hpp"
#include "crypto/crypto.hpp"
#include "domain/domain.hpp"
#include "merkle/tile_writer.hpp"
#include "rules/rules.hpp"
#include "service.hpp"

namespace lontar::server {

// Written once when the ledger is created.
struct LogSettings {
  std::string origin;                  // the log's name (a C2SP note key name)
  crypto::PublicKey log_public_key{};  // verifies its checkpoints
  rules::NikKey nik_key{};             // keys person_key()
};

// A principal's last logged entry: its seq and entry hash (0 and zero: none yet).
using Head = chain::ChainHead;

// Where an office entry was logged.
struct LoggedEntry {
  std::uint64_t leaf_index = 0;
  Hash entry_hash{};
};

struct StoredCheckpoint {
  std::uint64_t size = 0;
  std::string note;  // C2SP signed note
};

// One recorded equivocation: the principal signed two different entries under one seq.
struct Equivocation {
  std::string principal;
  std::uint64_t seq = 0;
  Hash logged_hash{};   // entry hash in the log (or the logged head the offered chain forks from)
  Hash offered_hash{};  // what the refused batch carried under that seq
  Bytes offered_batch;  // the refused batch, encoded (its signed seal is the evidence)
  std::int64_t detected_at_ms = 0;
};

// What a copy of the store holds (LogStorage::backup): its leaves and latest checkpoint.
struct CopyHead {
  std::uint64_t leaves = 0;
  std::optional<StoredCheckpoint> checkpoint;  // none in a store that has no checkpoint yet
};

class WriteSide {
 public:
  virtual ~WriteSide() = default;

  // Runs `body` in one transaction: commits when it returns ok; otherwise (or when the
  // commit fails) rolls back and returns the error, and nothing `body` wrote remains.
  virtual Status transaction(const std::function<Status()>& body) = 0;

  // ---- reads ----
  // The number of leaves; corrupt unless they are 0 .. n-1 without a gap.
  virtual Result<std::uint64_t> leaf_count() = 0;
  virtual Result<std::optional<StoredCheckpoint>> latest_checkpoint() = 0;
  // Hash tile `id` at width id.width: a prefix of the stored version; corrupt when it is
  // missing or narrower.
  virtual Result<Bytes> tile(const merkle::TileId& id) = 0;
  virtual Result<Head> head(std::string_view principal) = 0;
  virtual Result<std::optional<LoggedEntry>> entry(std::string_view principal, std::uint64_t seq) = 0;
  virtual Result<std::optional<Bytes>> leaf(std::uint64_t index) = 0;
  // The leaf index of `principal`'s first seal whose last_seq is at or above `seq`.
  virtual Result<std::optional<std::uint64_t>> seal_covering(std::string_view principal, std::uint64_t seq) = 0;
  virtual Result<std::uint64_t> equivocation_count() = 0;

  // ---- writes: inside transaction() only ----
  virtual Status put_leaf(std::uint64_t index, ByteView leaf) = 0;                                    // a new index
  virtual Status put_entry(std::string_view principal, std::uint64_t seq, const LoggedEntry& e) = 0;  // a new one
  virtual Status put_seal(std::string_view principal, std::uint64_t last_seq, std::uint64_t leaf_index) = 0;
  virtual Status put_head(std::string_view principal, const Head& head) = 0;  // replaces
  virtual Status put_tile(const merkle::TileWrite& tile) = 0;                 // replaces the stored version
  virtual Status put_checkpoint(const StoredCheckpoint& checkpoint, std::int64_t signed_at_ms) = 0;
  virtual Status put_equivocation(const Equivocation& e) = 0;
  // Makes `key` an active key of `principal` (replacing what the key was before).
  virtual Status put_key(const crypto::PublicKey& key, std::string_view principal, domain::Role role) = 0;
  virtual Status revoke_key(const crypto::PublicKey& key, std::string_view principal) = 0;
  // The rules engine's state in the same database: what apply() writes through it belongs
  // to the open transaction.
  virtual rules::State& rules_state() = 0;
};

class ReadSide {
 public:
  virtual ~ReadSide() = default;
  // As WriteSide::tile, from committed rows.
  virtual Result<Bytes> tile(const merkle::TileId& id) = 0;
  // Calls `each` with the leaves first .. end-1 in order, at most `limit` of them; stops
  // at the first error `each` returns. The bytes are valid during the call only.
  virtual Status leaves(std::uint64_t first, std::uint64_t end, std::size_t limit,
                        const std::function<Status(std::uint64_t index, ByteView leaf)>& each) = 0;
  virtual Result<Head> head(std::string_view principal) = 0;
  // The principal whose active key this is, with its registered scope.
  virtual Result<std::optional<Caller>> key_owner(const crypto::PublicKey& key) = 0;
  // The logged leaf of the claim.filed entry that claim `claim_no` now stands on (from the
  // rules state's claims), or nullopt when no applied claim has that number. The feed reads
  // it to place another office's payout in or out of a caller's scope.
  virtual Result<std::optional<Bytes>> claim_leaf(std::string_view claim_no) = 0;
  // Every recorded equivocation, oldest first, at most `limit`.
  virtual Result<std::vector<Equivocation>> equivocations(std::size_t limit) = 0;
};

// A push queued by a server process that does not integrate, for the one that does.
struct QueuedPush {
  std::int64_t id = 0;
  Caller caller;
  Bytes batch;  // chain::Batch, encoded
};
// Its answer: the encoded protocol::PushResponse, or an error.
struct QueuedAnswer {
  std::optional<Error> error;
  Bytes response;
};

// Several server processes on one database (PostgreSQL): one of them integrates (holds
// the integrator role, taken through the database), every one accepts pushes. A process
// without the role queues each push in the database and waits for its answer, which the
// integrating process writes once the push's group is integrated and published.
class SharedLog {
 public:
  virtual ~SharedLog() = default;
  // Whether this process holds the integrator role now (its WriteSide may write).
  virtual bool integrating() = 0;
  // Takes the role when nobody holds it (never waits); true when this process holds it.
  virtual Result<bool> try_integrate() = 0;
  // The newest committed checkpoint.
  virtual Result<std::optional<StoredCheckpoint>> latest_checkpoint() = 0;
  // Queues a push; returns its id.
  virtual Result<std::int64_t> enqueue(const Caller& caller, ByteView batch) = 0;
  // The answer to push `id` once written (then removed), else nullopt.
  virtual Result<std::optional<QueuedAnswer>> take_answer(std::int64_t id) = 0;
  // The integrator: queued pushes with ids above `after`, oldest first, at most `limit`.
  virtual Result<std::vector<QueuedPush>> queued(std::int64_t after, std::size_t limit) = 0;
  // The integrator: answers push `id` and takes it off the queue.
  virtual Status answer(std::int64_t id, const QueuedAnswer& answer) = 0;
};

class LogStorage {
 public:
  virtual ~LogStorage() = default;
  // Several processes on this store (nullptr: one process only, as SqliteStorage).
  virtual SharedLog* shared() { return nullptr; }
  // The store, for messages (SqliteStorage: the file's path).
  virtual const std::string& name() const = 0;
  virtual const LogSettings& settings() const = 0;
  virtual WriteSide& write_side() = 0;
  virtual ReadSide& read_side() = 0;

  // Copies the whole store into the new file `to` (conflict if it exists) as of one commit,
  // while the writer goes on; the file appears only once complete and synced to disk.
  // Returns what the copy holds, read back from it (`lontar-server backup`). A backend whose
  // database has its own backup tools may refuse, naming them: this default does.
  virtual Result<CopyHead> backup(const std::filesystem::path& to) {
    return Error{Code::bad_input, name() +
                                      ": `lontar-server backup` copies SQLite ledgers only; back this store up "
                                      "with its database's own tools (PostgreSQL: pg_basebackup or pg_dump), " +
                                      "not to " + to.string()};
  }
};

}  // namespace lontar::server
