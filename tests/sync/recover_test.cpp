// recover_test.cpp — lontar-agent recover: a lost office laptop, its key revoked, a new
// laptop rebuilt from the central log of a real lontar-server (issue 6).
#include "sync/sync_harness.hpp"

#include <fmt/format.h>

#include "chain/chain.hpp"
#include "encoding/encoding.hpp"
#include "protocol/ledger.hpp"

namespace lontar::test {
namespace {

Run recover(const Agent& agent, const std::string& office, const Server& server, const std::string& server_key,
            const std::string& tag = "recover") {
  return agent.run({"recover", "--office", office, "--server", server.url(), "--server-key", server_key}, tag);
}

// The 64 hex digits after "public key:" in `out`.
// The server's head seq for `office`, read as another registered office.
std::uint64_t server_head(const Office& reader, const Server& server, const std::string& office) {
  auto c = reader.client(server);
  auto r = c.call("GET", "/v1/offices/" + office + "/head");
  REQUIRE(r.ok());
  auto head = protocol::decode_office_head(r->body);
  REQUIRE(head.ok());
  return head->seq;
}

TEST_CASE(
    "a lost laptop: the admin revokes its key and registers the new laptop's, recover rebuilds the office from "
    "the central log up to the last synced seq, and the chain continues from there") {
  Server server;
  server.start();
  Office lost(server, "SBY-RUNGKUT"), other(server, "SBY-DARMO");
  // 300 entries synced in three batches (three seals; the log spans two hash tiles),
  // the other office's entries interleaved (redacted in this office's feed).
  import_list(lost.agent, {"--tagana", "300", "--seed", "11"});
  REQUIRE(other.enroll(9001).rc == 0);
  REQUIRE(other.sync().rc == 0);
  auto s1 = lost.sync({"--batch-entries", "100"});
  INFO(s1.out << s1.err);
  REQUIRE(s1.rc == 0);
  REQUIRE(lost.enroll(1).rc == 0);
  REQUIRE(lost.sync().rc == 0);  // seq 301
  REQUIRE(other.enroll(9002).rc == 0);
  REQUIRE(other.sync().rc == 0);
  // Recorded offline, never synced: lost with the laptop.
  REQUIRE(lost.enroll(2).rc == 0);
  REQUIRE(lost.enroll(3).rc == 0);
  REQUIRE(lost.agent.count("SELECT count(*) FROM outbox") == 2);

  Agent fresh;
  // First run: a new key, not registered yet → exit 9 with the admin's command.
  auto first = recover(fresh, lost.id, server, server.verifier_key(), "first");
  INFO(first.out << first.err);
  CHECK(first.rc == 9);
  const std::string new_key = public_key_in(first.out);
  CHECK(contains(first.err, "lontar-server office add-key --id SBY-RUNGKUT --key " + new_key));
  CHECK_FALSE(std::filesystem::exists(fresh.data() + "/agent.db"));

  auto revoke = server.admin({"office", "revoke", "--id", lost.id, "--key", lost.key_hex, "--reason", "laptop stolen"});
  INFO(revoke.out << revoke.err);
  REQUIRE(revoke.rc == 0);
  auto add = server.admin({"office", "add-key", "--id", lost.id, "--key", new_key});
  INFO(add.out << add.err);
  REQUIRE(add.rc == 0);
  CHECK(contains(add.out, "name and scope kept"));
  // A revoked key is never registered again.
  auto again = server.admin({"office", "add-key", "--id", lost.id, "--key", lost.key_hex});
  CHECK(again.rc != 0);
  CHECK(contains(again.err, "revoked"));

  auto second = recover(fresh, lost.id, server, server.verifier_key(), "second");
  INFO(second.out << second.err);
  REQUIRE(second.rc == 0);
  CHECK(public_key_in(second.out) == new_key);  // the first run's key, reused
  CHECK(contains(second.out, "recovered office SBY-RUNGKUT (Kantor SBY-RUNGKUT)"));
  CHECK(contains(second.out, "301 entries up to seq 301 (last synced)"));
  CHECK(contains(second.out, "entries the lost laptop recorded after seq 301 were never synced and are gone"));
  CHECK(contains(second.out, "verified checkpoint: tree size"));
  CHECK(contains(second.out, "4 seals in the log, by the former key(s)"));
  CHECK(contains(second.out, "the next entry recorded here is seq 302"));
  CHECK_FALSE(contains(second.out, "WARNING"));
  CHECK(fresh.count("SELECT count(*) FROM entries") == 301);
  CHECK(fresh.count("SELECT max(seq) FROM entries") == 301);
  CHECK(fresh.count("SELECT count(*) FROM receipts") == 301);
  CHECK(fresh.count("SELECT count(*) FROM outbox") == 0);
  CHECK(fresh.count("SELECT count(*) FROM seals") == 4);
  CHECK_FALSE(std::filesystem::exists(fresh.data() + "/.recover-tmp"));

  auto verify = fresh.run({"verify"});
  INFO(verify.out << verify.err);
  CHECK(verify.rc == 0);
  // The replica came along: the other office's person is known offline.
  auto dup = fresh.run(Agent::enroll_args(9001));
  CHECK(dup.rc == 3);
  // So did this office's own people.
  auto own_dup = fresh.run(Agent::enroll_args(1));
  CHECK(own_dup.rc == 3);

  // The chain continues at 302 with the new key, and the server accepts it.
  auto rec = fresh.run(Agent::enroll_args(2));
  INFO(rec.out << rec.err);
  REQUIRE(rec.rc == 0);
  CHECK(fresh.count("SELECT max(seq) FROM entries") == 302);
  auto sync = fresh.run({"sync"}, "sync");
  INFO(sync.out << sync.err);
  REQUIRE(sync.rc == 0);
  CHECK(contains(sync.out, "pushed 1 entries in 1 batches (1 accepted, 0 rejected, 0 flagged)"));
  CHECK_FALSE(contains(sync.out, "replica rebuilt"));
  CHECK(server_head(other, server, lost.id) == 302);
  CHECK(fresh.run({"verify"}).rc == 0);

  // The lost laptop, still holding its unsynced entries, is refused.
  auto stolen = lost.sync();
  INFO(stolen.out << stolen.err);
  CHECK(stolen.rc == 9);
  CHECK(server_head(other, server, lost.id) == 302);

  // A second recover into the recovered office's folder refuses to touch it.
  auto over = recover(fresh, lost.id, server, server.verifier_key(), "over");
  CHECK(over.rc == 1);
  CHECK(contains(over.err, "an office already lives here"));
  CHECK(fresh.count("SELECT count(*) FROM entries") == 302);
}

TEST_CASE(
    "recover refuses a server whose key is not the pinned one and a log altered on the server's disk; a crash "
    "mid-build leaves no store") {
  Server server;
  server.start();
  Office office(server, "SBY-RUNGKUT");
  import_list(office.agent, {"--tagana", "40", "--seed", "5"});
  REQUIRE(office.sync().rc == 0);

  Server stranger("lontar.test/elsewhere");  // initialised only: its verifier key is another one
  Agent fresh;
  auto wrong = recover(fresh, office.id, server, stranger.verifier_key(), "wrong");
  INFO(wrong.out << wrong.err);
  CHECK(wrong.rc == 5);
  CHECK(contains(wrong.err, "pinned key"));
  CHECK_FALSE(std::filesystem::exists(fresh.data() + "/agent.db"));

  server.add_key(office.id, public_key_in(wrong.out));
  fresh.env()["LONTAR_FAIL_WRITE_AFTER"] = "20";
  auto crashed = recover(fresh, office.id, server, server.verifier_key(), "crashed");
  INFO(crashed.out << crashed.err);
  CHECK(crashed.rc == 2);
  CHECK_FALSE(std::filesystem::exists(fresh.data() + "/agent.db"));
  fresh.env().erase("LONTAR_FAIL_WRITE_AFTER");
  auto ok = recover(fresh, office.id, server, server.verifier_key(), "ok");
  INFO(ok.out << ok.err);
  REQUIRE(ok.rc == 0);
  CHECK(contains(ok.out, "40 entries up to seq 40 (last synced)"));
  CHECK(contains(ok.out, "WARNING: the former key"));  // the old key was never revoked here
  CHECK(contains(ok.out, "is still registered for SBY-RUNGKUT: ask the admin to revoke it now"));
  CHECK(fresh.run({"verify"}).rc == 0);

  // Someone rewrites a verdict in the server's store (the server does not re-hash its
  // leaves at start): the recovered leaf no longer matches the log's tiles and root. The
  // third laptop's key is registered first: once the server's background scrub has seen
  // the change, it refuses every push (server_tests: background scrub).
  const auto leaf_index = office.agent.count("SELECT leaf_index FROM receipts WHERE seq = 7");
  REQUIRE(leaf_index > 0);
  Agent third;
  auto first_run = recover(third, office.id, server, server.verifier_key(), "third-key");
  REQUIRE(first_run.rc == 9);
  server.add_key(office.id, public_key_in(first_run.out));
  server.stop();
  {
    auto db = store::Db::open((server.dir().path() / "data" / "ledger.db").string());
    REQUIRE(db.ok());
    auto get = (*db)->prepare("SELECT leaf FROM log_leaves WHERE idx = ?1");
    REQUIRE(get.ok());
    get->bind(1, leaf_index);
    REQUIRE(*get->step());
    auto leaf = encoding::decode<chain::Leaf>(get->blob_view(0), "leaf");
    REQUIRE(leaf.ok());
    get->reset();
    REQUIRE(leaf->verdict.outcome == domain::Outcome::accepted);
    leaf->verdict.outcome = domain::Outcome::flagged;
    auto bytes = encoding::encode(*leaf);
    REQUIRE(bytes.ok());
    auto put = (*db)->prepare("UPDATE log_leaves SET leaf = ?1 WHERE idx = ?2");
    REQUIRE(put.ok());
    REQUIRE(put->bind(1, ByteView(*bytes)).bind(2, leaf_index).run().ok());
  }
  server.start();
  auto tampered = recover(third, office.id, server, server.verifier_key(), "tampered");
  INFO(tampered.out << tampered.err);
  CHECK(tampered.rc == 5);
  CHECK(contains(tampered.err, fmt::format("leaf {} does not hash to the log's tile hash", leaf_index)));
  CHECK_FALSE(std::filesystem::exists(third.data() + "/agent.db"));
}

}  // namespace
}  // namespace lontar::test
