#include "bundle.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "merkle/merkle.hpp"
#include "note/checkpoint.hpp"
#include "protocol/receipts.hpp"
#include "sync.hpp"

namespace lontar::agent {

namespace {

bool same(const domain::Verdict& a, const domain::Verdict& b) {
  auto ea = encoding::encode(a), eb = encoding::encode(b);
  return ea.ok() && eb.ok() && *ea == *eb;
}

// The RFC 6962 hash of the entry leaf the log must hold for this office's stored
// entry `seq` with `verdict` (docs/FORMAT.md §6: 01 01 || entry fields || verdict fields).
Result<Hash> entry_leaf_hash(Store& store, std::uint64_t seq, const domain::Verdict& verdict) {
  LONTAR_ASSIGN(auto row, store.entry_row(seq));
  if (!row) {
    return Error{Code::stale_store,
                 fmt::format("the bundle holds a receipt for #{}, which this store does not hold: it "
                             "was restored from an older copy, or the bundle is another store's; "
                             "stop recording and call the admin",
                             seq)};
  }
  const Bytes& entry = row->bytes;
  LONTAR_ASSIGN(Bytes v, encoding::encode(verdict));
  Bytes leaf = {0x01, static_cast<std::uint8_t>(chain::LeafType::entry)};
  leaf.insert(leaf.end(), entry.begin() + 1, entry.end());
  leaf.insert(leaf.end(), v.begin() + 1, v.end());
  return merkle::leaf_hash(leaf);
}

class Importer {
 public:
  Importer(Office& office, protocol::ReceiptsReader& reader, const note::Verifier& log, const std::string& file)
      : office_(office), store_(*office.store), reader_(reader), log_(log), file_(file) {}

  // Verifies everything and stores it in one transaction, committed only when
  // `commit` (the file's signature held) and there is something new.
  Result<BundleReport> run(bool commit) {
    const auto& head = reader_.head();
    LONTAR_ASSIGN(auto tx, store_.begin());
    LONTAR_ASSIGN(auto trusted, store_.checkpoint());
    LONTAR_ASSIGN(note::Checkpoint cp, checkpoint(head, trusted));
    report_.checkpoint_size = cp.size;
    LONTAR_ASSIGN(std::optional<SealLeaf> stored_seal, stored_seal_leaf(store_));
    const Store::Checkpoint accepted{cp.size, cp.root, head.checkpoint};
    for (;;) {
      LONTAR_ASSIGN(auto batch, reader_.next());
      if (!batch) break;
      LONTAR_TRY(take_batch(*batch, cp, accepted, stored_seal));
    }
    const bool nothing_new = report_.acknowledged == 0;
    if (unverifiable_ && !nothing_new) {
      return Error{Code::conflict,
                   fmt::format("{}: the bundle proves its checkpoint consistent with the tree of {} leaves this office "
                               "trusted when it exported, but it now trusts a tree of {} leaves (it synced since): "
                               "sync over the network instead (the entries are re-sent, idempotently), or export "
                               "again and carry the new file; nothing was stored",
                               file_, head.base_size, trusted ? trusted->size : 0)};
    }
    report_.already_imported = nothing_new;
    if (!commit || report_.already_imported) return report_;
    LONTAR_TRY(tx.commit());
    return report_;
  }

 private:
  // Opens the bundle's checkpoint and checks it extends the trusted one
  // (protocol::TrustedLog), with the bundle's consistency proof when its base is
  // the trusted checkpoint.
  Result<note::Checkpoint> checkpoint(const protocol::ReceiptsHead& head,
                                      const std::optional<Store::Checkpoint>& trusted) {
    std::optional<protocol::TrustedHead> old;
    if (trusted) {
      auto cp = note::open_checkpoint(head.checkpoint, log_, log_.name());
      const bool is_trusted = cp.ok() && cp->size == trusted->size && cp->root == trusted->root;
      const bool from_trusted = head.base_size == trusted->size && head.base_root == trusted->root;
      if (is_trusted || from_trusted) {
        old = protocol::TrustedHead{trusted->size, trusted->root, trusted->note};
      } else {
        unverifiable_ = true;  // only a bundle with nothing new passes (run)
      }
    }
    auto proof = [&](std::uint64_t old_size, std::uint64_t) -> Result<std::vector<Hash>> {
      if (old_size != head.base_size) return std::vector<Hash>{};  // not reached: old is the base here
      return head.consistency;
    };
    return protocol::TrustedLog(log_, std::move(old)).check(head.checkpoint, proof);
  }

  Status take_batch(const protocol::ReceiptsBatch& batch, const note::Checkpoint& cp, const Store::Checkpoint& accepted,
                    std::optional<SealLeaf>& stored_seal) {
    ++report_.batches;
    const std::string where = fmt::format("{}: batch {}", file_, report_.batches);
    if (batch.receipts.empty()) return Error{Code::corrupt, where + ": holds no receipts"};
    for (std::size_t i = 1; i < batch.receipts.size(); ++i) {
      if (batch.receipts[i].receipt.seq != batch.receipts[i - 1].receipt.seq + 1) {
        return Error{Code::corrupt, fmt::format("{}: receipt for #{} follows #{}: not consecutive", where,
                                                batch.receipts[i].receipt.seq, batch.receipts[i - 1].receipt.seq)};
      }
    }
    const std::uint64_t last_seq = batch.receipts.back().receipt.seq;
    const bool ranged = reader_.version() >= 2;
    // Version 2: the batch's leaves by index, proven together by its ranges below.
    std::vector<ProvenLeaf> leaves;
    const Hash seal_hash = merkle::leaf_hash(batch.seal_leaf);
    if (ranged) {
      leaves.push_back({batch.seal_leaf_index, seal_hash, "the batch's seal leaf"});
    } else {
      LONTAR_TRY(check_included(batch.seal_leaf_index, seal_hash, cp, batch.seal_inclusion, "the batch's seal leaf"));
    }
    LONTAR_ASSIGN(SealLeaf seal, check_seal_leaf(office_, batch.seal_leaf_index, batch.seal_leaf, last_seq));
    for (const auto& proven : batch.receipts) {
      const auto& rc = proven.receipt;
      LONTAR_ASSIGN(Hash leaf, entry_leaf_hash(store_, rc.seq, rc.verdict));
      std::string what = fmt::format("#{} with verdict {}", rc.seq, domain::outcome_name(rc.verdict.outcome));
      if (ranged) {
        leaves.push_back({rc.leaf_index, leaf, std::move(what)});
      } else {
        LONTAR_TRY(check_included(rc.leaf_index, leaf, cp, proven.inclusion, what + " as leaf"));
      }
    }
    if (ranged) LONTAR_TRY(check_ranges(where, std::move(leaves), batch.ranges, cp));
    std::vector<protocol::EntryReceipt> fresh;
    for (const auto& proven : batch.receipts) {
      const auto& rc = proven.receipt;
      LONTAR_ASSIGN(auto known, store_.receipt(rc.seq));
      if (known && known->leaf_index == rc.leaf_index && same(known->verdict, rc.verdict)) continue;
      if (known) {
        return Error{Code::conflict,
                     fmt::format("{}: #{} is acknowledged here as leaf {} but the bundle proves it as leaf {}: the log "
                                 "holds this entry twice; keep the bundle and call the server's admin",
                                 where, rc.seq, known->leaf_index, rc.leaf_index)};
      }
      fresh.push_back(rc);
    }
    report_.receipts += batch.receipts.size();
    if (fresh.empty()) return {};
    if (!stored_seal || seal.index > stored_seal->index) stored_seal = seal;
    LONTAR_TRY(store_receipts(store_, fresh, accepted, *stored_seal));
    for (const auto& rc : fresh) {
      ++report_.acknowledged;
      report_.count(rc.verdict.outcome);
    }
    return {};
  }

  // A leaf of a version 2 batch: its index, its hash and what it is (for messages).
  struct ProvenLeaf {
    std::uint64_t index = 0;
    Hash hash{};
    std::string what;
  };

  // Version 2: the batch's ranges must cover exactly its leaves (ascending, disjoint,
  // no leaf twice, none left out) — else the bundle is malformed (corrupt) — and each
  // range's proof must lead from its leaves to the checkpoint's root — else the log's
  // history changed (an incident, as for a failed inclusion proof).
  Status check_ranges(const std::string& where, std::vector<ProvenLeaf> leaves,
                      const std::vector<protocol::LeafRangeProof>& ranges, const note::Checkpoint& cp) {
    std::sort(leaves.begin(), leaves.end(), [](const ProvenLeaf& a, const ProvenLeaf& b) { return a.index < b.index; });
    for (std::size_t i = 1; i < leaves.size(); ++i) {
      if (leaves[i].index == leaves[i - 1].index) {
        return Error{Code::corrupt, fmt::format("{}: {} and {} both claim leaf {}", where, leaves[i - 1].what,
                                                leaves[i].what, leaves[i].index)};
      }
    }
    std::size_t next = 0;  // the first leaf not yet covered
    std::vector<Hash> hashes;
    for (const auto& range : ranges) {
      const std::uint64_t length = range.end > range.begin ? range.end - range.begin : 0;
      // Sorted distinct leaves: these `length` from `next` are consecutive exactly when the
      // first is `begin` and the last `end - 1`.
      if (length == 0 || next + length > leaves.size() || leaves[next].index != range.begin ||
          leaves[next + length - 1].index != range.end - 1) {
        return Error{Code::corrupt,
                     fmt::format("{}: its proof of leaves [{}, {}) does not match its leaves (the bundle's ranges must "
                                 "cover exactly the batch's seal and entry leaves, in order): the bundle is malformed",
                                 where, range.begin, range.end)};
      }
      if (range.end > cp.size) {
        return protocol::history_changed(fmt::format("{}: leaves [{}, {}) are not in the server's tree of size {}",
                                                     where, range.begin, range.end, cp.size));
      }
      hashes.clear();
      for (std::size_t i = next; i < next + length; ++i) hashes.push_back(leaves[i].hash);
      if (auto s = merkle::verify_range(hashes, range.begin, cp.size, range.hashes, cp.root); !s.ok()) {
        return protocol::history_changed(
            fmt::format("{}: leaves [{}, {}) ({} .. {}) are not proven in the checkpoint of "
                        "size {}: {}",
                        where, range.begin, range.end, leaves[next].what, leaves[next + length - 1].what, cp.size,
                        s.error().message));
      }
      next += length;
    }
    if (next != leaves.size()) {
      return Error{Code::corrupt, fmt::format("{}: no proof for {} (leaf {}): the bundle is malformed", where,
                                              leaves[next].what, leaves[next].index)};
    }
    return {};
  }

  Office& office_;
  Store& store_;
  protocol::ReceiptsReader& reader_;
  const note::Verifier& log_;
  std::string file_;
  bool unverifiable_ = false;  // the bundle's base is not the trusted checkpoint
  BundleReport report_;
};

}  // namespace

Result<BundleReport> import_bundle(Office& office, const std::filesystem::path& file, std::string server_key) {
  Store& store = *office.store;
  LONTAR_ASSIGN(auto open_incident, incident(store));
  if (open_incident) {
    return incident_error("importing receipts is stopped since an earlier check found: " + *open_incident +
                          ". Investigate with the server's admin, then run `lontar-agent incident clear --reason "
                          "TEXT` (README, Sync)");
  }
  if (server_key.empty()) {
    LONTAR_ASSIGN(auto key, store.setting("server_key"));
    if (key) server_key = std::string(as_chars(*key));
  }
  if (server_key.empty()) {
    return Error{Code::bad_input,
                 "no log key pinned: pass --server-key KEY (the log's verifier key from the server's admin), or give "
                 "it to `lontar-agent init`"};
  }
  auto log = note::Verifier::parse(server_key);
  if (!log.ok()) return Error{Code::bad_input, "--server-key: " + log.error().message};
  // Every bundle that is not what the server signed is Code::corrupt (exit 5), whatever
  // else is wrong with it: the reader's errors are, and so is anything found below in
  // a file whose signature fails (only the local disk failing stays Code::io).
  LONTAR_ASSIGN(auto reader, protocol::ReceiptsReader::open(file));
  LONTAR_ASSIGN(bool signed_ok, reader.signed_by(log->public_key()));
  const std::string altered = fmt::format(
      "{}: the log key's signature over the bundle does not verify: the file was altered or damaged after the "
      "server wrote it (or another server wrote it). Nothing was stored; copy it again, or run `lontar-server "
      "import` again for a new one",
      file.string());
  if (signed_ok && reader.head().office != office.id) {
    return Error{Code::conflict, fmt::format("{}: this bundle holds the receipts of {}, but this office is {}: "
                                             "carry it to {}'s laptop; nothing was stored",
                                             file.string(), reader.head().office, office.id, reader.head().office)};
  }
  Importer importer(office, reader, *log, file.string());
  auto r = importer.run(signed_ok);
  if (!r.ok()) {
    if (!signed_ok && r.error().code != Code::io) {
      // Not the server's statement: no incident, just a bad file.
      std::string found = r.error().message;
      if (found.starts_with(file.string() + ": ")) found.erase(0, file.string().size() + 2);
      return Error{Code::corrupt, fmt::format("{} (and: {})", altered, found)};
    }
    if (r.error().code != Code::history_changed) return r;
    LONTAR_TRY(mark_incident(store, r.error()));
    return r;
  }
  if (!signed_ok) return Error{Code::corrupt, altered};
  return r;
}

}  // namespace lontar::agent
