#include "sync.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <future>

#include "merkle/merkle.hpp"
#include "net/client.hpp"
#include "note/checkpoint.hpp"
#include "note/note.hpp"

namespace lontar::agent {

namespace {

Result<std::uint64_t> parse_u64(std::string_view text, std::string_view what) {
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return Error{Code::corrupt, fmt::format("the store has no valid {}", what)};
  }
  return std::stoull(std::string(text));
}

class Syncer {
 public:
  Syncer(Office& office, const SyncOptions& options, protocol::Client client, protocol::TrustedLog log)
      : office_(office), store_(*office.store), options_(options), client_(std::move(client)), log_(std::move(log)) {}

  Result<SyncReport> run() {
    LONTAR_TRY(take_ledger());
    LONTAR_ASSIGN(std::string note, client_.checkpoint());
    LONTAR_TRY(accept_checkpoint(note, std::nullopt));
    LONTAR_TRY(keep_accepted());
    LONTAR_TRY(push());
    LONTAR_TRY(pull());
    return report_;
  }

 private:
  void progress(const std::string& line) {
    if (options_.progress) options_.progress(line);
  }

  // GET /v1/ledger: the pinned log key, this office's registration, the NIK key.
  Status take_ledger() {
    LONTAR_ASSIGN(protocol::Ledger ledger, client_.ledger());
    if (ledger.verifier_key != log_.verifier().to_string()) {
      return Error{Code::pin_mismatch, fmt::format("the server announces the log key '{}' but this office pins '{}'; "
                                                   "check --server and --server-key with the server's admin",
                                                   ledger.verifier_key.substr(0, 200), log_.verifier().to_string())};
    }
    const std::string principal = ledger.caller ? ledger.caller->principal : "";
    if (principal != office_.id) {
      return Error{Code::unauthorized,
                   fmt::format("the server does not know this office's key as {} (it says '{}'); ask the admin to run "
                               "`lontar-server office add --id {} --key {}`",
                               office_.id, principal, office_.id, to_hex(office_.key.public_key()))};
    }
    nik_key_ = ledger.caller->nik_key;
    return {};
  }

  Result<protocol::Proof> get_proof(Result<protocol::Proof> r, std::string_view what) {
    if (r.ok() || r.error().code == Code::io) return r;
    return incident_error(fmt::format("the server cannot give the {}: {}", what, r.error().message));
  }

  Status prove_included(const SealLeaf& leaf, const note::Checkpoint& cp) {
    if (leaf.index >= cp.size) {
      return incident_error(
          fmt::format("this office's seal leaf {} is not in the server's new tree of size {}", leaf.index, cp.size));
    }
    LONTAR_ASSIGN(protocol::Proof p, get_proof(client_.inclusion_proof(leaf.index, cp.size), "inclusion proof"));
    return check_included(leaf.index, leaf.hash, cp, p.hashes, "this office's seal leaf");
  }

  // Opens and checks a checkpoint (signature, consistency with the trusted one,
  // inclusion of this office's seal leaves); it becomes the accepted one.
  Status accept_checkpoint(std::string_view note_text, const std::optional<SealLeaf>& fresh) {
    auto consistency = [&](std::uint64_t old_size, std::uint64_t new_size) -> Result<std::vector<Hash>> {
      LONTAR_ASSIGN(protocol::Proof p, get_proof(client_.consistency_proof(old_size, new_size), "consistency proof"));
      return std::move(p.hashes);
    };
    LONTAR_ASSIGN(note::Checkpoint cp, log_.check(note_text, consistency));
    LONTAR_ASSIGN(auto stored, stored_seal_leaf(store_));
    if (stored) LONTAR_TRY(prove_included(*stored, cp));
    if (fresh) LONTAR_TRY(prove_included(*fresh, cp));
    log_.trust(protocol::TrustedHead{cp.size, cp.root, std::string(note_text)});
    report_.checkpoint_size = cp.size;
    return {};
  }

  Store::Checkpoint accepted() const {
    const auto& head = *log_.last();
    return Store::Checkpoint{head.size, head.root, head.note};
  }

  // Stores the accepted checkpoint on its own, so that an office with nothing to
  // push still trusts (and exports, and later checks against) the newest tree it verified.
  Status keep_accepted() {
    LONTAR_ASSIGN(auto tx, store_.begin());
    LONTAR_TRY(store_.save_checkpoint(accepted()));
    return tx.commit();
  }

  // The seal leaf a push response names: it must be a seal of this office's key
  // covering at least `last_seq`.
  Result<SealLeaf> seal_leaf_of(std::uint64_t index, std::uint64_t last_seq) {
    LONTAR_ASSIGN(protocol::FeedPage page, client_.feed(index, 1));
    if (page.items.size() != 1 || page.items[0].leaf_index != index || page.items[0].form != protocol::FeedForm::full) {
      return incident_error(fmt::format("the server cannot show the seal leaf {} it named in its receipt", index));
    }
    return check_seal_leaf(office_, index, page.items[0].leaf, last_seq);
  }

  // ---- push ----

  Status push() {
    LONTAR_ASSIGN(protocol::OfficeHead server, client_.head(office_.id));
    LONTAR_ASSIGN(Head local, store_.head());
    if (server.seq > local.seq) {
      return Error{Code::stale_store,
                   fmt::format("the server holds {} up to seq {} but this store ends at seq {}: it was restored from "
                               "an older copy. Stop recording here and call the server's admin: new entries would "
                               "reuse logged seqs (equivocation)",
                               office_.id, server.seq, local.seq)};
    }
    LONTAR_ASSIGN(auto waiting, store_.outbox_range());
    if (!waiting) return {};
    const std::uint64_t from = waiting->first;
    if (server.seq + 1 < from) {
      return incident_error(
          fmt::format("the server's head for {} is seq {} but it had acknowledged every entry up "
                      "to seq {}",
                      office_.id, server.seq, from - 1));
    }
    // Pipelined: batch k+1 goes out while batch k's receipts are being stored, so that
    // the office's writes overlap the server's work. Storing receipts stays in order and
    // each batch is checked (seal leaf, checkpoint) before its receipts are stored; a
    // sync that dies in between leaves k+1 logged without its receipts, which the next
    // sync gets back by pushing it again (the push is idempotent).
    LONTAR_ASSIGN(chain::Batch batch, read_batch(from));
    if (batch.entries.empty()) return {};
    Result<protocol::PushResponse> resp = client_.push(batch);
    for (;;) {
      if (!resp.ok()) return std::move(resp).error();
      LONTAR_ASSIGN(SealLeaf seal, check_response(batch, *resp));
      LONTAR_ASSIGN(chain::Batch following, read_batch(batch.entries.back().seq + 1));
      std::future<Result<protocol::PushResponse>> sent;
      if (!following.entries.empty()) {
        sent = std::async(std::launch::async, [this, &following] { return client_.push(following); });
      }
      Status stored = store_batch(batch, *resp, seal);
      if (sent.valid()) resp = sent.get();  // joined before any return: it uses client_
      LONTAR_TRY(stored);
      if (following.entries.empty()) return {};
      batch = std::move(following);
    }
  }

  Result<chain::Batch> read_batch(std::uint64_t from) {
    chain::Batch batch;
    batch.principal = office_.id;
    LONTAR_ASSIGN(auto rows, store_.outbox_from(from));
    std::size_t bytes = 0;
    Hash head{};
    while (batch.entries.size() < options_.batch_entries) {
      LONTAR_ASSIGN(bool row, rows.next());
      if (!row) break;
      ByteView b = rows.bytes();
      if (!batch.entries.empty() && bytes + b.size() > sync_batch_bytes_max) break;
      if (rows.seq() != from + batch.entries.size()) {
        return Error{Code::internal,
                     fmt::format("the outbox has a gap before seq {}; run `lontar-agent verify`", rows.seq())};
      }
      LONTAR_ASSIGN(auto e, encoding::decode<chain::Entry>(b, "entry"));
      bytes += b.size();
      head = rows.hash();
      batch.entries.push_back(std::move(e));
    }
    if (!batch.entries.empty()) {
      batch.seal = chain::make_seal(office_.id, batch.entries.back().seq, head, now_ms(), office_.key);
    }
    return batch;
  }

  // A push's answer, checked: its seal leaf and checkpoint (which becomes the accepted
  // one), and every receipt inside that checkpoint.
  Result<SealLeaf> check_response(const chain::Batch& batch, const protocol::PushResponse& resp) {
    LONTAR_ASSIGN(SealLeaf seal, seal_leaf_of(resp.seal_leaf_index, batch.entries.back().seq));
    LONTAR_TRY(accept_checkpoint(resp.checkpoint, seal));
    const std::uint64_t size = log_.last()->size;
    for (const auto& rc : resp.receipts) {
      if (rc.leaf_index >= size) {
        return incident_error(fmt::format("the receipt for seq {} names leaf {} outside the checkpoint of size {}",
                                          rc.seq, rc.leaf_index, size));
      }
    }
    return seal;
  }

  // The receipts, the accepted checkpoint and the seal leaf, in one transaction.
  Status store_batch(const chain::Batch& batch, const protocol::PushResponse& resp, const SealLeaf& seal) {
    LONTAR_ASSIGN(auto tx, store_.begin());
    LONTAR_TRY(store_receipts(store_, resp.receipts, accepted(), seal));
    LONTAR_TRY(tx.commit());
    for (const auto& rc : resp.receipts) {
      ++report_.entries_pushed;
      report_.count(rc.verdict.outcome);
    }
    ++report_.batches;
    progress(fmt::format("pushed #{}..#{} (seal leaf {}, tree size {})", batch.entries.front().seq,
                         batch.entries.back().seq, seal.index, log_.last()->size));
    return {};
  }

  // ---- pull ----

  // One own leaf (entry of this office, full or redacted): the local entry's row, after
  // checking that a full leaf (its bytes `full`) carries that very entry, by the entry hash
  // taken over the leaf's bytes (chain::entry_hash_in_leaf: no decoding and encoding again).
  Result<Store::EntryRow> own_row(std::uint64_t seq, const Bytes* full, std::uint64_t leaf_index) {
    LONTAR_ASSIGN(auto row, store_.entry_row(seq));
    if (!row) {
      return Error{Code::stale_store, fmt::format("the log holds {} seq {} (leaf {}) but this store does not: it was "
                                                  "restored from an older copy; stop recording and call the admin",
                                                  office_.id, seq, leaf_index)};
    }
    if (full && chain::entry_hash_in_leaf(*full, row->bytes.size()) != row->hash) {
      return incident_error(
          fmt::format("leaf {} holds a seq {} of {} that this office never wrote", leaf_index, seq, office_.id));
    }
    return std::move(*row);
  }

  // Folds one feed item into the replica. `rebuild`: own entries are applied with the
  // log's verdict; otherwise they were applied when recorded and are skipped, unless
  // the log rejected one (then *diverged is set and nothing is applied).
  Status fold(const protocol::FeedItem& item, rules::State& state, bool rebuild, bool* diverged,
              std::uint64_t* own_last) {
    // Another office's entry about a person outside this office's scope: the server left
    // it out on purpose; the position advances and the replica folds nothing.
    if (item.form == protocol::FeedForm::withheld) {
      ++report_.leaves_withheld;
      return {};
    }
    std::optional<chain::Leaf> leaf;
    if (item.form == protocol::FeedForm::full) {
      auto l = encoding::decode<chain::Leaf>(item.leaf, "feed leaf");
      if (!l.ok()) return Error{Code::corrupt, fmt::format("feed leaf {}: {}", item.leaf_index, l.error().message)};
      leaf = std::move(*l);
      if (leaf->type == chain::LeafType::seal) return {};
    }
    const std::string& who = leaf ? leaf->entry.principal : item.redacted.principal;
    const std::uint64_t seq = leaf ? leaf->entry.seq : item.redacted.seq;
    const domain::Verdict& verdict = leaf ? leaf->verdict : item.redacted.verdict;
    if (who == office_.id) {
      LONTAR_ASSIGN(Store::EntryRow row, own_row(seq, leaf ? &item.leaf : nullptr, item.leaf_index));
      *own_last = std::max(*own_last, seq);
      if (rebuild) {
        // A full leaf's entry was just checked to be this office's own.
        if (leaf) return rules::apply(leaf->entry, verdict, state);
        LONTAR_ASSIGN(chain::Entry mine, encoding::decode<chain::Entry>(row.bytes, "entry"));
        return rules::apply(mine, verdict, state);
      }
      if (verdict.outcome == domain::Outcome::rejected) *diverged = true;
      return {};
    }
    if (leaf) return rules::apply(leaf->entry, leaf->verdict, state);
    return rules::apply_redacted(item.redacted, state);
  }

  // Pulls [from, to) into the replica. Incremental: one transaction per page,
  // stopping (diverged = true) at a page holding an own entry the log rejected.
  Status pull_range(std::uint64_t from, std::uint64_t to, bool rebuild, bool* diverged, std::uint64_t* own_last) {
    std::uint64_t next = from;
    return client_.feed_range(from, to, [&](std::span<const protocol::FeedItem> items) -> Result<bool> {
      std::optional<store::Transaction> tx;
      if (!rebuild) {
        LONTAR_ASSIGN(auto t, store_.begin());
        tx.emplace(std::move(t));
      }
      LONTAR_ASSIGN(rules::State * state, store_.rules_state());
      for (const auto& item : items) {
        LONTAR_TRY(fold(item, *state, rebuild, diverged, own_last));
        if (*diverged) return false;  // the page's transaction rolls back
        ++next;
        ++report_.leaves_pulled;
      }
      if (tx) {
        LONTAR_TRY(store_.set_setting(feed_next_setting, std::to_string(next)));
        LONTAR_TRY(tx->commit());
      }
      return true;
    });
  }

  // The replica from scratch under the ledger's key (sync.hpp, Re-keying).
  Status rebuild(std::uint64_t to) {
    progress(fmt::format("rebuilding the replica from the log (0..{})", to));
    LONTAR_ASSIGN(auto tx, store_.begin());
    LONTAR_TRY(store_.clear_rules_state());
    LONTAR_TRY(store_.set_setting("nik_key", ByteView(nik_key_)));
    LONTAR_TRY(store_.set_setting("nik_key_origin", "ledger"));
    bool diverged = false;
    std::uint64_t own_last = 0;
    LONTAR_TRY(pull_range(0, to, /*rebuild=*/true, &diverged, &own_last));
    // Own entries the log does not hold yet, judged on top; one the replica now
    // rejects is left out and the next sync rebuilds again.
    LONTAR_ASSIGN(rules::State * state, store_.rules_state());
    LONTAR_ASSIGN(auto rows, store_.entries_after(own_last));
    bool stale = false;
    for (;;) {
      LONTAR_ASSIGN(bool row, rows.next());
      if (!row) break;
      LONTAR_ASSIGN(auto e, encoding::decode<chain::Entry>(rows.bytes(), "entry"));
      LONTAR_ASSIGN(auto v, rules::judge_and_apply(e, *state));
      stale = stale || v.outcome == domain::Outcome::rejected;
    }
    if (stale) LONTAR_TRY(store_.set_setting("nik_key_origin", "stale"));
    LONTAR_TRY(store_.set_setting(feed_next_setting, std::to_string(to)));
    LONTAR_TRY(tx.commit());
    report_.replica_rebuilt = true;
    return {};
  }

  Status pull() {
    if (!log_.last()) return {};
    const std::uint64_t to = log_.last()->size;
    LONTAR_ASSIGN(auto key, store_.setting("nik_key"));
    LONTAR_ASSIGN(auto origin, store_.setting("nik_key_origin"));
    const bool rekey = !key || *key != Bytes(nik_key_.begin(), nik_key_.end()) || !origin ||
                       std::string(as_chars(*origin)) != "ledger";
    if (rekey) return rebuild(to);
    LONTAR_ASSIGN(auto next_text, store_.setting(feed_next_setting));
    std::uint64_t from = 0;
    if (next_text) {
      LONTAR_ASSIGN(from, parse_u64(as_chars(*next_text), "stored feed position"));
    }
    if (from > to) return incident_error(fmt::format("this office pulled {} leaves but the log now has {}", from, to));
    bool diverged = false;
    std::uint64_t own_last = 0;
    LONTAR_TRY(pull_range(from, to, /*rebuild=*/false, &diverged, &own_last));
    if (diverged) {
      store_.reset_rules_state();
      return rebuild(to);
    }
    return {};
  }

  Office& office_;
  Store& store_;
  const SyncOptions& options_;
  protocol::Client client_;
  protocol::TrustedLog log_;
  rules::NikKey nik_key_{};
  SyncReport report_;
};

}  // namespace

Error incident_error(std::string what, std::vector<std::string> evidence) {
  return protocol::history_changed(std::move(what), std::move(evidence));
}

Result<std::optional<SealLeaf>> stored_seal_leaf(Store& store) {
  LONTAR_ASSIGN(auto index, store.setting(seal_leaf_index_setting));
  LONTAR_ASSIGN(auto hash, store.setting(seal_leaf_hash_setting));
  if (!index || !hash || hash->size() != Hash{}.size()) return std::optional<SealLeaf>{};
  LONTAR_ASSIGN(auto i, parse_u64(as_chars(*index), "stored seal leaf index"));
  SealLeaf s;
  s.index = i;
  std::copy(hash->begin(), hash->end(), s.hash.begin());
  return std::optional<SealLeaf>{s};
}

Status mark_incident(Store& store, const Error& e) {
  assert(e.code == Code::history_changed);
  std::string evidence;
  for (const auto& note : e.evidence) {
    if (!note.empty()) evidence += note + "\n";
  }
  LONTAR_ASSIGN(auto tx, store.begin());
  LONTAR_TRY(
      store.set_setting(incident_setting, fmt::format("{} (found at {} ms since the epoch)", e.message, now_ms())));
  LONTAR_TRY(store.set_setting(incident_evidence_setting, evidence));
  return tx.commit();
}

Result<protocol::TrustedLog> trusted_log(Store& store, const note::Verifier& log) {
  LONTAR_ASSIGN(auto cp, store.checkpoint());
  std::optional<protocol::TrustedHead> last;
  if (cp) last = protocol::TrustedHead{cp->size, cp->root, cp->note};
  return protocol::TrustedLog(log, std::move(last));
}

Result<SealLeaf> check_seal_leaf(const Office& office, std::uint64_t index, ByteView bytes, std::uint64_t last_seq) {
  auto leaf = encoding::decode<chain::Leaf>(bytes, "seal leaf");
  if (!leaf.ok() || leaf->type != chain::LeafType::seal || leaf->seal.principal != office.id ||
      leaf->seal.key != office.key.public_key() || !chain::seal_signature_valid(leaf->seal) ||
      leaf->seal.last_seq < last_seq) {
    return incident_error(fmt::format("leaf {} is not a seal of this office covering seq {}", index, last_seq));
  }
  return SealLeaf{index, merkle::leaf_hash(bytes)};
}

Status store_receipts(Store& store, std::span<const protocol::EntryReceipt> receipts, const Store::Checkpoint& cp,
                      const SealLeaf& seal) {
  for (const auto& rc : receipts) LONTAR_TRY(store.acknowledge(rc.seq, rc.leaf_index, rc.verdict));
  LONTAR_TRY(store.save_checkpoint(cp));
  LONTAR_TRY(store.set_setting(seal_leaf_index_setting, std::to_string(seal.index)));
  return store.set_setting(seal_leaf_hash_setting, ByteView(seal.hash));
}

Result<std::optional<std::string>> incident(Store& store) {
  LONTAR_ASSIGN(auto v, store.setting(incident_setting));
  if (!v || v->empty()) return std::optional<std::string>{};
  return std::optional<std::string>{std::string(as_chars(*v))};
}

Result<std::uint64_t> repair_outbox(Store& store) {
  LONTAR_ASSIGN(auto tx, store.begin());
  LONTAR_ASSIGN(std::uint64_t repaired, store.repair_outbox());
  LONTAR_TRY(tx.commit());
  return repaired;
}

Status check_outbox(Store& store) {
  LONTAR_ASSIGN(auto waiting, store.outbox_range());
  if (!waiting) return {};
  auto damaged = [&](std::uint64_t seq, std::string_view what) {
    return Error{Code::corrupt, fmt::format("{}: entry #{} (not yet pushed) {}: this office's store is damaged, not "
                                            "the server's; nothing was pushed. Run `lontar-agent verify`, then restore "
                                            "{} from a backup or rebuild the office with `lontar-agent recover` "
                                            "(README)",
                                            db_file_name, seq, what, db_file_name)};
  };
  Hash prev{};
  if (waiting->first > 1) {
    LONTAR_ASSIGN(auto before, store.entry_row(waiting->first - 1));
    if (!before) return damaged(waiting->first, "follows an entry that is missing");
    if (chain::entry_hash_of_bytes(before->bytes) != before->hash) {
      return damaged(waiting->first, fmt::format("follows entry #{}, whose bytes do not match its hash", before->seq));
    }
    prev = before->hash;
  }
  LONTAR_ASSIGN(auto rows, store.outbox_from(waiting->first));
  std::uint64_t seq = waiting->first;
  for (;; ++seq) {
    LONTAR_ASSIGN(bool row, rows.next());
    if (!row) break;
    if (rows.seq() != seq) return damaged(seq, "is missing from the outbox while later ones wait");
    if (chain::entry_hash_of_bytes(rows.bytes()) != rows.hash()) {
      return damaged(seq, "has bytes that do not match its stored hash");
    }
    auto e = encoding::decode<chain::Entry>(rows.bytes(), "entry");
    if (!e.ok() || e->seq != seq) return damaged(seq, "does not decode as itself");
    if (e->prev != prev) return damaged(seq, "does not link to the entry before it");
    prev = rows.hash();
  }
  return {};
}

SyncFailure classify(Store& store, const Error& e) {
  if (auto inc = incident(store); inc.ok() && *inc) return SyncFailure::incident;
  if (e.code == Code::corrupt && !check_outbox(store).ok()) return SyncFailure::local;
  switch (e.code) {
    case Code::history_changed:
      return SyncFailure::incident;
    case Code::io:
    case Code::corrupt:
      return SyncFailure::retry;
    case Code::unauthorized:
    case Code::pin_mismatch:
    case Code::conflict:
    case Code::bad_input:
    case Code::not_found:
      return SyncFailure::refused;
    case Code::stale_store:
    case Code::internal:
      return SyncFailure::local;
  }
  return SyncFailure::local;
}

Status resolve_server(Store& store, SyncOptions& options) {
  if (options.server_url.empty()) {
    LONTAR_ASSIGN(auto url, store.setting("server_url"));
    if (url) options.server_url = std::string(as_chars(*url));
  }
  if (options.server_key.empty()) {
    LONTAR_ASSIGN(auto key, store.setting("server_key"));
    if (key) options.server_key = std::string(as_chars(*key));
  }
  if (options.server_url.empty() || options.server_key.empty()) {
    return Error{Code::bad_input,
                 "no sync server known: pass --server URL and --server-key KEY (the log's verifier "
                 "key from the server's admin), or give them to `lontar-agent init`"};
  }
  if (auto v = note::Verifier::parse(options.server_key); !v.ok()) {
    return Error{Code::bad_input, "--server-key: " + v.error().message};
  }
  return {};
}

Result<SyncReport> sync_once(Office& office, const std::filesystem::path& data_dir, const SyncOptions& options) {
  LONTAR_ASSIGN(auto open_incident, incident(*office.store));
  if (open_incident) {
    return Error{Code::history_changed, "syncing is stopped since an earlier sync found: " + *open_incident +
                                            ". Investigate with the server's admin, then run `lontar-agent incident "
                                            "clear --reason TEXT` (README, Sync)"};
  }
  LONTAR_ASSIGN(std::uint64_t repaired, repair_outbox(*office.store));
  if (repaired > 0 && options.progress) {
    options.progress(
        fmt::format("{} entries had neither a receipt nor a place in the outbox: put back to be pushed", repaired));
  }
  LONTAR_TRY(check_outbox(*office.store));
  LONTAR_ASSIGN(note::Verifier verifier, note::Verifier::parse(options.server_key));
  net::ClientConfig cc;
  cc.url = options.server_url;
  cc.trust.pinned_key = verifier.public_key();
  LONTAR_ASSIGN(cc.identity,
                net::load_identity(data_dir / cert_file_name, data_dir / key_file_name, options.passphrase));
  LONTAR_ASSIGN(net::Client client, net::Client::create(std::move(cc)));
  LONTAR_ASSIGN(protocol::TrustedLog log, trusted_log(*office.store, verifier));
  Syncer syncer(office, options, protocol::Client(std::move(client)), std::move(log));
  auto r = syncer.run();
  if (!r.ok()) {
    office.store->reset_rules_state();  // a rolled-back rebuild leaves nothing cached
    if (r.error().code == Code::history_changed) LONTAR_TRY(mark_incident(*office.store, r.error()));
  }
  return r;
}

Status clear_incident(Store& store, std::string_view reason) {
  LONTAR_ASSIGN(auto tx, store.begin());
  const std::string_view forgotten[] = {incident_setting, incident_evidence_setting, seal_leaf_index_setting,
                                        seal_leaf_hash_setting};
  LONTAR_TRY(store.forget_sync_state(forgotten));
  LONTAR_TRY(store.set_setting("nik_key_origin", "stale"));
  LONTAR_TRY(store.set_setting("incident_cleared", fmt::format("{} ms: {}", now_ms(), reason)));
  return tx.commit();
}

}  // namespace lontar::agent
