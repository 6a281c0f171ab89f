// store.hpp — the office's one SQLite file (agent.db): its chain, seals, sync
// bookkeeping and the rules state.
//
// Tables (all created by create_schema; nothing is ever updated in place except
// the sync bookkeeping, entries.outcome included):
//   settings(key, value)      office id, name, ledger NIK key, server URL/key
//   entries(seq, ...)         the office chain: encoded entry bytes + hash, and a
//                             few decoded columns (nik, name, ref) for find/list,
//                             and `outcome`: the server's verdict once it answered,
//                             else the local one (kept by acknowledge(); indexed)
//   entry_names               FTS5 trigram index of every name, folded, by seq
//   clerks(id, ...)           the office's clerk accounts (clerks.hpp)
//   seals(last_seq, ...)      one per commit (and one per batch_entries_max entries
//                             inside a big import, so any run can be pushed)
//   outbox(seq)               entries the server has not acknowledged yet
//   receipts(seq, ...)        the server's leaf index and verdict per entry
//   checkpoint(id=1, ...)     the last checkpoint accepted from the server
//   rules_*                   the rules state (replica + own entries), rules.hpp
//
// Stores made before `outcome` and entry_names existed get them at their next
// open (one transaction).
//
// Every change happens inside a store::Transaction that the caller holds; the
// store reads the chain head inside that transaction, so two clerks' processes
// serialize on the write lock and never reuse a seq.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.hpp"  // now_ms(), used throughout the agent
#include "base/result.hpp"
#include "chain/chain.hpp"
#include "rules/rules.hpp"
#include "store/db.hpp"

namespace lontar::agent {

constexpr const char* db_file_name = "agent.db";
constexpr const char* key_file_name = "office-key.pem";
constexpr const char* cert_file_name = "office-cert.pem";
// Tests set this to make the N-th write fail as a full disk would.
constexpr const char* fail_write_env = "LONTAR_FAIL_WRITE_AFTER";

// The last entry of the chain: seq 0 and a zero hash when it is empty.
using Head = chain::ChainHead;

// One stored entry as find/list/show see it.
struct StoredEntry {
  std::uint64_t seq = 0;
  Hash hash{};
  domain::EntryKind kind = domain::EntryKind::participant_enroll;
  std::int64_t recorded_at_ms = 0;
  std::string operator_id;
  std::string nik;
  std::string name;
  std::string ref;  // claim no. or receipt no. or void target
  domain::Verdict local_verdict;
  bool confirmed = false;
  bool synced = false;
  Bytes bytes;  // encoding::encode(chain::Entry)
};

// The details of an enrollment after update `u`: each field `u` gives replaces the old.
void apply_update(domain::ParticipantEnroll& e, const domain::ParticipantUpdate& u);

class Store {
 public:
  // Opens `dir`/agent.db (must exist unless `create`). Honours LONTAR_FAIL_WRITE_AFTER.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& dir, bool create = false);

  // Creates every table (idempotent).
  Status create_schema();
  // A write transaction: every change below happens inside one the caller holds.
  Result<store::Transaction> begin();

  // ---- settings ----
  Status set_setting(std::string_view key, ByteView value);
  Status set_setting(std::string_view key, std::string_view value) { return set_setting(key, as_bytes(value)); }
  Result<std::optional<Bytes>> setting(std::string_view key);
  // A setting that must exist (the error says the store was not initialised).
  Result<std::string> required_text(std::string_view key);

  // The rules state over this db, keyed by the settings' nik_key. Opened once.
  Result<rules::State*> rules_state();
  // Forgets the opened rules state, so that the next rules_state() re-reads the
  // NIK key (the sync client, after re-keying or a rolled-back rebuild).
  void reset_rules_state() { rules_.reset(); }

  // ---- chain (call inside a Transaction) ----
  Result<Head> head();
  // Whether insert_entry() puts the entry in the outbox itself (now), or the caller
  // puts a whole run there with add_to_outbox() before it commits (later: one
  // statement for a run instead of one per entry).
  enum class Outbox { now, later };
  // An entry to insert: its encoding and hash, the local verdict, and the decoded
  // columns find/list search (record.hpp, EntryIndex).
  struct NewEntry {
    const chain::Entry& entry;
    ByteView bytes;  // encoding::encode(entry)
    Hash hash{};     // chain::entry_hash_of_bytes(bytes)
    const domain::Verdict& local_verdict;
    bool confirmed = false;  // a flagged entry the clerk confirmed
    std::string_view nik, name, ref;
  };
  // Inserts an encoded entry (and, with Outbox::now, adds it to the outbox).
  Status insert_entry(const NewEntry& e, Outbox outbox = Outbox::now);
  // Adds the stored entries first_seq..last_seq to the outbox.
  Status add_to_outbox(std::uint64_t first_seq, std::uint64_t last_seq);
  Status insert_seal(const chain::Seal& s);

  // ---- sync bookkeeping (for the sync client; call inside a Transaction) ----
  // The server logged entry `seq` at `leaf_index` with `verdict`: stores the receipt
  // and takes the entry out of the outbox. Idempotent for the same receipt.
  Status acknowledge(std::uint64_t seq, std::uint64_t leaf_index, const domain::Verdict& verdict);
  // The receipt of an entry, if the server has acknowledged it.
  struct Receipt {
    std::uint64_t leaf_index = 0;
    domain::Verdict verdict;
  };
  Result<std::optional<Receipt>> receipt(std::uint64_t seq);
  // The server's verdicts on this office's entries: how many of each, and the first
  // `listed_max` entries (by seq) it rejected or flagged, with their reasons.
  struct Judged {
    std::uint64_t seq = 0;
    std::uint64_t leaf_index = 0;
    domain::Verdict verdict;
    domain::EntryKind kind = domain::EntryKind::participant_enroll;
    std::string nik, ref, name;
  };
  struct ServerVerdicts : domain::OutcomeCounts {
    std::vector<Judged> not_accepted;
  };
  Result<ServerVerdicts> server_verdicts(std::size_t listed_max);
  // The last checkpoint accepted (after its signature and a consistency proof from
  // the previous one were checked by the caller).
  struct Checkpoint {
    std::uint64_t size = 0;
    Hash root{};
    std::string note;  // the signed note as received
  };
  Status save_checkpoint(const Checkpoint& c);
  Result<std::optional<Checkpoint>> checkpoint();

  // Forgets what the server acknowledged, after an operator cleared an incident:
  // the accepted checkpoint and the settings `keys` go, and every entry is put
  // back in the outbox (re-pushing is idempotent).
  Status forget_sync_state(std::span<const std::string_view> keys);
  // Empties every rules_* table and forgets the opened rules state (the replica is
  // about to be rebuilt from the log).
  Status clear_rules_state();

  // ---- reading ----
  Result<std::uint64_t> count_entries();
  Result<std::uint64_t> count_outbox();
  // How many entries of each kind were recorded at or after `since_ms` (the web
  // page's "today"), by kind: a walk back from the newest entry, costing the day's
  // entries rather than the store's.
  Result<std::vector<std::pair<domain::EntryKind, std::uint64_t>>> count_kinds_since(std::int64_t since_ms);
  Result<std::optional<chain::Seal>> last_seal();

  // A stored entry as stored: its seq, hash column and encoded bytes (not checked
  // against each other here: verify does that).
  struct EntryRow {
    std::uint64_t seq = 0;
    Hash hash{};
    Bytes bytes;
  };
  Result<std::optional<EntryRow>> entry_row(std::uint64_t seq);
  // The first entry that is neither waiting in the outbox nor acknowledged by the
  // server (a damaged outbox: it would never be pushed); nullopt when there is none.
  Result<std::optional<std::uint64_t>> first_unaccounted();
  // Puts back in the outbox every entry that has no receipt and is not waiting;
  // returns how many (call inside a Transaction).
  Result<std::uint64_t> repair_outbox();
  // The first and last seq waiting in the outbox; nullopt when it is empty.
  struct SeqRange {
    std::uint64_t first = 0, last = 0;
  };
  Result<std::optional<SeqRange>> outbox_range();
  // How many seals cover entries from `seq` on (last_seq >= seq).
  Result<std::uint64_t> count_seals_from(std::uint64_t seq);

  // A forward cursor over stored rows in seq order, read in the caller's
  // transaction (or snapshot). The views are valid until the next call of next().
  class Cursor {
   public:
    Result<bool> next() { return st_.step(); }
    std::uint64_t seq() const { return st_.uint64(0); }
    ByteView bytes() const { return st_.blob_view(1); }
    Hash hash() const { return st_.hash(2); }  // entries only; zero for seals

   private:
    friend class Store;
    explicit Cursor(store::Stmt st) : st_(std::move(st)) {}
    store::Stmt st_;
  };
  // Entries with seq > after_seq.
  Result<Cursor> entries_after(std::uint64_t after_seq);
  // Entries waiting in the outbox with seq >= from_seq.
  Result<Cursor> outbox_from(std::uint64_t from_seq);
  // Seals with last_seq >= from_seq (seq() is the seal's last_seq).
  Result<Cursor> seals_from(std::uint64_t from_seq);

  // ---- lookups for list / find / show (each an index walk in seq order) ----
  // Which entries: every filter given must hold. The walk is driven by the most
  // selective filter given (nik, then name, then ref, then outcome, then kind), so a
  // page costs about `limit` index steps whatever the store's size. Without a NIK,
  // name or ref, a range of recorded days bounds that walk to the seqs recorded in
  // those days (found through an index of the recording time). The sync-state
  // filter only narrows the walk.
  struct EntryQuery {
    std::string office_id;  // whose voids mark an entry voided ("OFFICE#seq")
    std::optional<domain::EntryKind> kind;
    std::string nik;
    // Part of a name, compared folded (case, accents, spaces and punctuation
    // ignored: "dede" finds "Dédé", "sitiam" finds "Siti Aminah"); through the
    // trigram index when it folds to 3 characters or more.
    std::string name;
    std::string ref;
    std::optional<std::int64_t> from_ms, to_ms;  // recorded_at_ms, inclusive
    enum class Sync { any, synced, unsynced } sync = Sync::any;
    std::optional<domain::Outcome> outcome;  // the server's once it answered, else the local one
    std::optional<std::uint64_t> seq;
    std::uint64_t after_seq = 0;  // paging: only entries with seq > after_seq
    std::uint64_t limit = 0;      // 0: no limit
  };
  // One entry as the walk sees it; views valid during the callback only.
  struct ListedEntry {
    std::uint64_t seq = 0;
    domain::EntryKind kind = domain::EntryKind::participant_enroll;
    std::int64_t recorded_at_ms = 0;
    std::string_view operator_id, nik, name, ref;
    ByteView bytes;    // encoding::encode(chain::Entry)
    Hash hash{};       // the stored hash column (not checked against bytes here)
    ByteView verdict;  // encoding::encode(Verdict): the server's once it answered, else the local one
    bool synced = false;
    bool voided = false;
  };
  // Calls `each` for every matching entry in seq order (streaming: memory does not
  // grow with the result); `each` returns false to stop. Returns how many it saw.
  using EachEntry = std::function<Result<bool>(const ListedEntry&)>;
  Result<std::uint64_t> query_entries(const EntryQuery& q, const EachEntry& each);
  // SQLite's EXPLAIN QUERY PLAN of query_entries(q), one step a line (for tests).
  Result<std::string> query_plan(const EntryQuery& q);

  // ---- the office page's lookups (agent/web) ----
  // Enrollments found by a clerk's search: `q` all digits matches NIKs starting with
  // it (the NIK index, in NIK order); anything else is a name, matched as
  // EntryQuery::name (folded, through the trigram index), in seq order. `limit` rows
  // from `offset`.
  struct FoundPerson {
    std::string nik, name;
    std::uint64_t seq = 0;
    std::int64_t recorded_at_ms = 0;
  };
  Result<std::vector<FoundPerson>> find_enrollments(std::string_view q, std::size_t limit, std::size_t offset);
  // An entry as the office page shows it.
  struct ShownEntry {
    std::uint64_t seq = 0;
    domain::EntryKind kind = domain::EntryKind::participant_enroll;
    std::int64_t recorded_at_ms = 0;
    std::string operator_id, nik, name, ref;
    domain::Verdict local;           // the office's own verdict when it recorded the entry
    std::optional<Receipt> receipt;  // the server's, once it answered
  };
  // Everything recorded about one person, in seq order: the entries carrying the
  // NIK, the payouts on their claims, and this office's voids of their entries.
  Result<std::vector<ShownEntry>> person_entries(std::string_view office_id, std::string_view nik, std::size_t limit,
                                                 std::size_t offset);
  // The entries of `kind` carrying `nik`, in seq order (the NIK index).
  Result<std::vector<ShownEntry>> entries_of(domain::EntryKind kind, std::string_view nik);
  // Entry `seq`, if stored.
  Result<std::optional<ShownEntry>> shown_entry(std::uint64_t seq);

  // ---- clerk accounts (clerks.hpp says what they are; the table is created on first use) ----
  struct ClerkRow {
    std::string id, name;
    std::string passphrase;  // the scrypt hash's text form
    bool active = true;
    std::int64_t created_at_ms = 0;
  };
  Status create_clerks_table();
  // Adds a clerk; false when the id exists already.
  Result<bool> insert_clerk(const ClerkRow& c);
  // Change one clerk; false when there is no such clerk.
  Result<bool> set_clerk_active(std::string_view id, bool active);
  Result<bool> set_clerk_passphrase(std::string_view id, std::string_view passphrase_hash);
  // Every clerk by id (passphrase hashes left out).
  Result<std::vector<ClerkRow>> clerks();
  Result<std::optional<ClerkRow>> clerk(std::string_view id);
  // How many clerks exist (0 when the table does not exist yet).
  Result<std::uint64_t> count_clerks();

  // ---- lookups for the import (indexed by entries_nik; statements prepared once) ----
  // The seq of this office's newest entry of `kind` for `nik` whose ref is `ref`
  // ("" = any ref), if any.
  Result<std::optional<std::uint64_t>> last_seq_of(domain::EntryKind kind, std::string_view nik, std::string_view ref);
  // Calls `each` with every distinct NIK the entries carry (the NIK index, in NIK order).
  Status each_nik(const std::function<void(std::string_view)>& each);
  // This office's newest enrollment of `nik`, decoded, if any, as this office's
  // later updates not voided left it (apply_update(): corrected name, birth date
  // and occupation, phone, address, heirs).
  Result<std::optional<domain::ParticipantEnroll>> own_enrollment(std::string_view nik);

 private:
  explicit Store(std::unique_ptr<store::Db> db) : db_(std::move(db)) {}
  std::unique_ptr<store::Db> db_;
  std::unique_ptr<rules::State> rules_;
  std::optional<store::Stmt> insert_entry_;
  std::optional<store::Stmt> insert_outbox_;
  std::optional<store::Stmt> insert_name_;
  std::optional<store::Stmt> add_to_outbox_;
  std::optional<store::Stmt> last_seq_of_;
  std::optional<store::Stmt> own_enrollment_;
  std::optional<store::Stmt> own_updates_;
  // acknowledge(): prepared once, reused for each receipt of a sync.
  std::optional<store::Stmt> ack_known_, ack_put_, ack_outcome_, ack_unqueue_;
  // entry_row(): prepared once (a sync's pull reads one per own leaf).
  std::optional<store::Stmt> entry_row_;
  // Reads the rows of `st` (seq, kind, recorded_at_ms, operator, nik, name, ref, verdict).
  Result<std::vector<ShownEntry>> shown_entries(store::Stmt& st);
  Bytes accepted_verdict_;  // encoding::encode(Verdict{}), once
};

}  // namespace lontar::agent
