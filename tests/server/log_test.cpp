// log_test.cpp — the central log store over a real SQLite file.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <map>
#include <thread>

#include "encoding/encoding.hpp"
#include "log/log_store.hpp"
#include "log/sqlite_storage.hpp"
#include "merkle/merkle.hpp"
#include "merkle/tiles.hpp"
#include "note/checkpoint.hpp"
#include "server/log_fixture.hpp"
#include "store/db.hpp"
#include "support/temp_dir.hpp"

using namespace lontar;
using namespace lontar::server;
using lontar::test::ChainWriter;
using lontar::test::enrollment;
using lontar::test::Ledger;
using lontar::test::take;

namespace {

std::vector<domain::Payload> enrollments(unsigned first, unsigned count) {
  std::vector<domain::Payload> out;
  for (unsigned i = 0; i < count; ++i) out.emplace_back(enrollment(first + i));
  return out;
}

note::Checkpoint open_checkpoint(const Ledger& l, const std::string& signed_note) {
  auto verifier = take(note::Verifier::parse(l.verifier_key), "verifier");
  return take(note::open_checkpoint(signed_note, verifier, "lontar.test/jatim"), "checkpoint");
}

// Every leaf hash of the log, read from the hash tiles it serves.
std::vector<Hash> leaf_hashes(LogStore& s, std::uint64_t size) {
  std::vector<Hash> out;
  for (std::uint64_t t = 0; t * 256 < size; ++t) {
    merkle::TileId p{false, 0, t, static_cast<std::uint32_t>(std::min<std::uint64_t>(256, size - t * 256))};
    Bytes data = take(s.tile(merkle::tile_path(p)), "tile");
    for (std::size_t i = 0; i + 32 <= data.size(); i += 32) {
      Hash h;
      std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(i), 32, h.begin());
      out.push_back(h);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("init writes a ledger whose genesis batch is sealed, accepted and checkpointed") {
  test::TempDir dir;
  Ledger l = Ledger::create(dir.path());
  note::Checkpoint cp = open_checkpoint(l, l.store->checkpoint());
  CHECK(cp.size == 3);  // the admin's seal, principal.register, schedule.set
  CHECK(l.admin->seq() == 2);
  auto admin = take(l.store->authenticate(l.admin->key().public_key()), "auth");
  REQUIRE(admin.has_value());
  CHECK(admin->principal == "ADMIN");
  CHECK(admin->role == domain::Role::admin);
  CHECK(std::filesystem::status(dir.path() / "log.key").permissions() ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  CHECK_FALSE(server::init_ledger(
                  InitOptions{.data_dir = dir.path(), .origin = "x", .admin_key_path = {}, .admin_passphrase = {}})
                  .ok());  // never over an existing ledger
}

TEST_CASE("a push gets receipts in log order: the seal leaf first, then the entries") {
  test::TempDir dir;
  Ledger l = Ledger::create(dir.path());
  ChainWriter a = l.add_principal("SBY-RUNGKUT");
  auto before = l.store->metrics().tree_size;
  auto r = take(l.store->push(a.caller(), a.batch(enrollments(1, 3))), "push");
  REQUIRE(r.receipts.size() == 3);
  CHECK(r.seal_leaf_index == before);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(r.receipts[i].seq == i + 1);
    CHECK(r.receipts[i].leaf_index == before + 1 + i);
    CHECK(r.receipts[i].verdict.outcome == domain::Outcome::accepted);
  }
  CHECK(open_checkpoint(l, r.checkpoint).size == before + 4);
  auto head = take(l.store->head("SBY-RUNGKUT"), "head");
  CHECK(head.first == 3);
  CHECK(head.second == a.head());
  // The stored leaf is exactly encode(entry_leaf(entry, verdict)).
  auto page = take(l.store->feed(a.caller(), r.receipts[0].leaf_index, 1), "feed");
  REQUIRE(page.items.size() == 1);
  auto leaf = take(encoding::decode<chain::Leaf>(page.items[0].leaf, "leaf"), "decode");
  CHECK(take(encoding::encode(leaf), "encode") == page.items[0].leaf);
  CHECK(leaf.entry.seq == 1);
}

TEST_CASE("a re-sent batch gets its earlier receipts and adds nothing to the log") {
  test::TempDir dir;
  Ledger l = Ledger::create(dir.path());
  ChainWriter a = l.add_principal("SBY-RUNGKUT");
  chain::Batch b = a.batch(enrollments(1, 4));
  auto first = take(l.store->push(a.caller(), b), "push");
  auto size = l.store->metrics().tree_size;
  auto again = take(l.store->push(a.caller(), b), "replay");
  CHECK(l.store->metrics().tree_size == size);
  CHECK(again.seal_leaf_index == first.seal_leaf_index);
  REQUIRE(again.receipts.size() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(again.receipts[i].leaf_index == first.receipts[i].leaf_index);
    CHECK(again.receipts[i].verdict == first.receipts[i].verdict);
  }
  CHECK(l.store->metrics().entries_replayed_total == 4);
  // A batch that overlaps the log (seq 3..6) replays 3..4 and integrates 5..6.
  chain::Batch more = a.batch(enrollments(5, 2));
  chain::Batch overlap = more;
  overlap.entries.insert(overlap.entries.begin(), b.entries.begin() + 2, b.entries.end());
  auto r = take(l.store->push(a.caller(), overlap), "overlap");
  REQUIRE(r.receipts.size() == 4);
  CHECK(r.receipts[0].leaf_index == first.receipts[2].leaf_index);
  CHECK(r.receipts[2].leaf_index == size + 1);  // after the new seal leaf
  CHECK(take(l.store->head("SBY-RUNGKUT"), "head").first == 6);
}

TEST_CASE("a different entry under a logged seq is equivocation: refused, recorded, counted") {
  test::TempDir dir;
  Ledger l = Ledger::create(dir.path());
  ChainWriter a = l.add_principal("SBY-RUNGKUT");
  ChainWriter fork(a.principal(), test::clone_key(a.key()));
  take(l.store->push(a.caller(), a.batch(enrollments(1, 2))), "push");
  auto size = l.store->metrics().tree_size;
  auto r = l.store->push(fork.caller(), fork.batch(enrollments(100, 2)));  // same seqs 1..2, other entries
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::conflict);
  CHECK(r.error().message.find("EQUIVOCATION") != std::string::npos);
  CHECK(l.store->metrics().tree_size == size);
  CHECK(l.store->metrics().equivocations_total == 1);
  auto recorded = take(l.store->equivocations(), "equivocations");
  REQUIRE(recorded.size() == 1);
  CHECK(recorded[0].principal == "SBY-RUNGKUT");
  CHECK(recorded[0].seq == 1);
  auto evidence = take(encoding::decode<chain::Batch>(recorded[0].offered_batch, "evidence"), "decode");
  CHECK(chain::seal_signature_valid(evidence.seal));  // signed by the office: proof, not hearsay
  // A chain that continues from a forked seq 2 (seq 3 linking elsewhere) is equivocation too.
  ChainWriter fork3(a.principal(), test::clone_key(a.key()));
  fork3.continue_from(2, Hash{0x42});
  auto r3 = l.store->push(fork3.caller(), fork3.batch(enrollments(200, 1)));
  REQUIRE_FALSE(r3.ok());
  CHECK(r3.error().code == Code::conflict);
  CHECK(l.store->metrics().equivocations_total == 2);
}

TEST_CASE("tampered batches are refused with a reason: bad seal, broken link, wrong office, gap") {
  test::TempDir dir;
  Ledger l = Ledger::create(dir.path());
  ChainWriter a = l.add_principal("SBY-RUNGKUT");
  ChainWriter b = l.add_principal("SBY-DARMO");
  auto size = l.store->metrics().tree_size;

  chain::Batch bad_seal = a.batch(enrollments(1, 2));
  chain::Batch good = bad_seal;
  bad_seal.seal.signature[5] ^= 1;
  auto r1 = l.store->push(a.caller(), bad_seal);
  REQUIRE_FALSE(r1.ok());
  CHECK(r1.error().code == Code::unauthorized);
  CHECK(r1.error().message.find("signature") != std::string::npos);

  chain::Batch broken = good;
  broken.entries[1].recorded_at_ms += 1;  // seal no longer covers it
  auto r2 = l.store->push(a.caller(), broken);
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.error().code == Code::bad_input);

  chain::Batch relinked = good;
  relinked.entries[1].prev[0] ^= 1;
  auto r2b = l.store->push(a.caller(), relinked);
  REQUIRE_FALSE(r2b.ok());
  CHECK(r2b.error().code == Code::bad_input);
  CHECK(r2b.error().message.find("previous-hash") != std::string::npos);

  auto r3 = l.store->push(b.caller(), good);  // B pushing A's batch
  REQUIRE_FALSE(r3.ok());
  CHECK(r3.error().code == Code::unauthorized);
  CHECK(r3.error().message.find("only its own") != std::string::npos);

  // A batch signed by B's key claiming to be A's: the key is not A's.
  ChainWriter impostor(a.principal(), test::clone_key(b.key()));
  auto r4 = l.store->push(a.caller(), impostor.batch(enrollments(1, 1)));
  REQUIRE_FALSE(r4.ok());
  CHECK(r4.error().code == Code::unauthorized);

  ChainWriter ahead(a.principal(), test::clone_key(a.key()));
  ahead.continue_from(5, Hash{});
  auto r5 = l.store->push(a.caller(), ahead.batch(enrollments(1, 1)));
  REQUIRE_FALSE(r5.ok());
  CHECK(r5.error().code == Code::bad_input);
  CHECK(r5.error().message.find("from seq 1") != std::string::npos);

  CHECK(l.store->metrics().tree_size == size);
  CHECK(l.store->metrics().batches_refused_total == 6);
  CHECK(take(l.store->push(a.caller(), good), "the untampered batch").receipts.size() == 2);
}

TEST_CASE("a revoked office can no longer push or authenticate") {
  test::TempDir dir;
  Ledger l = Ledger::create(dir.path());
  ChainWriter a = l.add_principal("SBY-RUNGKUT");
  take(l.store->push(a.caller(), a.batch(enrollments(1, 1))), "push");
  domain::PrincipalRevoke rv{"SBY-RUNGKUT", a.key().public_key(), "laptop stolen"};
  auto r = take(l.store->push(l.admin->caller(), l.admin->batch({rv})), "revoke");
  REQUIRE(r.receipts[0].verdict.outcome == domain::Outcome::accepted);
  CHECK_FALSE(take(l.store->authenticate(a.key().public_key()), "auth").has_value());
  auto refused = l.store->push(a.caller(), a.batch(enrollments(2, 1)));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Code::unauthorized);
  CHECK(refused.error().message.find("revoked") != std::string::npos);
}

TEST_CASE("concurrent pushes from many offices are integrated together, with fewer checkpoints than pushes") {
  test::TempDir dir;
  Ledger l = Ledger::create(dir.path());
  constexpr int offices = 8;
  std::vector<ChainWriter> writers;
  for (int i = 0; i < offices; ++i) writers.push_back(l.add_principal("OFFICE-" + std::to_string(i)));
  auto integrations_before = l.store->metrics().integrations_total;
  auto size_before = l.store->metrics().tree_size;
  // Hold the store's write lock from another connection, so that every push queues
  // up behind the first one; then let go and watch them integrate as one group.
  auto blocker = take(store::Db::open((dir.path() / "ledger.db").string()), "db");
  auto tx = take(store::Transaction::begin(*blocker), "lock");
  std::vector<std::thread> threads;
  std::vector<std::vector<protocol::PushResponse>> responses(offices);
  std::vector<chain::Batch> batches;
  for (int i = 0; i < offices; ++i) {
    for (int k = 0; k < 3; ++k) batches.push_back(writers[i].batch(enrollments(1000 * (i + 1) + 10 * k, 5)));
  }
  for (int i = 0; i < offices; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 3; ++k)
        responses[i].push_back(take(l.store->push(writers[i].caller(), batches[i * 3 + k]), "push"));
    });
  }
  while (l.store->pushes_in_flight() < offices) std::this_thread::yield();
  REQUIRE(tx.commit().ok());
  for (auto& t : threads) t.join();
  auto m = l.store->metrics();
  CHECK(m.tree_size == size_before + offices * 3 * 6);
  CHECK(m.integrations_total - integrations_before < offices * 3);
  for (int i = 0; i < offices; ++i) {
    CHECK(take(l.store->head(writers[i].principal()), "head").first == 15);
    for (auto& r : responses[i]) {
      note::Checkpoint cp = open_checkpoint(l, r.checkpoint);
      CHECK(cp.size > r.receipts.back().leaf_index);
    }
  }
}

TEST_CASE("inclusion and consistency proofs from the stored tiles verify against signed checkpoints") {
  test::TempDir dir;
  Ledger l = Ledger::create(dir.path());
  ChainWriter a = l.add_principal("SBY-RUNGKUT");
  std::vector<note::Checkpoint> checkpoints;
  for (unsigned k = 0; k < 6; ++k) {  // 6 * 101 = 606 entries: level-0 tiles 0..2, a level-1 tile
    auto r = take(l.store->push(a.caller(), a.batch(enrollments(1 + 101 * k, 101))), "push");
    checkpoints.push_back(open_checkpoint(l, r.checkpoint));
  }
  note::Checkpoint last = checkpoints.back();
  std::vector<Hash> leaves = leaf_hashes(*l.store, last.size);
  REQUIRE(leaves.size() == last.size);
  merkle::MemoryTree mirror;
  for (const Hash& h : leaves) mirror.append(h);
  CHECK(mirror.root() == last.root);
  for (std::uint64_t i = 0; i < last.size; i += 7) {
    auto p = take(l.store->inclusion_proof(i, last.size), "inclusion");
    CHECK(merkle::verify_inclusion(leaves[i], i, last.size, p.hashes, last.root).ok());
  }
  for (const auto& old : checkpoints) {
    auto p = take(l.store->consistency_proof(old.size, last.size), "consistency");
    CHECK(merkle::verify_consistency(old.size, last.size, old.root, last.root, p.hashes).ok());
  }
  CHECK_FALSE(l.store->inclusion_proof(0, last.size + 1).ok());
  // Level-1 tile: the root of each full level-0 tile.
  Bytes t1 = take(l.store->tile("tile/1/000.p/2"), "level 1");
  CHECK(t1.size() == 64);
  CHECK(take(mirror.hash({8, 1}), "node") == Hash(*reinterpret_cast<const Hash*>(t1.data() + 32)));
  // Entry bundles: uint16 big-endian length, then the leaf, whose hash is the tile's.
  Bytes bundle = take(l.store->tile("tile/entries/000"), "bundle");
  std::size_t pos = 0;
  for (int i = 0; i < 256; ++i) {
    std::size_t n = (std::size_t{bundle[pos]} << 8) | bundle[pos + 1];
    CHECK(merkle::leaf_hash(ByteView(bundle).subspan(pos + 2, n)) == leaves[i]);
    pos += 2 + n;
  }
  CHECK(pos == bundle.size());
  CHECK_FALSE(l.store->tile("tile/entries/003").ok());
  CHECK_FALSE(l.store->tile("tile/0/3").ok());  // not canonical
}

TEST_CASE("tile paths are parsed and written in the C2SP form") {
  auto t = take(merkle::parse_tile_path("tile/1/x001/x234/067.p/8"), "parse");
  CHECK(t.level == 1);
  CHECK(t.index == 1'234'067);
  CHECK(t.width == 8);
  CHECK(merkle::tile_path(t) == "tile/1/x001/x234/067.p/8");
  auto e = take(merkle::parse_tile_path("tile/entries/000"), "parse");
  CHECK(e.entries);
  CHECK(e.width == 256);
  for (const char* bad : {"tile/0/67", "tile/0/x067", "tile/0/000.p/0", "tile/0/000.p/256", "tile/64/000",
                          "tile/entries/1000", "tiles/0/000", "tile/0/000.p/08"}) {
    CHECK_MESSAGE(!merkle::parse_tile_path(bad).ok(), bad);
  }
}

TEST_CASE("a restarted store keeps every leaf, head, checkpoint and receipt") {
  test::TempDir dir;
  Ledger l = Ledger::create(dir.path());
  ChainWriter a = l.add_principal("SBY-RUNGKUT");
  chain::Batch b = a.batch(enrollments(1, 300));
  auto first = take(l.store->push(a.caller(), b), "push");
  std::string cp = l.store->checkpoint();
  l.reopen();
  CHECK(l.store->checkpoint() == cp);
  CHECK(take(l.store->head("SBY-RUNGKUT"), "head").first == 300);
  auto again = take(l.store->push(a.caller(), b), "replay");
  CHECK(again.receipts.back().leaf_index == first.receipts.back().leaf_index);
  auto more = take(l.store->push(a.caller(), a.batch(enrollments(301, 10))), "more");
  note::Checkpoint c1 = open_checkpoint(l, cp);
  note::Checkpoint c2 = open_checkpoint(l, more.checkpoint);
  auto p = take(l.store->consistency_proof(c1.size, c2.size), "consistency");
  CHECK(merkle::verify_consistency(c1.size, c2.size, c1.root, c2.root, p.hashes).ok());
  // Opening with another log key is refused.
  auto other = take(crypto::PrivateKey::generate(), "key");
  l.store.reset();
  auto wrong = LogStore::open((dir.path() / "ledger.db").string(), std::move(other));
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code == Code::unauthorized);
}

TEST_CASE("a failed integration publishes nothing and the next push succeeds") {
  test::TempDir dir;
  Ledger l = Ledger::create(dir.path());
  ChainWriter a = l.add_principal("SBY-RUNGKUT");
  std::string cp = l.store->checkpoint();
  auto size = l.store->metrics().tree_size;
  // Another connection installs a trigger that makes every leaf insert fail, as a
  // failing disk would in the middle of an integration.
  auto blocker = take(store::Db::open((dir.path() / "ledger.db").string()), "db");
  chain::Batch b = a.batch(enrollments(1, 2));
  REQUIRE(blocker->exec("CREATE TRIGGER full BEFORE INSERT ON log_leaves BEGIN SELECT RAISE(ABORT, 'disk full'); END")
              .ok());
  auto r = l.store->push(a.caller(), b);
  REQUIRE_FALSE(r.ok());
  CHECK(l.store->checkpoint() == cp);
  CHECK(l.store->metrics().tree_size == size);
  REQUIRE(blocker->exec("DROP TRIGGER full").ok());
  auto ok = take(l.store->push(a.caller(), b), "retry");
  CHECK(ok.receipts.size() == 2);
  CHECK(ok.seal_leaf_index == size);
  l.reopen();
  CHECK(l.store->metrics().tree_size == size + 3);
}

TEST_CASE("the feed shows an office its own entries in full and other offices' entries redacted") {
  test::TempDir dir;
  Ledger l = Ledger::create(dir.path());
  ChainWriter a = l.add_principal("SBY-RUNGKUT");
  ChainWriter b = l.add_principal("SBY-DARMO");
  ChainWriter auditor = l.add_principal("AUDIT-1", domain::Role::auditor);
  domain::ParticipantEnroll secret = enrollment(7);
  domain::ParticipantEnroll invalid = enrollment(8);
  invalid.regency_code = "3579";  // not the NIK's regency: rejected, and the reason quotes the NIK
  auto pushed = take(l.store->push(a.caller(), a.batch({secret, invalid})), "push a");
  REQUIRE(pushed.receipts[1].verdict.outcome == domain::Outcome::rejected);
  take(l.store->push(b.caller(), b.batch(enrollments(50, 1))), "push b");
  auto page_b = take(l.store->feed(b.caller(), 0, 1000), "feed b");
  CHECK(page_b.tree_size == l.store->metrics().tree_size);
  CHECK(page_b.items.size() == page_b.tree_size);
  Bytes wire = take(encoding::encode(page_b), "encode");
  std::string_view text = as_chars(wire);
  CHECK(text.find(secret.name) == std::string_view::npos);
  CHECK(text.find(secret.nik) == std::string_view::npos);
  CHECK(text.find(secret.address) == std::string_view::npos);
  CHECK(text.find(invalid.nik) == std::string_view::npos);
  CHECK(text.find(invalid.name) == std::string_view::npos);
  int redacted = 0, full_own = 0;
  for (const auto& item : page_b.items) {
    if (item.form == protocol::FeedForm::redacted) {
      ++redacted;
      CHECK(item.redacted.principal == "SBY-RUNGKUT");
      if (item.redacted.seq == 1) CHECK(item.redacted.nik_key == rules::person_key(l.store->nik_key(), secret.nik));
    } else {
      auto leaf = take(encoding::decode<chain::Leaf>(item.leaf, "leaf"), "decode");
      if (leaf.type == chain::LeafType::entry && leaf.entry.principal == "SBY-DARMO") ++full_own;
      if (leaf.type == chain::LeafType::entry) {
        CHECK((leaf.entry.principal == "SBY-DARMO" || domain::is_admin_kind(leaf.entry.kind)));
      }
    }
  }
  CHECK(redacted == 2);
  CHECK(full_own == 1);
  auto page_audit = take(l.store->feed(auditor.caller(), 0, 1000), "feed auditor");
  for (const auto& item : page_audit.items) CHECK(item.form == protocol::FeedForm::full);
  Bytes audit_wire = take(encoding::encode(page_audit), "encode");
  CHECK(as_chars(audit_wire).find(secret.name) != std::string_view::npos);
  // Paging: `from` and `limit` are honoured.
  auto page = take(l.store->feed(b.caller(), 2, 3), "page");
  REQUIRE(page.items.size() == 3);
  CHECK(page.items[0].leaf_index == 2);
}

TEST_CASE("shutdown answers every queued push, then refuses new ones; a small queue only slows pushers") {
  test::TempDir dir;
  Ledger l = Ledger::create(dir.path(), LogStoreOptions{.push_queue_max = 1, .integration_entries_max = 4});
  constexpr int offices = 4;
  std::vector<ChainWriter> writers;
  for (int i = 0; i < offices; ++i) writers.push_back(l.add_principal("OFFICE-" + std::to_string(i)));
  std::vector<chain::Batch> batches;
  for (int i = 0; i < offices; ++i) batches.push_back(writers[i].batch(enrollments(100 * (i + 1), 3)));
  auto blocker = take(store::Db::open((dir.path() / "ledger.db").string()), "db");
  auto tx = take(store::Transaction::begin(*blocker), "lock");
  std::vector<std::thread> threads;
  std::vector<int> ok(offices, 0);
  for (int i = 0; i < offices; ++i) {
    threads.emplace_back([&, i] { ok[i] = l.store->push(writers[i].caller(), batches[i]).ok() ? 1 : 0; });
  }
  // One push is being integrated (stuck behind the lock), one is queued; the rest wait for room.
  while (l.store->pushes_in_flight() < 2) std::this_thread::yield();
  CHECK(l.store->pushes_in_flight() <= 2);
  REQUIRE(tx.commit().ok());
  for (auto& t : threads) t.join();
  CHECK(std::count(ok.begin(), ok.end(), 1) == offices);
  // integration_entries_max = 4 keeps 3-entry batches in groups of one.
  l.store->shutdown();
  auto late = l.store->push(writers[0].caller(), writers[0].batch(enrollments(900, 1)));
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().code == Code::io);
  CHECK(late.error().message.find("shutting down") != std::string::npos);
}

TEST_CASE("a server process killed mid-push loses nothing it acknowledged and logs nothing twice") {
  test::TempDir dir;
  Ledger l = Ledger::create(dir.path());
  ChainWriter a = l.add_principal("SBY-RUNGKUT");
  constexpr int batches_total = 40;
  std::vector<chain::Batch> batches;
  for (int k = 0; k < batches_total; ++k) batches.push_back(a.batch(enrollments(1 + 25 * k, 25)));
  l.store.reset();  // no store (and no integrator thread) in this process while it forks

  int ack[2];
  REQUIRE(::pipe(ack) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The server: pushes every batch and reports each acknowledged receipt.
    ::close(ack[0]);
    l.reopen();
    for (const auto& b : batches) {
      auto r = l.store->push(a.caller(), b);
      if (!r.ok()) ::_exit(3);
      std::uint64_t msg[2] = {r->receipts.back().seq, r->receipts.back().leaf_index};
      if (::write(ack[1], msg, sizeof msg) != sizeof msg) ::_exit(4);
    }
    ::_exit(0);
  }
  ::close(ack[1]);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> acked;
  std::uint64_t msg[2];
  while (acked.size() < 5 && ::read(ack[0], msg, sizeof msg) == sizeof msg) acked.emplace_back(msg[0], msg[1]);
  ::kill(child, SIGKILL);  // mid-flight: the next pushes are being integrated or committed
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(ack[0]);
  REQUIRE(acked.size() == 5);

  l.reopen();  // open() checks the stored tree against the latest checkpoint
  note::Checkpoint cp = open_checkpoint(l, l.store->checkpoint());
  auto head = take(l.store->head("SBY-RUNGKUT"), "head");
  CHECK(head.first >= acked.back().first);
  std::vector<Hash> leaves = leaf_hashes(*l.store, cp.size);
  for (auto [seq, index] : acked) {
    auto p = take(l.store->inclusion_proof(index, cp.size), "inclusion");
    CHECK(merkle::verify_inclusion(leaves[index], index, cp.size, p.hashes, cp.root).ok());
  }
  // Resending everything: what was logged replays with the same leaves, the rest integrates once.
  std::uint64_t size_before = cp.size;
  std::uint64_t new_entries = 0;
  for (const auto& b : batches) {
    auto r = take(l.store->push(a.caller(), b), "resend");
    for (std::size_t i = 0; i < r.receipts.size(); ++i) {
      if (r.receipts[i].seq > head.first) ++new_entries;
    }
    if (r.receipts.back().seq <= acked.back().first) {
      auto it = std::find_if(acked.begin(), acked.end(), [&](auto& x) { return x.first == r.receipts.back().seq; });
      if (it != acked.end()) CHECK(r.receipts.back().leaf_index == it->second);
    }
  }
  CHECK(take(l.store->head("SBY-RUNGKUT"), "head").first == batches_total * 25);
  std::uint64_t new_batches = new_entries / 25;
  CHECK(l.store->metrics().tree_size == size_before + new_entries + new_batches);
}

TEST_CASE("a backup goes through the storage: one consistent copy with its checkpoint, never over a file") {
  test::TempDir dir;
  Ledger l = Ledger::create(dir.path());
  ChainWriter a = l.add_principal("SBY-RUNGKUT");
  take(l.store->push(a.caller(), a.batch(enrollments(1, 5))), "push");
  // A second handle on the ledger, as `lontar-server backup` opens it while the server serves.
  auto storage = take(open_sqlite_storage((dir.path() / ledger_file_name).string()), "open");
  const auto copy = dir.path() / "copy.db";
  const CopyHead head = take(storage->backup(copy), "backup");
  CHECK(head.leaves == l.store->metrics().tree_size);
  REQUIRE(head.checkpoint.has_value());
  CHECK(head.checkpoint->size == head.leaves);
  CHECK(head.checkpoint->note == l.store->checkpoint());
  CHECK_FALSE(std::filesystem::exists(dir.path() / "copy.db-wal"));  // one self-contained file
  CHECK(std::filesystem::status(copy).permissions() ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));  // personal data
  auto reread = take(sqlite_copy_head(copy), "head of the copy");
  CHECK(reread.leaves == head.leaves);
  auto again = storage->backup(copy);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == Code::conflict);

  // A backend that does not implement backup refuses and names its database's own tools.
  struct Elsewhere final : LogStorage {
    std::string name_ = "postgresql://ledger";
    LogSettings settings_;
    const std::string& name() const override { return name_; }
    const LogSettings& settings() const override { return settings_; }
    WriteSide& write_side() override { throw std::logic_error("not used"); }
    ReadSide& read_side() override { throw std::logic_error("not used"); }
  } elsewhere;
  auto refused = elsewhere.backup(dir.path() / "pg.db");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("pg_dump") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "pg.db"));
}
