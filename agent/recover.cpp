#include "recover.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <set>

#include "crypto/x509.hpp"
#include "merkle/merkle.hpp"
#include "merkle/tiles.hpp"
#include "net/client.hpp"
#include "note/checkpoint.hpp"
#include "note/note.hpp"
#include "record.hpp"
#include "sync.hpp"
#include "verify.hpp"

namespace lontar::agent {

namespace {

// Progress is reported about every this many leaves.
constexpr std::uint64_t progress_leaves_step = 16 * protocol::feed_items_max;

Status refuse_office(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir / db_file_name, ec)) {
    return Error{Code::conflict,
                 fmt::format("{}: an office already lives here ({} exists); recover never overwrites an office. "
                             "Recover into a new, empty --data folder",
                             dir.string(), db_file_name)};
  }
  return {};
}

Status sync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return Error{Code::io, fmt::format("{}: cannot open the folder to make the rename durable", dir.string())};
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Error{Code::io, fmt::format("{}: fsync of the folder failed", dir.string())};
  return {};
}

class Recovery {
 public:
  Recovery(const RecoverOptions& options, crypto::PrivateKey key, protocol::Client client, note::Verifier verifier)
      : options_(options), key_(std::move(key)), client_(std::move(client)), log_(std::move(verifier), std::nullopt) {}

  // Builds the store in `tmp` (an empty folder). Sets failure_ on error.
  Result<RecoverReport> build(const std::filesystem::path& tmp) {
    report_.office = options_.office;
    report_.public_key_hex = to_hex(key_.public_key());
    report_.fingerprint = crypto::fingerprint(key_.public_key());
    LONTAR_TRY(take_ledger());
    LONTAR_TRY(take_checkpoint());
    LONTAR_TRY(open_store(tmp));
    LONTAR_TRY(pull());
    LONTAR_TRY(finish());
    return report_;
  }

  RecoverFailure failure() const { return failure_; }

 private:
  void progress(const std::string& line) {
    if (options_.progress) options_.progress(line);
  }

  Error fail(RecoverFailure kind, Error e) {
    failure_ = kind;
    return e;
  }
  Error unverified(std::string what) {
    return fail(RecoverFailure::unverified, Error{Code::corrupt, "the central log failed verification: " + what +
                                                                     "; do not use this server's data: call the "
                                                                     "server's admin and the auditors"});
  }

  // The answer of a request to the server. Transport and server errors are `retry`,
  // except a refusal of the key (not_registered) and what the protocol client
  // found wrong in an answer or a TLS pin mismatch (unverified).
  template <class T>
  Result<T> answer(Result<T> r) {
    if (r.ok()) return r;
    Error e = std::move(r).error();
    switch (e.code) {
      case Code::unauthorized:
        return not_registered("it answered 403: not registered, or revoked");
      case Code::io:
        return fail(RecoverFailure::retry, std::move(e));
      case Code::corrupt:
        return unverified(std::move(e.message));
      case Code::pin_mismatch:
      case Code::history_changed:
      case Code::bad_input:
      case Code::not_found:
      case Code::conflict:
      case Code::stale_store:
      case Code::internal:
        return fail(RecoverFailure::unverified, std::move(e));
    }
    return fail(RecoverFailure::unverified, std::move(e));
  }

  // `why` is kept short: the CLI prints the admin's command after it.
  Error not_registered(std::string_view why) {
    return fail(
        RecoverFailure::not_registered,
        Error{Code::unauthorized, fmt::format("the server does not accept this laptop's new key {} as office {} "
                                              "({}); it must be registered for {} first",
                                              report_.fingerprint, options_.office, why, options_.office)});
  }

  // GET /v1/ledger: the pinned log key, the new key registered as this office, the NIK key.
  Status take_ledger() {
    LONTAR_ASSIGN(protocol::Ledger ledger, answer(client_.ledger()));
    const std::string pinned = log_.verifier().to_string();
    if (ledger.verifier_key != pinned) {
      return fail(RecoverFailure::unverified,
                  Error{Code::pin_mismatch, fmt::format("the server announces the log key '{}' but --server-key pins "
                                                        "'{}'; check --server and --server-key with the server's admin",
                                                        ledger.verifier_key.substr(0, 200), pinned)});
    }
    if (!ledger.caller) return not_registered("it knows no principal with this key");
    const auto& principal = ledger.caller->principal;
    if (principal != options_.office) {
      return fail(RecoverFailure::local,
                  Error{Code::bad_input, fmt::format("the server knows this laptop's key {} as {}, not as {}; check "
                                                     "--office, or recover into a new --data folder with a new key",
                                                     report_.fingerprint, principal, options_.office)});
    }
    if (ledger.caller->role != domain::Role::office) {
      return fail(RecoverFailure::local, Error{Code::bad_input, fmt::format("{} is not an office", principal)});
    }
    nik_key_ = ledger.caller->nik_key;
    return {};
  }

  Status take_checkpoint() {
    LONTAR_ASSIGN(std::string note, answer(client_.checkpoint()));
    auto cp = log_.accept(note, nullptr);  // nothing trusted yet: the signature and origin are checked
    if (!cp.ok()) return unverified(cp.error().message);
    checkpoint_ = *cp;
    report_.leaves = cp->size;
    report_.root = cp->root;
    report_.checkpoint_note = note;
    progress(fmt::format("checkpoint verified: tree size {}, root {}", cp->size, to_hex(cp->root)));
    return {};
  }

  template <class T>
  T local(T r) {
    if (!r.ok()) failure_ = RecoverFailure::local;
    return r;
  }

  Status open_store(const std::filesystem::path& tmp) {
    failure_ = RecoverFailure::local;
    LONTAR_ASSIGN(store_, Store::open(tmp, /*create=*/true));
    LONTAR_TRY(store_->create_schema());
    LONTAR_ASSIGN(auto tx, store_->begin());
    LONTAR_TRY(store_->set_setting("nik_key", ByteView(nik_key_)));
    LONTAR_TRY(store_->set_setting("nik_key_origin", "ledger"));
    LONTAR_TRY(tx.commit());
    LONTAR_ASSIGN(state_, store_->rules_state());
    return {};
  }

  // The leaf hashes of level-0 tile `index` in the checkpoint's tree, folded into
  // the root being rebuilt.
  Status next_tile() {
    const std::uint64_t index = tile_first_ / merkle::tile_width_full + (tile_.empty() ? 0 : 1);
    merkle::TileId id{false, 0, index, merkle::tile_width(0, index, checkpoint_.size)};
    LONTAR_ASSIGN(Bytes tile, answer(client_.tile(merkle::tile_path(id), merkle::tile_bytes_max)));
    auto hashes = merkle::parse_tile(id, tile);
    if (!hashes.ok()) return unverified(merkle::tile_path(id) + ": " + hashes.error().message);
    tile_ = std::move(*hashes);
    tile_first_ = index * merkle::tile_width_full;
    for (const Hash& h : tile_) root_.append(h);
    return {};
  }

  Result<Hash> tile_hash(std::uint64_t leaf_index) {
    while (tile_.empty() || leaf_index >= tile_first_ + tile_.size()) LONTAR_TRY(next_tile());
    return tile_[leaf_index - tile_first_];
  }

  Status own_seal(const chain::Seal& seal, std::uint64_t leaf_index, const Hash& leaf_hash) {
    if (!chain::seal_signature_valid(seal)) {
      return unverified(fmt::format("seal leaf {} of {} does not carry a valid signature", leaf_index, seal.principal));
    }
    LONTAR_ASSIGN(bool active, state_->key_active(options_.office, seal.key));
    if (!active) {
      return unverified(
          fmt::format("seal leaf {} is signed by key {}, which was not registered for {} (or was "
                      "revoked) at that point in the log",
                      leaf_index, crypto::fingerprint(seal.key), options_.office));
    }
    if (seal.last_seq <= last_seal_seq_) {
      return unverified(
          fmt::format("seal leaf {} covers seq {} after a seal of seq {}", leaf_index, seal.last_seq, last_seal_seq_));
    }
    LONTAR_TRY(local(store_->insert_seal(seal)));
    last_seal_seq_ = seal.last_seq;
    seal_leaf_index_ = leaf_index;
    seal_leaf_hash_ = leaf_hash;
    ++report_.seals;
    if (seal.key != key_.public_key()) former_keys_.insert(to_hex(seal.key));
    return {};
  }

  Status own_entry(const chain::Entry& e, const domain::Verdict& verdict, std::uint64_t leaf_index) {
    if (e.seq != head_.seq + 1 || e.prev != head_.hash) {
      return unverified(fmt::format("leaf {} holds {} seq {}, which does not continue seq {} of its chain", leaf_index,
                                    e.principal, e.seq, head_.seq));
    }
    LONTAR_ASSIGN(Bytes bytes, encoding::encode(e));
    const Hash hash = chain::entry_hash_of_bytes(bytes);
    auto payload = domain::decode_payload(e.kind, e.payload);
    if (!payload.ok()) return unverified(fmt::format("leaf {}: payload: {}", leaf_index, payload.error().message));
    const EntryIndex ix = index_of(*payload);
    LONTAR_TRY(local(store_->insert_entry(Store::NewEntry{.entry = e,
                                                          .bytes = bytes,
                                                          .hash = hash,
                                                          .local_verdict = verdict,
                                                          .confirmed = verdict.outcome == domain::Outcome::flagged,
                                                          .nik = ix.nik,
                                                          .name = ix.name,
                                                          .ref = ix.ref})));
    LONTAR_TRY(local(store_->acknowledge(e.seq, leaf_index, verdict)));
    head_ = Head{e.seq, hash};
    ++report_.entries;
    report_.count(verdict.outcome);
    return {};
  }

  // One feed item: checked against its tile, then into the store and the replica.
  Status fold(const protocol::FeedItem& item) {
    LONTAR_ASSIGN(Hash proven, tile_hash(item.leaf_index));
    if (item.form == protocol::FeedForm::withheld) return {};  // outside this office's scope
    if (item.form != protocol::FeedForm::full) {
      if (item.redacted.principal == options_.office) {
        return unverified(fmt::format("leaf {} of this office came redacted", item.leaf_index));
      }
      return local(rules::apply_redacted(item.redacted, *state_));
    }
    const Hash leaf_hash = merkle::leaf_hash(item.leaf);
    if (leaf_hash != proven) {
      return unverified(fmt::format("leaf {} does not hash to the log's tile hash for it", item.leaf_index));
    }
    auto leaf = encoding::decode<chain::Leaf>(item.leaf, "feed leaf");
    if (!leaf.ok()) return unverified(fmt::format("leaf {}: {}", item.leaf_index, leaf.error().message));
    if (leaf->type == chain::LeafType::seal) {
      if (leaf->seal.principal != options_.office) return {};
      return own_seal(leaf->seal, item.leaf_index, leaf_hash);
    }
    if (leaf->entry.principal == options_.office) {
      LONTAR_TRY(own_entry(leaf->entry, leaf->verdict, item.leaf_index));
    } else if (leaf->entry.kind == domain::EntryKind::principal_register &&
               leaf->verdict.outcome != domain::Outcome::rejected) {
      auto p = domain::decode_payload(leaf->entry.kind, leaf->entry.payload);
      if (p.ok()) {
        const auto& reg = std::get<domain::PrincipalRegister>(*p);
        if (reg.principal_id == options_.office) {
          report_.name = reg.name;
          scope_ = reg.scope;
        }
      }
    }
    return local(rules::apply(leaf->entry, leaf->verdict, *state_));
  }

  Status pull() {
    const std::uint64_t to = checkpoint_.size;
    std::uint64_t next = 0, reported = 0;
    progress(fmt::format("pulling {} leaves of the central log and their hash tiles", to));
    // One transaction per page. The page's own errors are classified where they
    // happen; only the protocol client's go through answer().
    std::optional<Error> folding;
    auto page = [&](std::span<const protocol::FeedItem> items) -> Status {
      LONTAR_ASSIGN(auto tx, local(store_->begin()));
      for (const auto& item : items) {
        LONTAR_TRY(fold(item));
        ++next;
      }
      LONTAR_TRY(local(tx.commit()));
      if (next - reported >= progress_leaves_step || next == to) {
        progress(fmt::format("  {} of {} leaves verified; {} entries of {} so far", next, to, report_.entries,
                             options_.office));
        reported = next;
      }
      return {};
    };
    auto pulled = client_.feed_range(0, to, [&](std::span<const protocol::FeedItem> items) -> Result<bool> {
      if (auto s = page(items); !s.ok()) {
        folding = s.error();
        return std::move(s).error();
      }
      return true;
    });
    if (folding) return *folding;
    LONTAR_TRY(answer(std::move(pulled)));
    if (root_.size() != to || root_.root() != checkpoint_.root) {
      return unverified(fmt::format("the leaf hashes of the tiles do not give the checkpoint's root (size {})", to));
    }
    if (head_.seq > last_seal_seq_) {
      return unverified(fmt::format("{} seq {} to {} are not covered by a seal in the log", options_.office,
                                    last_seal_seq_ + 1, head_.seq));
    }
    report_.last_seq = head_.seq;
    return {};
  }

  // Settings as init writes them (with the new key), the sync bookkeeping, and a
  // full verify of the rebuilt chain.
  Status finish() {
    failure_ = RecoverFailure::local;
    if (report_.name.empty()) report_.name = options_.office;
    std::string former;
    for (const auto& k : former_keys_) {
      if (!former.empty()) former += ',';
      former += k;
      LONTAR_ASSIGN(Bytes b, from_hex(k));
      crypto::PublicKey pk{};
      std::copy(b.begin(), b.end(), pk.begin());
      report_.former_keys.push_back(crypto::fingerprint(pk));
      LONTAR_ASSIGN(bool active, state_->key_active(options_.office, pk));
      if (active) report_.former_keys_active.push_back(crypto::fingerprint(pk));
    }
    LONTAR_ASSIGN(auto tx, store_->begin());
    LONTAR_TRY(store_->set_setting("office", options_.office));
    LONTAR_TRY(store_->set_setting("name", report_.name));
    LONTAR_TRY(store_->set_setting("scope", scope_));
    LONTAR_TRY(store_->set_setting("server_url", options_.server_url));
    LONTAR_TRY(store_->set_setting("server_key", options_.server_key));
    LONTAR_TRY(store_->set_setting("public_key", report_.public_key_hex));
    LONTAR_TRY(store_->set_setting(former_keys_setting, former));
    LONTAR_TRY(store_->save_checkpoint(Store::Checkpoint{checkpoint_.size, checkpoint_.root, report_.checkpoint_note}));
    LONTAR_TRY(store_->set_setting(feed_next_setting, std::to_string(checkpoint_.size)));
    if (report_.seals > 0) {
      LONTAR_TRY(store_->set_setting(seal_leaf_index_setting, std::to_string(seal_leaf_index_)));
      LONTAR_TRY(store_->set_setting(seal_leaf_hash_setting, ByteView(seal_leaf_hash_)));
    }
    LONTAR_TRY(store_->set_setting(
        recovered_setting, fmt::format("{} ms: rebuilt from the central log {} (checkpoint size {}), up to seq {}",
                                       now_ms(), options_.server_url, checkpoint_.size, head_.seq)));
    LONTAR_TRY(tx.commit());
    store_->reset_rules_state();
    state_ = nullptr;
    Office office{std::move(store_), options_.office, report_.name, std::move(key_)};
    auto verified = verify_chain(office);
    if (!verified.ok()) return unverified("the rebuilt chain: " + verified.error().message);
    if (verified->entries != report_.entries) {
      return unverified(fmt::format("verify saw {} entries, the log {}", verified->entries, report_.entries));
    }
    progress(fmt::format("rebuilt chain verified: {} entries under {} seals", verified->entries, verified->seals));
    return {};  // `office` closes the store here
  }

  const RecoverOptions& options_;
  crypto::PrivateKey key_;
  protocol::Client client_;
  protocol::TrustedLog log_;
  RecoverFailure failure_ = RecoverFailure::local;
  rules::NikKey nik_key_{};
  note::Checkpoint checkpoint_{};
  std::unique_ptr<Store> store_;
  rules::State* state_ = nullptr;
  std::string scope_;
  // The tree rebuilt from the tiles, and the tile being read.
  merkle::RootBuilder root_;
  std::vector<Hash> tile_;
  std::uint64_t tile_first_ = 0;
  // This office's chain as pulled.
  Head head_;
  std::uint64_t last_seal_seq_ = 0;
  std::uint64_t seal_leaf_index_ = 0;
  Hash seal_leaf_hash_{};
  std::set<std::string> former_keys_;
  RecoverReport report_;
};

// Moves the finished store into place without ever replacing an agent.db.
Status install(const std::filesystem::path& tmp, const std::filesystem::path& dir) {
  std::error_code ec;
  const auto wal = tmp / (std::string(db_file_name) + "-wal");
  if (std::filesystem::exists(wal, ec) && std::filesystem::file_size(wal, ec) > 0) {
    return Error{Code::io,
                 fmt::format("{}: the rebuilt store was not closed cleanly; run recover again", wal.string())};
  }
  const auto from = tmp / db_file_name, to = dir / db_file_name;
  if (::link(from.c_str(), to.c_str()) != 0) {
    if (errno == EEXIST) return refuse_office(dir);
    return Error{Code::io, fmt::format("{}: cannot put the rebuilt store in place: {}", to.string(),
                                       std::error_code(errno, std::generic_category()).message())};
  }
  LONTAR_TRY(sync_dir(dir));
  std::filesystem::remove_all(tmp, ec);  // the link is in place; leftovers are harmless
  return {};
}

}  // namespace

Result<RecoveryKey> prepare_recovery_key(const std::filesystem::path& dir, const std::string& office,
                                         const std::optional<std::string>& passphrase) {
  LONTAR_ASSIGN(auto key, crypto::PrivateKey::generate());
  const domain::PrincipalRegister self{office, domain::Role::office, key.public_key(), office, ""};
  if (auto s = domain::validate(self); !s.ok()) return std::move(s).error().prefix("--office");
  LONTAR_TRY(refuse_office(dir));
  RecoveryKey out;
  out.key_file = dir / key_file_name;
  const auto cert_file = dir / cert_file_name;
  std::error_code ec;
  if (std::filesystem::exists(out.key_file, ec)) {
    auto earlier = crypto::PrivateKey::load_pem(out.key_file, passphrase);
    if (!earlier.ok()) {
      Error e = std::move(earlier).error();
      e.message += "; this is the key an earlier `recover` made here: pass the same --passphrase-file";
      return e;
    }
    out.public_key = earlier->public_key();
    if (!std::filesystem::exists(cert_file, ec)) {
      LONTAR_ASSIGN(std::string cert, crypto::make_self_signed_certificate(*earlier, office));
      LONTAR_TRY(crypto::write_file_atomic(cert_file, cert, 0644));
    }
    return out;
  }
  LONTAR_TRY(make_private_dir(dir));
  LONTAR_TRY(key.save_pem(out.key_file, passphrase));
  LONTAR_ASSIGN(std::string cert, crypto::make_self_signed_certificate(key, office));
  LONTAR_TRY(crypto::write_file_atomic(cert_file, cert, 0644));
  out.public_key = key.public_key();
  out.created = true;
  return out;
}

Result<RecoverReport> recover_office(const std::filesystem::path& dir, const RecoverOptions& options,
                                     RecoverFailure* failure) {
  *failure = RecoverFailure::local;
  if (options.server_url.empty() || options.server_key.empty()) {
    return Error{Code::bad_input,
                 "recover needs --server URL and --server-key KEY (the log's verifier key, from the server's admin)"};
  }
  auto verifier = note::Verifier::parse(options.server_key);
  if (!verifier.ok()) return Error{Code::bad_input, "--server-key: " + verifier.error().message};
  LONTAR_TRY(refuse_office(dir));
  LONTAR_ASSIGN(auto key, crypto::PrivateKey::load_pem(dir / key_file_name, options.passphrase));
  net::ClientConfig cc;
  cc.url = options.server_url;
  cc.trust.pinned_key = verifier->public_key();
  LONTAR_ASSIGN(cc.identity, net::load_identity(dir / cert_file_name, dir / key_file_name, options.passphrase));
  auto client = net::Client::create(std::move(cc));
  if (!client.ok()) return Error{Code::bad_input, "--server: " + client.error().message};

  const auto tmp = dir / recover_tmp_dir_name;
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);  // an earlier run that died; it never reached agent.db
  LONTAR_TRY(make_private_dir(tmp));
  Result<RecoverReport> report = Error{Code::internal, "recovery did not run"};
  {
    Recovery recovery(options, std::move(key), protocol::Client(std::move(*client)), std::move(*verifier));
    report = recovery.build(tmp);
    *failure = recovery.failure();
  }  // the rebuilt store is closed here, before it is moved
  if (!report.ok()) {
    std::filesystem::remove_all(tmp, ec);
    return report;
  }
  *failure = RecoverFailure::local;
  LONTAR_TRY(install(tmp, dir));
  return report;
}

}  // namespace lontar::agent
