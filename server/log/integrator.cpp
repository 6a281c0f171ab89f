#include "log/integrator.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "base/clock.hpp"
#include "encoding/encoding.hpp"
#include "note/checkpoint.hpp"
#include "rules/overlay_state.hpp"

namespace lontar::server {
namespace {

// Principals whose heads stay cached in RAM; beyond this the cache is dropped and refilled.
constexpr std::size_t head_cache_max = 100'000;

Error refusal(Code code, const std::string& principal, const std::string& why) {
  return Error{code, "push from " + principal + " refused: " + why};
}

// A push refused: it changes nothing (beyond equivocation evidence) and is answered with `e`.
void refuse(Counts& counts, std::optional<Result<protocol::PushResponse>>& outcome, Error e) {
  ++counts.refused;
  spdlog::warn("{}", e.message);
  outcome = std::move(e);
}

// leaf = encode(chain::entry_leaf(entry, verdict)), built from the entry's bytes:
// cereal's flag byte, the leaf type, then the entry's and the verdict's fields.
Result<Bytes> entry_leaf_bytes(const Bytes& entry_bytes, const domain::Verdict& verdict) {
  // Most verdicts are a plain accepted one: its bytes are encoded once.
  static const Result<Bytes> accepted = encoding::encode(domain::Verdict{});
  Result<Bytes> encoded = verdict == domain::Verdict{} ? accepted : encoding::encode(verdict);
  LONTAR_ASSIGN(Bytes v, std::move(encoded));
  Bytes leaf;
  leaf.reserve(entry_bytes.size() + v.size());
  leaf.push_back(0x01);
  leaf.push_back(static_cast<std::uint8_t>(chain::LeafType::entry));
  leaf.insert(leaf.end(), entry_bytes.begin() + 1, entry_bytes.end());
  leaf.insert(leaf.end(), v.begin() + 1, v.end());
  return leaf;
}

}  // namespace

Integrator::Integrator(WriteSide& store, const LogSettings& settings, const crypto::PrivateKey& log_key,
                       std::string name, SigningStop& stop)
    : store_(store),
      settings_(settings),
      log_key_(log_key),
      name_(std::move(name)),
      stop_(stop),
      base_state_(&store.rules_state()),
      state_(base_state_) {}

// ---------------------------------------------------------------- loading

Result<std::string> Integrator::load() {
  LONTAR_ASSIGN(std::uint64_t size, store_.leaf_count());
  LONTAR_ASSIGN(tree_, merkle::TileWriter::resume(size, [this](const merkle::TileId& id) { return store_.tile(id); }));
  LONTAR_ASSIGN(auto latest, store_.latest_checkpoint());
  if (!latest) {
    if (size != 0) {
      return Error{Code::corrupt, name_ + ": the log holds leaves but no checkpoint; restore it from a backup"};
    }
    // An empty log still serves a signed checkpoint (of the empty tree); it is not stored.
    return note::sign_checkpoint(note::Checkpoint{settings_.origin, 0, tree_.root(), {}}, settings_.origin, log_key_);
  }
  if (latest->size != size) {
    return Error{Code::corrupt, name_ + ": the latest checkpoint is for " + std::to_string(latest->size) +
                                    " leaves but the log holds " + std::to_string(size) +
                                    "; the store is damaged — restore it from a backup"};
  }
  const std::string body = settings_.origin + "\n" + std::to_string(size) + "\n" + to_base64(tree_.root()) + "\n";
  if (!latest->note.starts_with(body)) {
    return Error{Code::corrupt, name_ +
                                    ": the stored tree's root does not match the latest checkpoint; "
                                    "the store is damaged — restore it from a backup"};
  }
  return std::move(latest->note);
}

void Integrator::reload(std::uint64_t start_size) {
  heads_.clear();
  auto restored = merkle::TileWriter::resume(start_size, [this](const merkle::TileId& id) { return store_.tile(id); });
  if (!restored.ok()) {
    // The store cannot be read now (a database server that is down): the tree is read
    // again, from what is committed, before the next group (resync).
    spdlog::warn("cannot reload the tree after a failed transaction; retried before the next group: {}",
                 restored.error().message);
    stale_ = true;
    return;
  }
  tree_ = std::move(restored).value();
}

Status Integrator::resync() {
  heads_.clear();
  // The newest checkpoint is written with the leaves it covers: its size is the leaf count.
  LONTAR_ASSIGN(auto latest, store_.latest_checkpoint());
  const std::uint64_t size = latest ? latest->size : 0;
  auto resumed = merkle::TileWriter::resume(size, [this](const merkle::TileId& id) { return store_.tile(id); });
  if (!resumed.ok() && resumed.error().code == Code::corrupt) {
    // A tile missing or narrower than the checkpoint: damage, not a store that is away.
    return broken("the tree's right edge cannot be read back from the store after a failed transaction: " +
                  resumed.error().message);
  }
  if (!resumed.ok()) return std::move(resumed).error();
  tree_ = std::move(resumed).value();
  // The tree read back must be the one the checkpoint signed: else the next checkpoint
  // would be signed over a tree that is not the log's.
  if (latest) {
    const std::string body = settings_.origin + "\n" + std::to_string(size) + "\n" + to_base64(tree_.root()) + "\n";
    if (!latest->note.starts_with(body)) {
      return broken(
          "the tree's right edge read back from the store after a failed transaction is not the tree the "
          "latest checkpoint (" +
          std::to_string(size) + " leaves) signed: a stored hash tile changed");
    }
  }
  stale_ = false;
  return {};
}

Error Integrator::broken(const std::string& what) {
  const std::string why =
      "the log stopped signing: integrator invariant broken: " + what +
      "; nothing more is integrated or signed and pushes are refused (offices keep their entries and push again "
      "later). Stop the server and check the ledger with `lontar-server scrub --data DIR` (DIR: the folder of " +
      name_ +
      "); if it finds damage, restore from a backup (docs/OPERATIONS.md), else report this as a bug with the "
      "server's log";
  if (stop_.stop(SigningStop::Cause::integrator_invariant, why)) spdlog::critical("ALARM: {}", why);
  return *stop_.why();
}

// ---------------------------------------------------------------- one group

Status Integrator::integrate(Integrated& g) {
  g.outcomes.assign(g.group.size(), std::nullopt);
  g.counts = Counts{};
  g.note.clear();
  if (auto why = stop_.why()) return std::move(*why);
  if (stale_) {
    if (auto r = resync(); !r.ok()) {
      if (auto why = stop_.why()) return std::move(*why);  // the tree read is not the signed one
      Error e = std::move(r).error();
      e.prefix("integration of " + std::to_string(g.group.size()) + " pushes not started: cannot read the log");
      spdlog::error("{}", e.message);
      return e;
    }
  }
  const std::uint64_t start_size = tree_.size();
  Status s = store_.transaction([&]() -> Status {
    // The group's rules changes stay in memory and are written once, sorted, before
    // the commit (the overlay bounds its own memory, flushing early if it must).
    rules::OverlayState overlay(*base_state_);
    state_ = &overlay;
    struct Back {
      Integrator& i;
      ~Back() { i.state_ = i.base_state_; }
    } back{*this};
    for (std::size_t i = 0; i < g.group.size(); ++i) LONTAR_TRY(integrate_one(*g.group[i], g.counts, g.outcomes[i]));
    LONTAR_TRY(overlay.flush());
    // Stopped meanwhile (the scrub found damage): nothing of the group is committed.
    if (auto why = stop_.why()) return std::move(*why);
    if (tree_.size() != start_size) {
      LONTAR_ASSIGN(g.note, commit_checkpoint());
    }
    return check_invariants(g, start_size);
  });
  if (!s.ok()) {
    // Usually the store is back at start_size; but a commit whose answer was lost (a
    // database connection cut during COMMIT) may have landed, and another integrator
    // may have written (a fenced PostgreSQL writer): read the tree again from the store.
    reload(start_size);
    stale_ = true;
    Error e = std::move(s).error();
    e.prefix("integration of " + std::to_string(g.group.size()) + " pushes failed and was rolled back");
    spdlog::error("{}", e.message);
    return e;
  }
  g.size = tree_.size();
  return {};
}

Result<std::string> Integrator::commit_checkpoint() {
  for (const merkle::TileWrite& t : tree_.take_writes()) LONTAR_TRY(store_.put_tile(t));
  LONTAR_ASSIGN(std::string note,
                note::sign_checkpoint(note::Checkpoint{settings_.origin, tree_.size(), tree_.root(), {}},
                                      settings_.origin, log_key_));
  LONTAR_TRY(store_.put_checkpoint(StoredCheckpoint{tree_.size(), note}, now_ms()));
  return note;
}

Status Integrator::check_invariants(const Integrated& g, std::uint64_t start_size) {
  std::optional<std::string> failed;  // the first invariant that does not hold
  auto invariant = [&](bool holds, const std::string& what) {
    if (!holds && !failed) failed = what;
  };
  const std::uint64_t added = tree_.size() - start_size;
  std::vector<bool> named(added, false);  // each new leaf is named by some receipt or seal
  auto name = [&](std::uint64_t leaf) {
    invariant(leaf < tree_.size(), "a receipt names leaf " + std::to_string(leaf) + " beyond the tree");
    if (leaf >= start_size && leaf < tree_.size()) named[leaf - start_size] = true;
  };
  std::uint64_t receipts = 0, refused = 0;
  for (std::size_t i = 0; i < g.group.size(); ++i) {
    invariant(g.outcomes[i].has_value(), "push " + std::to_string(i) + " of the group has no outcome");
    if (!g.outcomes[i].has_value()) continue;
    const Result<protocol::PushResponse>& r = *g.outcomes[i];
    if (!r.ok()) {
      ++refused;
      continue;
    }
    const std::vector<chain::Entry>& entries = g.group[i]->batch.entries;
    if (r->receipts.size() != entries.size()) {
      invariant(false, "push " + std::to_string(i) + " has " + std::to_string(r->receipts.size()) + " receipts for " +
                           std::to_string(entries.size()) + " entries");
      continue;
    }
    for (std::size_t k = 0; k < entries.size(); ++k) {
      invariant(r->receipts[k].seq == entries[k].seq, "a receipt is for another seq than its entry");
      name(r->receipts[k].leaf_index);
    }
    name(r->seal_leaf_index);
    receipts += entries.size();
  }
  invariant(std::find(named.begin(), named.end(), false) == named.end(),
            "the tree grew by " + std::to_string(added) + " leaves, not all of them named by a receipt or seal");
  invariant(g.counts.integrated + g.counts.replayed == receipts && g.counts.refused == refused,
            "the group's counts do not add up to its receipts and refusals");
  invariant(g.note.empty() == (added == 0), "a checkpoint is signed exactly when the tree grew");
  if (failed) return broken(*failed + " (checked before the commit)");
  return {};
}

// ---------------------------------------------------------------- one push

Status Integrator::integrate_one(Pending& p, Counts& counts, Outcome& outcome) {
  const chain::Batch& b = p.batch;
  const std::string& who = b.principal;
  LONTAR_ASSIGN(Head head, head_of(who));
  LONTAR_ASSIGN(rules::SealGrant grant, rules::seal_allowed(b.seal, &b.entries.front(), *state_));
  if (grant == rules::SealGrant::refused) {
    refuse(counts, outcome,
           refusal(Code::unauthorized, who,
                   "the seal's key " + crypto::fingerprint(b.seal.key) + " is not registered for " + who +
                       " or was revoked; ask an admin to register this office's current key"));
    return {};
  }
  protocol::PushResponse resp;
  resp.receipts.reserve(b.entries.size());
  LONTAR_ASSIGN(const std::size_t first_new, replay_logged(p, head, resp, counts, outcome));
  if (outcome) return {};
  if (first_new < b.entries.size()) {
    // The first new entry must continue the logged head.
    const chain::Entry& e = b.entries[first_new];
    if (e.seq != head.seq + 1) {
      refuse(counts, outcome,
             refusal(Code::bad_input, who,
                     "the server's head for " + who + " is seq " + std::to_string(head.seq) +
                         " but the batch continues at seq " + std::to_string(e.seq) + "; push the entries from seq " +
                         std::to_string(head.seq + 1) + " on"));
      return {};
    }
    if (first_new == 0 && e.prev != head.hash) {
      LONTAR_TRY(record_equivocation(p, head.seq, head.hash, e.prev));
      ++counts.equivocations;
      refuse(counts, outcome,
             refusal(Code::conflict, who,
                     "EQUIVOCATION: seq " + std::to_string(e.seq) + " links to a seq " + std::to_string(head.seq) +
                         " other than the one logged; this office's chain forked"));
      return {};
    }
    LONTAR_TRY(append_new(p, first_new, resp, counts));
  } else {
    // Nothing new: the earlier seal that covers the batch's last entry.
    LONTAR_ASSIGN(auto seal, store_.seal_covering(who, b.entries.back().seq));
    if (!seal) {
      return Error{Code::corrupt, name_ + ": no seal covers " + who + " seq " + std::to_string(b.entries.back().seq)};
    }
    resp.seal_leaf_index = *seal;
  }
  counts.replayed += first_new;
  counts.integrated += b.entries.size() - first_new;
  outcome = std::move(resp);
  return {};
}

// Entries at or below the head were logged before: the same hash gets its earlier
// receipt; a different one is equivocation.
Result<std::size_t> Integrator::replay_logged(Pending& p, const Head& head, protocol::PushResponse& resp,
                                              Counts& counts, Outcome& outcome) {
  const std::string& who = p.batch.principal;
  std::size_t i = 0;
  for (; i < p.batch.entries.size() && p.batch.entries[i].seq <= head.seq; ++i) {
    const std::uint64_t seq = p.batch.entries[i].seq;
    LONTAR_ASSIGN(auto logged, store_.entry(who, seq));
    if (!logged) {
      return Error{Code::corrupt, name_ + ": " + who + " seq " + std::to_string(seq) +
                                      " is below its head but not in the log; the store is damaged"};
    }
    if (logged->entry_hash != p.entry_hashes[i]) {
      LONTAR_TRY(record_equivocation(p, seq, logged->entry_hash, p.entry_hashes[i]));
      ++counts.equivocations;
      refuse(counts, outcome,
             refusal(Code::conflict, who,
                     "EQUIVOCATION: seq " + std::to_string(seq) +
                         " differs from the entry already logged under that seq; the batch is kept as evidence and "
                         "the incident must be investigated"));
      return i;
    }
    LONTAR_ASSIGN(auto bytes, store_.leaf(logged->leaf_index));
    if (!bytes) return Error{Code::corrupt, name_ + ": leaf " + std::to_string(logged->leaf_index) + " is missing"};
    auto leaf = encoding::decode<chain::Leaf>(*bytes, "stored leaf");
    if (!leaf.ok()) return std::move(leaf).error().prefix(name_);
    resp.receipts.push_back({seq, logged->leaf_index, leaf->verdict});
  }
  return i;
}

Status Integrator::append_new(Pending& p, std::size_t first_new, protocol::PushResponse& resp, Counts& counts) {
  const chain::Batch& b = p.batch;
  const std::string& who = b.principal;
  resp.seal_leaf_index = tree_.size();
  LONTAR_ASSIGN(Bytes seal_leaf, encoding::encode(chain::seal_leaf(b.seal)));
  LONTAR_TRY(append_leaf(seal_leaf));
  LONTAR_TRY(store_.put_seal(who, b.seal.last_seq, resp.seal_leaf_index));
  for (std::size_t i = first_new; i < b.entries.size(); ++i) {
    const chain::Entry& e = b.entries[i];
    LONTAR_ASSIGN(domain::Verdict verdict, rules::judge_and_apply(p.prepared[i], *state_));
    LONTAR_ASSIGN(Bytes leaf, entry_leaf_bytes(p.entry_bytes[i], verdict));
    const std::uint64_t leaf_index = tree_.size();
    LONTAR_TRY(append_leaf(leaf));
    LONTAR_TRY(store_.put_entry(who, e.seq, LoggedEntry{leaf_index, p.entry_hashes[i]}));
    LONTAR_TRY(track_keys(e, verdict));
    if (verdict.outcome == domain::Outcome::rejected) ++counts.rejected;
    if (verdict.outcome == domain::Outcome::flagged) ++counts.flagged;
    resp.receipts.push_back({e.seq, leaf_index, std::move(verdict)});
  }
  const Head head{b.entries.back().seq, p.entry_hashes.back()};
  LONTAR_TRY(store_.put_head(who, head));
  heads_[who] = head;
  return {};
}

// ---------------------------------------------------------------- rows

Result<Head> Integrator::head_of(const std::string& principal) {
  if (auto it = heads_.find(principal); it != heads_.end()) return it->second;
  LONTAR_ASSIGN(Head h, store_.head(principal));
  if (heads_.size() >= head_cache_max) heads_.clear();
  heads_.emplace(principal, h);
  return h;
}

Status Integrator::append_leaf(ByteView leaf) {
  const Hash h = merkle::leaf_hash(leaf);
  LONTAR_TRY(store_.put_leaf(tree_.size(), leaf));
  tree_.append(h);
  return {};
}

Status Integrator::record_equivocation(const Pending& p, std::uint64_t seq, const Hash& logged, const Hash& offered) {
  LONTAR_ASSIGN(Bytes evidence, encoding::encode(p.batch));
  LONTAR_TRY(
      store_.put_equivocation(Equivocation{p.batch.principal, seq, logged, offered, std::move(evidence), now_ms()}));
  spdlog::critical(
      "EQUIVOCATION: {} signed a different entry under seq {} (logged {}, offered {}); "
      "the batch is refused and kept as evidence in log_equivocations — investigate this office's keys",
      p.batch.principal, seq, to_hex(logged), to_hex(offered));
  return {};
}

Status Integrator::track_keys(const chain::Entry& e, const domain::Verdict& v) {
  if (v.outcome == domain::Outcome::rejected) return {};
  if (e.kind != domain::EntryKind::principal_register && e.kind != domain::EntryKind::principal_revoke) return {};
  LONTAR_ASSIGN(domain::Payload payload, domain::decode_payload(e.kind, e.payload));
  if (auto* r = std::get_if<domain::PrincipalRegister>(&payload))
    return store_.put_key(r->key, r->principal_id, r->role);
  if (auto* r = std::get_if<domain::PrincipalRevoke>(&payload)) return store_.revoke_key(r->key, r->principal_id);
  return {};
}

}  // namespace lontar::server
