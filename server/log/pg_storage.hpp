// pg_storage.hpp — the central log's rows in a PostgreSQL database (storage.hpp's second
// backend), through libpq (pg.hpp).
//
// The tables are the SQLite store's (storage.hpp lists them), created by the versioned
// SQL files in server/log/pg_schema/ (NNNN_name.sql, applied in order, each recorded in
// lontar_schema_migrations; open applies the ones a database lacks, and refuses a
// database migrated by a newer program).
//
// WriteSide: one session (connection). Opening it tries to take the ledger's integrator
// lock, a session-level PostgreSQL advisory lock (integrator_lock_key): while a process
// holds it, no other process writes the ledger. A process without it serves and queues
// pushes (SharedLog, below) and tries again (SharedLog::try_integrate) until it gets it.
// Each transaction() is fenced twice before its body runs: the session must be the one
// that took the lock (a lost session loses the lock: it is taken again if free, else the
// transaction fails), and the newest checkpoint in the database must be the one this
// writer last saw or wrote (else another integrator wrote meanwhile: fail, and the
// integrator reloads). Should two writers ever overlap all the same, the primary keys on
// leaf index and checkpoint size make the second one's commit fail: the log cannot fork in
// the database. Commits are synchronous (synchronous_commit = on): durable on the
// primary, and on a synchronous standby when the cluster has one (docs/SCALE.md).
//
// SharedLog: the pushes a non-integrating process accepted wait in log_push_queue; the
// integrator writes each answer to log_push_answers when the push's group is published,
// and takes it off the queue; the accepting process takes the answer.
//
// ReadSide: a small pool of sessions (read_connections_max), each query in its own
// implicit transaction, so that it sees committed rows only.
//
// A lost database (restart, network): calls fail with Code::io ("unreachable, try
// again"); the next call reconnects.
#pragma once

#include <memory>
#include <string>

#include "log/pg.hpp"
#include "log/storage.hpp"

namespace lontar::server {

// pg_try_advisory_lock's key for "the integrator of this database's ledger" ("Lontar" in ASCII).
constexpr std::int64_t integrator_lock_key = 0x4c6f6e746172;
constexpr std::size_t read_connections_max = 4;

// Creates a new ledger in the database at `url` (a libpq URI, postgresql://...): its
// schema and settings. Code::conflict when the database already holds a ledger.
Result<std::unique_ptr<LogStorage>> create_pg_storage(const std::string& url, const LogSettings& settings);

// Opens the ledger in the database at `url` (applying schema migrations it lacks).
// Code::not_found when the database holds no ledger. When another process holds the
// integrator lock, the store opens without it (SharedLog::integrating() is false).
Result<std::unique_ptr<LogStorage>> open_pg_storage(const std::string& url);

// The rules state on `conn` (tables rules_*; pg_state.cpp). `conn` must outlive it. Its
// inserts and upserts of participants, claims, receipts, coverage and applied entries wait
// in memory and are written one multi-row statement per table by flush_writes(), which runs
// before any read of the state, before any other write, and (called by the WriteSide)
// before the commit; discard_writes() forgets them when the transaction is rolled back.
class PgRulesState : public rules::State {
 public:
  virtual Status flush_writes() = 0;
  virtual void discard_writes() = 0;
};
std::unique_ptr<PgRulesState> make_pg_state(pg::Conn& conn, const rules::NikKey& key);

}  // namespace lontar::server
