// sync.hpp — the office's sync client: push the outbox, pull the feed, and check
// at every sync that the server has not rewritten its history (DESIGN.md, Sync).
//
// One sync (sync_once):
//   1. refuses at once while the store carries an incident (see below);
//   2. GET /v1/ledger: the log key the server announces must be the pinned one; the
//      ledger's NIK key is taken (see "Re-keying");
//   3. GET /checkpoint, accepted only if (a) it carries the pinned log key's signature
//      for the pinned origin, (b) a consistency proof links it to the last checkpoint
//      this office accepted, and (c) the last seal leaf of this office that the
//      server acknowledged is proven included in it;
//   4. GET /v1/offices/<id>/head, then POST /v1/push of the outbox from its first
//      entry, in batches of at most `batch_entries` entries and `batch_bytes_max`
//      bytes, each with a fresh seal over its last entry signed by the office key
//      (seals are cheap, so any prefix can be pushed). Re-sent entries get their
//      earlier receipts (the push is idempotent), so a sync that died after the
//      server committed but before the receipts were stored loses nothing and logs
//      nothing twice. Each response's checkpoint is accepted as in step 3, with the
//      batch's own seal leaf as (c). Receipts (leaf index, verdict per entry) and the
//      checkpoint are stored, and the entries leave the outbox, in one transaction.
//      Pipelined: the next batch is sent while one batch's receipts are stored, so the
//      server may hold up to two batches the office has no receipts for yet (re-pushed
//      and answered with their earlier receipts if the sync dies there);
//   5. pulls GET /v1/feed from the next leaf not yet pulled up to the accepted
//      checkpoint's size into the replica (rules state): other offices' redacted
//      entries through rules::apply_redacted, full leaves (admin entries) through
//      rules::apply with the server's verdict, this office's own entries skipped
//      (they were applied when recorded) after checking that their hash is the one
//      recorded here.
//
// Incidents. Any failure of 3(a)-(c), a leaf of this office that differs from what
// was recorded, or a server head below what it acknowledged, means that the server's
// history changed. That is not retried: the store is marked (setting "incident",
// shown by `status`), every later sync refuses with exit code 7 until an operator
// runs `lontar-agent incident clear` after investigating (README, Sync).
//
// Re-keying. Until the first sync the replica is keyed by a NIK key generated at
// init (the ledger's is not known offline) and seeded with stand-in admin entries
// (local_ledger.hpp). When the ledger's key differs from the stored one (first sync,
// or after `incident clear`), the replica is rebuilt in ONE transaction: every
// rules_* table is dropped, the state is re-created under the ledger's key, the
// feed is replayed from leaf 0 (this office's own entries arrive in full, so their
// person keys are recomputed from the entries themselves, never from the old keyed
// hashes), and own entries the log does not hold yet are judged and applied on top.
// The same rebuild runs when the server rejected an entry that this office had
// applied locally (e.g. a duplicate enrollment found centrally): the replica then
// follows the log's order and verdicts instead of the local ones.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "note/checkpoint.hpp"
#include "note/note.hpp"
#include "office.hpp"
#include "protocol/client.hpp"
#include "protocol/protocol.hpp"
#include "protocol/trusted_log.hpp"

namespace lontar::agent {

// Entries per push batch (the server's own limit).
constexpr std::size_t sync_batch_entries_max = chain::batch_entries_max;
// Encoded bytes per push batch: half the server's body limit leaves room for the seal.
constexpr std::size_t sync_batch_bytes_max = protocol::push_body_bytes_max / 2;
// Leaves per feed request.
constexpr std::size_t sync_feed_page_max = protocol::feed_items_max;

// Settings keys the sync keeps in the store.
constexpr const char* incident_setting = "incident";
constexpr const char* incident_evidence_setting = "incident_evidence";  // the signed checkpoints that disagree
constexpr const char* feed_next_setting = "feed_next";                  // next leaf index to pull (decimal)
constexpr const char* seal_leaf_index_setting = "seal_leaf_index";      // last own seal leaf acknowledged
constexpr const char* seal_leaf_hash_setting = "seal_leaf_hash";        // its RFC 6962 leaf hash (32 bytes)

struct SyncOptions {
  std::string server_url;                 // "" = the one stored at init
  std::string server_key;                 // "" = the one stored at init (the log's verifier key)
  std::optional<std::string> passphrase;  // for the office key (TLS client identity)
  std::size_t batch_entries = sync_batch_entries_max;
  std::function<void(const std::string&)> progress;  // one line per step (may be empty)
};

struct SyncReport : domain::OutcomeCounts {
  std::uint64_t batches = 0;
  std::uint64_t entries_pushed = 0;  // receipts received (new or replayed)
  std::uint64_t leaves_pulled = 0;
  std::uint64_t leaves_withheld = 0;  // of those, other offices' entries outside this office's scope
  bool replica_rebuilt = false;
  std::uint64_t checkpoint_size = 0;
};

// What a failed sync means for the caller (exit codes, retry or not).
enum class SyncFailure {
  retry,     // network, TLS, server busy or down, a garbled answer: try again later
  refused,   // the server refused this office (not registered, revoked, equivocation): needs an operator
  incident,  // the server's history changed: the store is marked; never retried
  local,     // this store is at fault (the message says what)
};
// Classifies an error of sync_once by its code; `store` tells whether an incident
// is recorded and whether the outbox is damaged (check_outbox).
SyncFailure classify(Store& store, const Error& e);

// The local checks a sync makes before it sends anything: every entry without a
// receipt is put back in the outbox (a damaged outbox loses nothing), and the
// entries waiting there are re-checked: each hashes to its stored hash, decodes as
// its own seq, and links to the one before it, the first to the last acknowledged
// entry. A damaged store is Code::corrupt naming the entry and what to run; it is
// this office's fault, never the server's (SyncFailure::local).
Result<std::uint64_t> repair_outbox(Store& store);
Status check_outbox(Store& store);

// The server URL and verifier key: the options' when given, else the stored ones.
// A bad_input error names what is missing.
Status resolve_server(Store& store, SyncOptions& options);

// One sync of `office` (see above). On an incident the store is marked before the
// error is returned; the error's message says what was found.
Result<SyncReport> sync_once(Office& office, const std::filesystem::path& data_dir, const SyncOptions& options);

// The incident recorded in the store, if any.
Result<std::optional<std::string>> incident(Store& store);

// ---- The checks of a sync, shared with import-bundle (bundle.hpp) ----

// An error meaning that the server's history changed (see Incidents):
// Code::history_changed (protocol::history_changed), with the signed checkpoints
// that contradict each other as its evidence when there are two. mark_incident
// records it (and its evidence) in the store.
Error incident_error(std::string what, std::vector<std::string> evidence = {});
Status mark_incident(Store& store, const Error& e);

// The log as this office trusts it: the pinned verifier `log` and the last
// checkpoint the store accepted (protocol/trusted_log.hpp decides what extends it).
Result<protocol::TrustedLog> trusted_log(Store& store, const note::Verifier& log);
using protocol::check_included;

// A seal leaf of this office in the log: its index and RFC 6962 leaf hash.
struct SealLeaf {
  std::uint64_t index = 0;
  Hash hash{};
};
// The last seal leaf of this office the server acknowledged, if any.
Result<std::optional<SealLeaf>> stored_seal_leaf(Store& store);

// The leaf bytes at `index` must be a seal of `office` under its own key, validly
// signed, covering at least `last_seq` (an incident_error otherwise).
Result<SealLeaf> check_seal_leaf(const Office& office, std::uint64_t index, ByteView leaf, std::uint64_t last_seq);

// Inside the caller's transaction: stores each receipt (the entry leaves the
// outbox) and makes `cp` the accepted checkpoint and `seal` the last acknowledged
// seal leaf.
Status store_receipts(Store& store, std::span<const protocol::EntryReceipt> receipts, const Store::Checkpoint& cp,
                      const SealLeaf& seal);

// Clears the incident after an operator's investigation: forgets the accepted
// checkpoint and seal leaf (the next sync trusts the server's current history),
// puts every entry back in the outbox (re-pushing is idempotent, and anything the
// server lost is logged again) and forces a rebuild of the replica.
Status clear_incident(Store& store, std::string_view reason);

}  // namespace lontar::agent
