// sync_test.cpp — lontar-agent sync/run against a real lontar-server on loopback.
#include "sync/sync_harness.hpp"

#include <fmt/format.h>

#include "chain/chain.hpp"
#include "encoding/encoding.hpp"
#include "note/checkpoint.hpp"
#include "protocol/protocol.hpp"

namespace lontar::test {
namespace {

// The office's entries seq first..last from its store.
std::vector<chain::Entry> entries_of(const Office& o, std::uint64_t first, std::uint64_t last) {
  auto db = store::Db::open(o.agent.data() + "/agent.db", store::OpenOptions{false, true});
  REQUIRE(db.ok());
  auto st = (*db)->prepare("SELECT bytes FROM entries WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq");
  REQUIRE(st.ok());
  st->bind(1, first).bind(2, last);
  std::vector<chain::Entry> out;
  while (*st->step()) out.push_back(*encoding::decode<chain::Entry>(st->blob_view(0), "entry"));
  return out;
}

crypto::PrivateKey key_of(const Office& o) {
  auto k = crypto::PrivateKey::load_pem(o.agent.data() + "/office-key.pem");
  REQUIRE(k.ok());
  return std::move(*k);
}

chain::Batch batch_of(const Office& o, std::vector<chain::Entry> entries) {
  chain::Batch b;
  b.principal = o.id;
  b.seal = chain::make_seal(o.id, entries.back().seq, chain::entry_hash(entries.back()), 0, key_of(o));
  b.entries = std::move(entries);
  return b;
}

Result<net::Response> push(net::Client& c, const chain::Batch& b) {
  auto body = encoding::encode(b);
  REQUIRE(body.ok());
  return c.post("/v1/push", *body);
}

std::uint64_t tree_size(net::Client& c, const Server& s) {
  auto r = c.call("GET", "/checkpoint");
  REQUIRE(r.ok());
  auto v = note::Verifier::parse(s.verifier_key());
  auto cp = note::open_checkpoint(r->body, *v, v->name());
  REQUIRE(cp.ok());
  return cp->size;
}

// Entry leaves of `principal` in the whole log, by seq (walks the feed).
std::map<std::uint64_t, int> logged_seqs(net::Client& c, const std::string& principal) {
  std::map<std::uint64_t, int> seen;
  std::uint64_t from = 0;
  for (;;) {
    auto r = c.call("GET", fmt::format("/v1/feed?from={}", from));
    REQUIRE(r.ok());
    auto page = encoding::decode<protocol::FeedPage>(r->bytes(), "feed");
    REQUIRE(page.ok());
    for (const auto& item : page->items) {
      if (item.form != protocol::FeedForm::full) continue;
      auto leaf = encoding::decode<chain::Leaf>(item.leaf, "leaf");
      REQUIRE(leaf.ok());
      if (leaf->type == chain::LeafType::entry && leaf->entry.principal == principal) ++seen[leaf->entry.seq];
    }
    from += page->items.size();
    if (page->items.empty() || from >= page->tree_size) return seen;
  }
}

// After an interrupted sync: the next one ends with every one of the office's `n` entries
// acknowledged, each with its own leaf, and each seq logged exactly once.
void sync_gets_every_receipt_once(Server& server, Office& a, std::int64_t n) {
  auto second = a.sync();
  INFO(second.out << second.err);
  REQUIRE(second.rc == 0);
  CHECK(a.agent.count("SELECT count(*) FROM outbox") == 0);
  CHECK(a.agent.count("SELECT count(*) FROM receipts") == n);
  CHECK(a.agent.count("SELECT count(DISTINCT leaf_index) FROM receipts") == n);
  auto c = a.client(server);
  auto seen = logged_seqs(c, a.id);
  CHECK(seen.size() == static_cast<std::size_t>(n));
  bool once = std::all_of(seen.begin(), seen.end(), [](const auto& kv) { return kv.second == 1; });
  CHECK(once);
}

TEST_CASE(
    "two offices offline with overlapping NIKs: the second one's duplicates are rejected centrally, and "
    "after the pull each office's offline checks see the other's enrollments") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT"), b(server, "SBY-DARMO");
  const std::string a_csv = import_list(a.agent, {"--tagana", "30", "--seed", "1"});
  REQUIRE(a.enroll(7).rc == 0);
  import_list(b.agent, {"--tagana", "10", "--seed", "2", "--overlap-from", a_csv, "--overlap", "4"});
  REQUIRE(b.enroll(8).rc == 0);
  CHECK(contains(a.agent.run({"status"}).out, "not synced yet"));

  auto sa = a.sync();
  INFO(sa.out << sa.err);
  REQUIRE(sa.rc == 0);
  CHECK(contains(sa.out, "pushed 31 entries in 1 batches (31 accepted, 0 rejected, 0 flagged)"));
  CHECK(contains(sa.out, "replica rebuilt"));
  auto sb = b.sync();
  INFO(sb.out << sb.err);
  REQUIRE(sb.rc == 0);
  CHECK(contains(sb.out, "pushed 15 entries in 1 batches (11 accepted, 4 rejected, 0 flagged)"));

  // The clerk sees the rejections and why.
  auto rejected = b.agent.run({"list", "--entries", "--verdict", "rejected"});
  CHECK(rejected.rc == 0);
  CHECK(std::count(rejected.out.begin(), rejected.out.end(), '\n') >= 4);
  CHECK(contains(rejected.out, "duplicate_enrollment"));
  auto status = b.agent.run({"status"});
  CHECK(status.rc == 0);
  CHECK(contains(status.out, "11 accepted, 4 rejected, 0 flagged"));
  CHECK(contains(status.out, "duplicate_enrollment"));
  CHECK(b.agent.count("SELECT count(*) FROM outbox") == 0);
  CHECK(b.agent.count("SELECT count(*) FROM receipts") == 15);

  // B pulled A's enrollments: enrolling A's person offline is refused at B.
  auto dup = b.enroll(7);
  CHECK(dup.rc == 3);
  CHECK(contains(dup.err + dup.out, "duplicate"));
  // The hint points to what B knows (the replica's view), not to a `show` that finds nothing here.
  CHECK(contains(dup.err, "hint: this person was enrolled by SBY-RUNGKUT (Kantor SBY-RUNGKUT), coverage from "));
  CHECK_FALSE(contains(dup.err, "show --nik"));
  // A pulls B's: the same at A.
  auto again = a.sync();
  REQUIRE(again.rc == 0);
  CHECK(contains(again.out, "pushed 0 entries"));
  CHECK(a.enroll(8).rc == 3);

  // Both offline again, the same new person at both: B accepted it locally, the log
  // rejects it, and B's replica is rebuilt to follow the log.
  REQUIRE(a.enroll(300).rc == 0);
  REQUIRE(a.sync().rc == 0);
  REQUIRE(b.enroll(300).rc == 0);
  auto late = b.sync();
  INFO(late.out << late.err);
  REQUIRE(late.rc == 0);
  CHECK(contains(late.out, "(0 accepted, 1 rejected, 0 flagged)"));
  CHECK(contains(late.out, "replica rebuilt"));
  CHECK(b.enroll(300).rc == 3);  // still enrolled, by A
  CHECK(b.enroll(301).rc == 0);
  CHECK(b.enroll(7).rc == 3);

  SUBCASE("a replayed batch returns the earlier receipts and adds no leaf") {
    auto c = a.client(server);
    const auto size = tree_size(c, server);
    auto r = push(c, batch_of(a, entries_of(a, 1, 5)));
    REQUIRE(r.ok());
    REQUIRE(r->status == 200);
    auto resp = encoding::decode<protocol::PushResponse>(r->bytes(), "push response");
    REQUIRE(resp.ok());
    REQUIRE(resp->receipts.size() == 5);
    for (const auto& rc : resp->receipts) {
      CHECK(a.agent.count(fmt::format("SELECT leaf_index FROM receipts WHERE seq = {}", rc.seq)) ==
            static_cast<std::int64_t>(rc.leaf_index));
    }
    CHECK(tree_size(c, server) == size);
    CHECK(a.sync().rc == 0);  // and the agent's own checks still hold
  }
  SUBCASE("tampered batches are refused and change nothing") {
    REQUIRE(a.enroll(100).rc == 0);
    REQUIRE(a.enroll(101).rc == 0);
    const std::uint64_t head = static_cast<std::uint64_t>(a.agent.count("SELECT max(seq) FROM entries"));
    auto c = a.client(server);
    const auto size = tree_size(c, server);
    auto fresh = entries_of(a, head - 1, head);

    auto bad_seal = batch_of(a, fresh);
    bad_seal.seal.signature[0] ^= 1;
    auto r1 = push(c, bad_seal);
    REQUIRE(r1.ok());
    CHECK(r1->status == 403);

    auto broken = fresh;
    broken[1].prev[0] ^= 1;
    auto r2 = push(c, batch_of(a, broken));
    REQUIRE(r2.ok());
    CHECK(r2->status == 400);

    auto wrong = batch_of(a, fresh);
    wrong.principal = b.id;
    auto r3 = push(c, wrong);
    REQUIRE(r3.ok());
    CHECK(r3->status == 403);

    CHECK(tree_size(c, server) == size);
    auto s = a.sync();
    INFO(s.err);
    CHECK(s.rc == 0);
    CHECK(contains(s.out, "pushed 2 entries"));
  }
  SUBCASE("a revoked office is refused") {
    auto rev = server.admin({"office", "revoke", "--id", b.id, "--key", b.key_hex, "--reason", "laptop stolen"});
    INFO(rev.out << rev.err);
    REQUIRE(rev.rc == 0);
    // Run again (as after a lost response): reported, not revoked twice.
    auto rerun = server.admin({"office", "revoke", "--id", b.id, "--key", b.key_hex, "--reason", "laptop stolen"});
    CHECK(rerun.rc == 0);
    CHECK(contains(rerun.out, "already revoked"));
    REQUIRE(b.enroll(200).rc == 0);
    auto s = b.sync();
    CHECK(s.rc == 9);
    CHECK(contains(s.err, "refused"));
    CHECK(b.agent.count("SELECT count(*) FROM outbox") == 2);  // #301 and #200 wait for a registered key
  }
}

TEST_CASE(
    "an office that has never synced judges claims and payouts as the server does: both use the one default "
    "schedule") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT");
  auto record = [&](std::vector<std::string> args) {
    auto r = a.agent.run(args, args.front());
    INFO(r.out << r.err);
    REQUIRE(r.rc == 0);
  };
  // A death in 2017, before the default schedule's 2018-01-01: no ceiling in force, so a
  // payout of Rp 30,000,000 is accepted; a death in 2018: above the Rp 24,000,000 benefit.
  struct Case {
    int person;
    std::string coverage, first_month, event;
  };
  for (const Case& c :
       {Case{1, "2017-03-01", "2017-03", "2017-06-10"}, Case{2, "2018-05-14", "2018-05", "2018-05-20"}}) {
    const std::string nik = Agent::nik(c.person),
                      claim_no = "SBY-RUNGKUT/" + c.event.substr(0, 4) + "/000" + std::to_string(c.person);
    record({"enroll", "--nik", nik, "--name", "Peserta", "--birth-date", "1980-01-01", "--occupation", "TAGANA",
            "--coverage-start", c.coverage});
    record({"contribute", "--nik", nik, "--first-month", c.first_month, "--months", "12", "--jkk", "120000", "--jkm",
            "81600", "--receipt", "KW/" + std::to_string(c.person)});
    record({"claim", "--claim-no", claim_no, "--nik", nik, "--event-date", c.event, "--claimant-name", "Budi Santoso",
            "--claimant-relation", "spouse"});
    record({"pay", "--claim-no", claim_no, "--amount", "30000000", "--beneficiary", "Budi Santoso", "--reference",
            "TRF-" + std::to_string(c.person), "--confirm"});
  }
  CHECK(contains(a.agent.run({"status"}).out, "not synced yet"));
  auto s = a.sync();
  INFO(s.out << s.err);
  REQUIRE(s.rc == 0);
  CHECK(contains(s.out, "pushed 8 entries in 1 batches (7 accepted, 0 rejected, 1 flagged)"));
  // Entry by entry: the verdict the office reached offline is the one the log gave.
  CHECK(a.agent.count("SELECT count(*) FROM receipts") == 8);
  CHECK(a.agent.count("SELECT count(*) FROM entries e JOIN receipts r ON r.seq = e.seq WHERE e.verdict = r.verdict") ==
        8);
}

TEST_CASE("the server killed mid-push and restarted: the sync resumes with nothing lost or logged twice") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT");
  import_list(a.agent, {"--tagana", "400", "--seed", "3"});
  pid_t pid = a.agent.spawn({"sync", "--batch-entries", "5"}, "killed");
  REQUIRE(eventually([&] { return contains(slurp(a.agent.dir().file("killed.out")), "pushed #"); }));
  server.kill();
  auto first = a.agent.wait(pid, "killed");
  INFO(first.out << first.err);
  WARN(first.rc == 8);  // normally interrupted; if the sync won the race the checks below hold all the same
  const auto acknowledged = a.agent.count("SELECT count(*) FROM receipts");
  CHECK(acknowledged >= 5);

  server.start();
  sync_gets_every_receipt_once(server, a, 400);
}

TEST_CASE(
    "the agent killed mid-sync, with the next batch pushed before the last one's receipts are stored: the next "
    "sync gets every receipt, nothing lost or logged twice") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT");
  import_list(a.agent, {"--tagana", "400", "--seed", "5"});
  // Batches of 5: batch k+1 is on the wire (and may be logged) while batch k's receipts
  // are being stored, so a kill at any point can leave the server ahead of the office.
  pid_t pid = a.agent.spawn({"sync", "--batch-entries", "5"}, "killed");
  REQUIRE(eventually([&] { return contains(slurp(a.agent.dir().file("killed.out")), "pushed #"); }));
  ::kill(pid, SIGKILL);
  a.agent.wait(pid, "killed");
  const auto acknowledged = a.agent.count("SELECT count(*) FROM receipts");
  CHECK(acknowledged >= 5);
  // Every entry is either acknowledged or still waiting in the outbox.
  CHECK(a.agent.count("SELECT count(*) FROM receipts") + a.agent.count("SELECT count(*) FROM outbox") == 400);

  sync_gets_every_receipt_once(server, a, 400);
}

TEST_CASE("an own leaf in the feed that is not the entry recorded here is an incident when the replica is rebuilt") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT");
  for (int i = 1; i <= 3; ++i) REQUIRE(a.enroll(i).rc == 0);
  REQUIRE(a.sync().rc == 0);
  {
    // The entry recorded under seq 2 is now another one (its hash), and the next sync
    // rebuilds the replica from the log, own full leaves included.
    auto db = store::Db::open(a.agent.data() + "/agent.db");
    REQUIRE(db.ok());
    REQUIRE((*db)->exec("UPDATE entries SET hash = zeroblob(32) WHERE seq = 2").ok());
    REQUIRE((*db)->exec("UPDATE settings SET value = CAST('stale' AS BLOB) WHERE key = 'nik_key_origin'").ok());
  }
  auto s = a.sync();
  INFO(s.out << s.err);
  CHECK(s.rc == 7);
  CHECK(contains(s.err, "holds a seq 2 of SBY-RUNGKUT that this office never wrote"));
}

TEST_CASE("a rolled-back server store and a forked one are incidents: syncing stops until an operator clears it") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT"), b(server, "SBY-DARMO"), c(server, "SBY-GUBENG");
  const auto snapshot = server.dir().path() / "snapshot";
  server.stop();
  server.save_store(snapshot);
  server.start();
  for (int i = 1; i <= 3; ++i) REQUIRE(a.enroll(i).rc == 0);
  for (int i = 11; i <= 13; ++i) REQUIRE(c.enroll(i).rc == 0);
  REQUIRE(a.sync().rc == 0);
  REQUIRE(c.sync().rc == 0);  // c trusts a tree of (snapshot + 8) leaves

  server.stop();
  server.restore_store(snapshot);
  server.start();
  const std::vector<std::string> to = {"--batch-entries", "100"};

  // Rollback: the log is smaller than what A accepted.
  REQUIRE(a.enroll(4).rc == 0);
  auto rolled = a.sync(to);
  INFO(rolled.out << rolled.err);
  CHECK(rolled.rc == 7);
  CHECK(contains(rolled.err, "SERVER HISTORY CHANGED"));
  CHECK(contains(rolled.err, "shrank"));
  auto status = a.agent.run({"status"});
  CHECK(status.rc == 7);
  CHECK(contains(status.out, "INCIDENT"));
  auto refused = a.sync(to);
  CHECK(refused.rc == 7);
  CHECK(contains(refused.err, "syncing is stopped"));

  // Fork: B's entries make a log of the size C accepted, with another root.
  for (int i = 21; i <= 27; ++i) REQUIRE(b.enroll(i).rc == 0);
  auto sb = b.sync();
  INFO(sb.out << sb.err);
  REQUIRE(sb.rc == 0);
  auto forked = c.sync(to);
  INFO(forked.out << forked.err);
  CHECK(forked.rc == 7);
  CHECK(contains(forked.err, "forked"));

  // After the investigation: clear, and the next sync re-sends what the server lost.
  auto cleared = a.agent.run({"incident", "clear", "--reason", "server restored from backup, see ticket 17"});
  REQUIRE(cleared.rc == 0);
  auto resumed = a.sync(to);
  INFO(resumed.out << resumed.err);
  CHECK(resumed.rc == 0);
  CHECK(a.agent.count("SELECT count(*) FROM outbox") == 0);
  auto client = a.client(server);
  CHECK(logged_seqs(client, a.id).size() == 4);
}

// Damages the office's agent.db as a failing disk or a careless hand would (the agent not running).
void damage(const Office& o, const std::string& sql) {
  auto db = store::Db::open(o.agent.data() + "/agent.db", store::OpenOptions{false, false});
  REQUIRE(db.ok());
  REQUIRE((*db)->exec(sql).ok());
}

// Flips one byte near the end of entry `seq`'s stored bytes (inside its payload).
void flip_byte(const Office& o, std::uint64_t seq) {
  auto db = store::Db::open(o.agent.data() + "/agent.db", store::OpenOptions{false, false});
  REQUIRE(db.ok());
  auto st = (*db)->prepare("SELECT bytes FROM entries WHERE seq = ?1");
  REQUIRE(st.ok());
  st->bind(1, seq);
  REQUIRE(*st->step());
  Bytes b = st->blob(0);
  st->reset();
  REQUIRE(b.size() > 10);
  b[b.size() - 5] ^= 0x01;
  auto put = (*db)->prepare("UPDATE entries SET bytes = ?1 WHERE seq = ?2");
  REQUIRE(put.ok());
  put->bind(1, ByteView(b)).bind(2, seq);
  REQUIRE(put->run().ok());
}

TEST_CASE("an entry lost from a damaged outbox: verify and status say so, and sync puts it back and pushes it") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT");
  for (int i = 1; i <= 3; ++i) REQUIRE(a.enroll(i).rc == 0);
  damage(a, "DELETE FROM outbox WHERE seq = 2");

  auto verify = a.agent.run({"verify"});
  INFO(verify.out << verify.err);
  CHECK(verify.rc == 5);
  CHECK(contains(verify.err, "entry #2 is neither waiting in the outbox nor acknowledged"));
  auto status = a.agent.run({"status"});
  CHECK(contains(status.out, "entry #2 and maybe others are neither waiting nor acknowledged"));

  auto synced = a.sync();
  INFO(synced.out << synced.err);
  CHECK(synced.rc == 0);
  CHECK(contains(synced.out, "1 entries had neither a receipt nor a place in the outbox"));
  CHECK(a.agent.count("SELECT count(*) FROM outbox") == 0);
  CHECK(a.agent.count("SELECT count(*) FROM receipts") == 3);
  CHECK(a.agent.run({"verify"}).rc == 0);
  auto client = a.client(server);
  CHECK(logged_seqs(client, a.id).size() == 3);
}

TEST_CASE("a flipped byte in agent.db is local damage: sync exits 5 saying what to run and pushes nothing") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT");
  for (int i = 1; i <= 2; ++i) REQUIRE(a.enroll(i).rc == 0);
  REQUIRE(a.sync().rc == 0);
  for (int i = 3; i <= 4; ++i) REQUIRE(a.enroll(i).rc == 0);

  SUBCASE("in an entry waiting to be pushed") { flip_byte(a, 4); }
  SUBCASE("in the last acknowledged entry, which the first waiting one links to") { flip_byte(a, 2); }

  auto synced = a.sync();
  INFO(synced.out << synced.err);
  CHECK(synced.rc == 5);
  CHECK(contains(synced.err, "this office's store is damaged, not the server's; nothing was pushed"));
  CHECK(contains(synced.err, "lontar-agent verify"));
  CHECK(a.agent.count("SELECT count(*) FROM outbox") == 2);
  auto client = a.client(server);
  CHECK(logged_seqs(client, a.id).size() == 2);
  CHECK(a.agent.run({"verify"}).rc == 5);
}

TEST_CASE("run keeps retrying while the server is down, resumes when it is back, and stops on SIGTERM") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT");
  server.stop();
  for (int i = 1; i <= 3; ++i) REQUIRE(a.enroll(i).rc == 0);
  pid_t pid = a.agent.spawn({"run", "--interval", "1", "--backoff-max", "1"}, "loop");
  REQUIRE(eventually([&] { return contains(slurp(a.agent.dir().file("loop.err")), "next attempt"); }));
  server.start();
  CHECK(eventually([&] { return a.agent.count("SELECT count(*) FROM receipts") == 3; }));
  REQUIRE(a.enroll(4).rc == 0);
  CHECK(eventually([&] { return a.agent.count("SELECT count(*) FROM receipts") == 4; }));
  ::kill(pid, SIGTERM);
  auto r = a.agent.wait(pid, "loop");
  INFO(r.out << r.err);
  CHECK(r.rc == 0);
  CHECK(contains(r.out, "stopping"));
}

}  // namespace
}  // namespace lontar::test
