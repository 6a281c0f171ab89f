#include "sync.hpp"
#include "base/json.hpp"

#include <fmt/format.h>
#include <algorithm>

#include "merkle/merkle.hpp"
#include "net/client.hpp"
#include "note/checkpoint.hpp"
#include "note/note.hpp"

namespace lontar::agent {

namespace {

// Every incident error starts with this; sync_once marks the store when it sees it.
constexpr std::string_view incident_tag = "SERVER HISTORY CHANGED: ";

Result<std::uint64_t> parse_u64(const std::optional<std::string>& text, std::string_view what) {
  if (!text || text->empty() || text->size() > 20 || text->find_first_not_of("0123456789") != std::string::npos) {
    return Error{Code::corrupt, fmt::format("the server's answer has no valid {}", what)};
  }
  return std::stoull(*text);
}

class Syncer {
 public:
  Syncer(Office& office, const SyncOptions& options, net::Client client, note::Verifier verifier)
      : office_(office),
        store_(*office.store),
        options_(options),
        client_(std::move(client)),
        verifier_(std::move(verifier)) {}

  Result<SyncReport> run() {
    LONTAR_TRY(take_ledger());
    LONTAR_ASSIGN(net::Response r, client_.call("GET", "/checkpoint"));
    LONTAR_TRY(accept_checkpoint(r.body, std::nullopt));
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
    LONTAR_ASSIGN(net::Response r, client_.call("GET", "/v1/ledger"));
    const auto key = json_field(r.body, "verifier_key").value_or("");
    if (key != verifier_.to_string()) {
      return Error{Code::unauthorized, fmt::format("the server announces the log key '{}' but this office pins '{}'; "
                                                   "check --server and --server-key with the server's admin",
                                                   key.substr(0, 200), verifier_.to_string())};
    }
    const auto principal = json_field(r.body, "principal").value_or("");
    if (principal != office_.id) {
      return Error{Code::unauthorized,
                   fmt::format("the server does not know this office's key as {} (it says '{}'); ask the admin to run "
                               "`lontar-server office add --id {} --key {}`",
                               office_.id, principal, office_.id, to_hex(office_.key.public_key()))};
    }
    auto nik = hash_from_hex(json_field(r.body, "nik_key").value_or(""));
    if (!nik.ok()) return Error{Code::corrupt, "the server's /v1/ledger answer holds no valid NIK key"};
    nik_key_ = *nik;
    return {};
  }

  Result<std::optional<TrustedHead>> trusted() {
    LONTAR_ASSIGN(auto cp, store_.checkpoint());
    if (!cp) return std::optional<TrustedHead>{};
    return std::optional<TrustedHead>{TrustedHead{cp->size, cp->root}};
  }

  Result<std::optional<SealLeaf>> stored_seal_leaf() {
    LONTAR_ASSIGN(auto index, store_.setting(seal_leaf_index_setting));
    LONTAR_ASSIGN(auto hash, store_.setting(seal_leaf_hash_setting));
    if (!index || !hash || hash->size() != Hash{}.size()) return std::optional<SealLeaf>{};
    LONTAR_ASSIGN(auto i, parse_u64(std::string(as_chars(*index)), "stored seal leaf index"));
    SealLeaf s;
    s.index = i;
    std::copy(hash->begin(), hash->end(), s.hash.begin());
    return std::optional<SealLeaf>{s};
  }

  Result<protocol::Proof> get_proof(const std::string& target, std::string_view what) {
    auto r = client_.call("GET", target);
    if (!r.ok()) {
      if (r.error().code == Code::io) return std::move(r).error();
      return incident_error(fmt::format("the server cannot give the {} ({}): {}", what, target, r.error().message));
    }
    auto proof = encoding::decode<protocol::Proof>(r->bytes(), what);
    if (!proof.ok()) return incident_error(fmt::format("the {} does not decode: {}", what, proof.error().message));
    return proof;
  }

  Status prove_included(const SealLeaf& leaf, const note::Checkpoint& cp) {
    if (leaf.index >= cp.size) {
      return incident_error(
          fmt::format("this office's seal leaf {} is not in the server's new tree of size {}", leaf.index, cp.size));
    }
    LONTAR_ASSIGN(protocol::Proof p, get_proof(fmt::format("/v1/proof/inclusion?index={}&size={}", leaf.index, cp.size),
                                               "inclusion proof"));
    return check_included(leaf.index, leaf.hash, cp, p.hashes, "this office's seal leaf");
  }

  // Opens and checks a checkpoint (signature, consistency with the trusted one,
  // inclusion of this office's seal leaves); remembers it for storing.
  Status accept_checkpoint(std::string_view note_text, const std::optional<SealLeaf>& fresh) {
    LONTAR_ASSIGN(auto old, trusted());
    if (accepted_) old = TrustedHead{accepted_->size, accepted_->root};
    auto consistency = [&](std::uint64_t old_size, std::uint64_t new_size) -> Result<std::vector<Hash>> {
      LONTAR_ASSIGN(protocol::Proof p, get_proof(fmt::format("/v1/proof/consistency?old={}&new={}", old_size, new_size),
                                                 "consistency proof"));
      return std::move(p.hashes);
    };
    LONTAR_ASSIGN(note::Checkpoint cp, check_checkpoint(note_text, verifier_, old, consistency));
    LONTAR_ASSIGN(auto stored, stored_seal_leaf());
    if (stored) LONTAR_TRY(prove_included(*stored, cp));
    if (fresh) LONTAR_TRY(prove_included(*fresh, cp));
    accepted_ = cp;
    accepted_note_ = std::string(note_text);
    report_.checkpoint_size = cp.size;
    return {};
  }

  // Stores the accepted checkpoint on its own, so that an office with nothing to
  // push still trusts (and exports, and later checks against) the newest tree it verified.
  Status keep_accepted() {
    LONTAR_ASSIGN(auto tx, store::Transaction::begin(store_.db()));
    LONTAR_TRY(store_.save_checkpoint(Store::Checkpoint{accepted_->size, accepted_->root, accepted_note_}));
    return tx.commit();
  }

  Result<protocol::FeedPage> feed(std::uint64_t from, std::uint64_t limit) {
    LONTAR_ASSIGN(net::Response r, client_.call("GET", fmt::format("/v1/feed?from={}&limit={}", from, limit)));
    auto page = encoding::decode<protocol::FeedPage>(r.bytes(), "feed page");
    if (!page.ok()) return Error{Code::corrupt, "the server's feed page does not decode: " + page.error().message};
    return page;
  }

  // The seal leaf a push response names: it must be a seal of this office's key
  // covering at least `last_seq`.
  Result<SealLeaf> seal_leaf_of(std::uint64_t index, std::uint64_t last_seq) {
    LONTAR_ASSIGN(protocol::FeedPage page, feed(index, 1));
    if (page.items.size() != 1 || page.items[0].leaf_index != index || page.items[0].form != protocol::FeedForm::full) {
      return incident_error(fmt::format("the server cannot show the seal leaf {} it named in its receipt", index));
    }
    return check_seal_leaf(office_, index, page.items[0].leaf, last_seq);
  }

  // ---- push ----

  Status push() {
    LONTAR_ASSIGN(net::Response hr, client_.call("GET", fmt::format("/v1/offices/{}/head", office_.id)));
    LONTAR_ASSIGN(std::uint64_t server_seq, parse_u64(json_field(hr.body, "seq"), "head seq"));
    LONTAR_ASSIGN(Head local, store_.head());
    if (server_seq > local.seq) {
      return Error{Code::internal,
                   fmt::format("the server holds {} up to seq {} but this store ends at seq {}: it was restored from "
                               "an older copy. Stop recording here and call the server's admin: new entries would "
                               "reuse logged seqs (equivocation)",
                               office_.id, server_seq, local.seq)};
    }
    LONTAR_ASSIGN(auto first, store_.db().query_int("SELECT min(seq) FROM outbox"));
    if (!first || *first <= 0) return {};
    const auto from = static_cast<std::uint64_t>(*first);
    if (server_seq + 1 < from) {
      return incident_error(
          fmt::format("the server's head for {} is seq {} but it had acknowledged every entry up "
                      "to seq {}",
                      office_.id, server_seq, from - 1));
    }
    std::uint64_t next = from;
    for (;;) {
      LONTAR_ASSIGN(auto batch, read_batch(next));
      if (batch.entries.empty()) return {};
      LONTAR_TRY(push_batch(std::move(batch), next));
    }
  }

  Result<chain::Batch> read_batch(std::uint64_t from) {
    chain::Batch batch;
    batch.principal = office_.id;
    LONTAR_ASSIGN(auto st, store_.db().prepare("SELECT seq, hash, bytes FROM entries WHERE seq >= ?1 AND seq IN "
                                               "(SELECT seq FROM outbox) ORDER BY seq LIMIT ?2"));
    st.bind(1, from).bind(2, static_cast<std::uint64_t>(options_.batch_entries));
    std::size_t bytes = 0;
    Hash head{};
    for (;;) {
      LONTAR_ASSIGN(bool row, st.step());
      if (!row) break;
      ByteView b = st.blob_view(2);
      if (!batch.entries.empty() && bytes + b.size() > sync_batch_bytes_max) break;
      if (st.uint64(0) != from + batch.entries.size()) {
        return Error{Code::internal, fmt::format("{}: the outbox has a gap before seq {}; run `lontar-agent verify`",
                                                 store_.db().path(), st.uint64(0))};
      }
      LONTAR_ASSIGN(auto e, encoding::decode<chain::Entry>(b, "entry"));
      bytes += b.size();
      head = st.hash(1);
      batch.entries.push_back(std::move(e));
    }
    if (!batch.entries.empty()) {
      batch.seal = chain::make_seal(office_.id, batch.entries.back().seq, head, now_ms(), office_.key);
    }
    return batch;
  }

  Status push_batch(chain::Batch batch, std::uint64_t& next) {
    const std::uint64_t first = batch.entries.front().seq, last = batch.entries.back().seq;
    LONTAR_ASSIGN(Bytes body, encoding::encode(batch));
    LONTAR_ASSIGN(net::Response r, client_.call("POST", "/v1/push", as_chars(body)));
    auto resp = encoding::decode<protocol::PushResponse>(r.bytes(), "push response");
    if (!resp.ok()) return Error{Code::corrupt, "the server's push response does not decode: " + resp.error().message};
    if (resp->receipts.size() != batch.entries.size()) {
      return Error{Code::corrupt, fmt::format("the server answered {} receipts for a batch of {}",
                                              resp->receipts.size(), batch.entries.size())};
    }
    for (std::size_t i = 0; i < batch.entries.size(); ++i) {
      if (resp->receipts[i].seq != batch.entries[i].seq) {
        return Error{Code::corrupt, fmt::format("the server's receipt #{} is for seq {}, not {}", i,
                                                resp->receipts[i].seq, batch.entries[i].seq)};
      }
    }
    LONTAR_ASSIGN(SealLeaf seal, seal_leaf_of(resp->seal_leaf_index, last));
    LONTAR_TRY(accept_checkpoint(resp->checkpoint, seal));
    for (const auto& rc : resp->receipts) {
      if (rc.leaf_index >= accepted_->size) {
        return incident_error(fmt::format("the receipt for seq {} names leaf {} outside the checkpoint of size {}",
                                          rc.seq, rc.leaf_index, accepted_->size));
      }
    }
    LONTAR_ASSIGN(auto tx, store::Transaction::begin(store_.db()));
    LONTAR_TRY(store_receipts(store_, resp->receipts,
                              Store::Checkpoint{accepted_->size, accepted_->root, accepted_note_}, seal));
    for (const auto& rc : resp->receipts) {
      ++report_.entries_pushed;
      report_.count(rc.verdict.outcome);
    }
    LONTAR_TRY(tx.commit());
    ++report_.batches;
    next = last + 1;
    progress(fmt::format("pushed #{}..#{} (seal leaf {}, tree size {})", first, last, seal.index, accepted_->size));
    return {};
  }

  // ---- pull ----

  // One own leaf (entry of this office, full or redacted): the local entry, after
  // checking a full leaf's hash against it.
  Result<chain::Entry> own_entry(std::uint64_t seq, const chain::Leaf* full, std::uint64_t leaf_index) {
    LONTAR_ASSIGN(auto st, store_.db().prepare("SELECT hash, bytes FROM entries WHERE seq = ?1"));
    LONTAR_ASSIGN(bool row, st.bind(1, seq).step());
    if (!row) {
      return Error{Code::internal, fmt::format("the log holds {} seq {} (leaf {}) but this store does not: it was "
                                               "restored from an older copy; stop recording and call the admin",
                                               office_.id, seq, leaf_index)};
    }
    if (full && chain::entry_hash(full->entry) != st.hash(0)) {
      return incident_error(
          fmt::format("leaf {} holds a seq {} of {} that this office never wrote", leaf_index, seq, office_.id));
    }
    return encoding::decode<chain::Entry>(st.blob_view(1), "entry");
  }

  // Folds one feed item into the replica. `rebuild`: own entries are applied with the
  // log's verdict; otherwise they were applied when recorded and are skipped, unless
  // the log rejected one (then *diverged is set and nothing is applied).
  Status fold(const protocol::FeedItem& item, rules::State& state, bool rebuild, bool* diverged,
              std::uint64_t* own_last) {
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
      LONTAR_ASSIGN(chain::Entry mine, own_entry(seq, leaf ? &*leaf : nullptr, item.leaf_index));
      *own_last = std::max(*own_last, seq);
      if (rebuild) return rules::apply(mine, verdict, state);
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
    while (next < to) {
      LONTAR_ASSIGN(protocol::FeedPage page, feed(next, std::min<std::uint64_t>(sync_feed_page_max, to - next)));
      if (page.items.empty()) {
        return Error{Code::corrupt,
                     fmt::format("the server's feed is empty at leaf {} below its checkpoint's size {}", next, to)};
      }
      std::optional<store::Transaction> tx;
      if (!rebuild) {
        LONTAR_ASSIGN(auto t, store::Transaction::begin(store_.db()));
        tx.emplace(std::move(t));
      }
      LONTAR_ASSIGN(rules::State * state, store_.rules_state());
      for (const auto& item : page.items) {
        if (item.leaf_index != next) {
          return Error{Code::corrupt,
                       fmt::format("the server's feed skipped from leaf {} to {}", next, item.leaf_index)};
        }
        if (next >= to) break;
        LONTAR_TRY(fold(item, *state, rebuild, diverged, own_last));
        if (*diverged) return {};  // the page's transaction rolls back
        ++next;
        ++report_.leaves_pulled;
      }
      if (tx) {
        LONTAR_TRY(store_.set_setting(feed_next_setting, std::to_string(next)));
        LONTAR_TRY(tx->commit());
      }
    }
    return {};
  }

  // The replica from scratch under the ledger's key (sync.hpp, Re-keying).
  Status rebuild(std::uint64_t to) {
    progress(fmt::format("rebuilding the replica from the log (0..{})", to));
    LONTAR_ASSIGN(auto tx, store::Transaction::begin(store_.db()));
    store_.reset_rules_state();
    LONTAR_ASSIGN(auto tables, store_.db().prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                                   "name LIKE 'rules\\_%' ESCAPE '\\'"));
    std::vector<std::string> names;
    for (;;) {
      LONTAR_ASSIGN(bool row, tables.step());
      if (!row) break;
      names.push_back(tables.text(0));
    }
    tables.reset();
    for (const auto& n : names) LONTAR_TRY(store_.db().exec("DELETE FROM " + n));
    LONTAR_TRY(store_.set_setting("nik_key", ByteView(nik_key_)));
    LONTAR_TRY(store_.set_setting("nik_key_origin", "ledger"));
    bool diverged = false;
    std::uint64_t own_last = 0;
    LONTAR_TRY(pull_range(0, to, /*rebuild=*/true, &diverged, &own_last));
    // Own entries the log does not hold yet, judged on top; one the replica now
    // rejects is left out and the next sync rebuilds again.
    LONTAR_ASSIGN(rules::State * state, store_.rules_state());
    LONTAR_ASSIGN(auto st, store_.db().prepare("SELECT bytes FROM entries WHERE seq > ?1 ORDER BY seq"));
    st.bind(1, own_last);
    bool stale = false;
    for (;;) {
      LONTAR_ASSIGN(bool row, st.step());
      if (!row) break;
      LONTAR_ASSIGN(auto e, encoding::decode<chain::Entry>(st.blob_view(0), "entry"));
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
    if (!accepted_) return {};
    const std::uint64_t to = accepted_->size;
    LONTAR_ASSIGN(auto key, store_.setting("nik_key"));
    LONTAR_ASSIGN(auto origin, store_.setting("nik_key_origin"));
    const bool rekey = !key || *key != Bytes(nik_key_.begin(), nik_key_.end()) || !origin ||
                       std::string(as_chars(*origin)) != "ledger";
    if (rekey) return rebuild(to);
    LONTAR_ASSIGN(auto next_text, store_.setting(feed_next_setting));
    std::uint64_t from = 0;
    if (next_text) {
      LONTAR_ASSIGN(from, parse_u64(std::string(as_chars(*next_text)), "stored feed position"));
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
  net::Client client_;
  note::Verifier verifier_;
  rules::NikKey nik_key_{};
  std::optional<note::Checkpoint> accepted_;
  std::string accepted_note_;
  SyncReport report_;
};

}  // namespace

Error incident_error(std::string what) { return Error{Code::corrupt, std::string(incident_tag) + what}; }
bool is_incident(const Error& e) { return e.message.rfind(incident_tag, 0) == 0; }

Status mark_incident(Store& store, const Error& e) {
  LONTAR_ASSIGN(auto tx, store::Transaction::begin(store.db()));
  LONTAR_TRY(
      store.set_setting(incident_setting, fmt::format("{} (found at {} ms since the epoch)", e.message, now_ms())));
  return tx.commit();
}

Result<note::Checkpoint> check_checkpoint(std::string_view note_text, const note::Verifier& log,
                                          const std::optional<TrustedHead>& old, const ProofSource& consistency) {
  auto cp = note::open_checkpoint(note_text, log, log.name());
  if (!cp.ok()) {
    return incident_error("the checkpoint does not carry the pinned log key's signature: " + cp.error().message);
  }
  if (!old) return cp;
  if (cp->size < old->size) {
    return incident_error(
        fmt::format("the log shrank from {} to {} leaves (a rolled-back store?)", old->size, cp->size));
  }
  if (cp->size == old->size && cp->root != old->root) {
    return incident_error(fmt::format("two different trees of size {} (a forked log)", cp->size));
  }
  if (cp->size > old->size && old->size > 0) {
    LONTAR_ASSIGN(std::vector<Hash> proof, consistency(old->size, cp->size));
    if (auto s = merkle::verify_consistency(old->size, cp->size, old->root, cp->root, proof); !s.ok()) {
      return incident_error(
          fmt::format("the tree of size {} does not extend the one of size {} this office "
                      "accepted (a forked or rewritten log): {}",
                      cp->size, old->size, s.error().message));
    }
  }
  return cp;
}

Status check_included(std::uint64_t index, const Hash& leaf_hash, const note::Checkpoint& cp,
                      std::span<const Hash> proof, std::string_view what) {
  if (index >= cp.size) {
    return incident_error(fmt::format("{} {} is not in the server's tree of size {}", what, index, cp.size));
  }
  if (auto s = merkle::verify_inclusion(leaf_hash, index, cp.size, proof, cp.root); !s.ok()) {
    return incident_error(
        fmt::format("{} {} is not proven in the checkpoint of size {}: {}", what, index, cp.size, s.error().message));
  }
  return {};
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

SyncFailure classify(Store& store, const Error& e) {
  auto inc = incident(store);
  if (is_incident(e) || (inc.ok() && *inc)) return SyncFailure::incident;
  switch (e.code) {
    case Code::io:
    case Code::corrupt:
      return SyncFailure::retry;
    case Code::unauthorized:
    case Code::conflict:
    case Code::bad_input:
    case Code::not_found:
      return SyncFailure::refused;
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
    return Error{Code::corrupt, std::string(incident_tag) +
                                    "syncing is stopped since an earlier sync found: " + *open_incident +
                                    ". Investigate with the server's admin, then run `lontar-agent incident clear "
                                    "--reason TEXT` (README, Sync)"};
  }
  LONTAR_ASSIGN(note::Verifier verifier, note::Verifier::parse(options.server_key));
  net::ClientConfig cc;
  cc.url = options.server_url;
  cc.trust.pinned_key = verifier.public_key();
  LONTAR_ASSIGN(cc.identity,
                net::load_identity(data_dir / cert_file_name, data_dir / key_file_name, options.passphrase));
  LONTAR_ASSIGN(net::Client client, net::Client::create(std::move(cc)));
  Syncer syncer(office, options, std::move(client), std::move(verifier));
  auto r = syncer.run();
  if (!r.ok()) {
    office.store->reset_rules_state();  // a rolled-back rebuild leaves nothing cached
    if (is_incident(r.error())) LONTAR_TRY(mark_incident(*office.store, r.error()));
  }
  return r;
}

Status clear_incident(Store& store, std::string_view reason) {
  LONTAR_ASSIGN(auto tx, store::Transaction::begin(store.db()));
  LONTAR_TRY(store.db().exec("DELETE FROM checkpoint"));
  LONTAR_TRY(store.db().exec(fmt::format("DELETE FROM settings WHERE key IN ('{}', '{}', '{}')", incident_setting,
                                         seal_leaf_index_setting, seal_leaf_hash_setting)));
  LONTAR_TRY(store.db().exec("INSERT OR IGNORE INTO outbox(seq) SELECT seq FROM entries"));
  LONTAR_TRY(store.set_setting("nik_key_origin", "stale"));
  LONTAR_TRY(store.set_setting("incident_cleared", fmt::format("{} ms: {}", now_ms(), reason)));
  return tx.commit();
}

}  // namespace lontar::agent
