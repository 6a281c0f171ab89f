// backup_test.cpp — backup and restore with the real lontar-server: a backup taken while the
// server runs, a restore of it that the server refuses to serve (it published more), and a
// restore from an auditor's export that brings the published root back exactly.
#include <doctest/doctest.h>
#include <signal.h>

#include "crypto/x509.hpp"
#include "encoding/encoding.hpp"
#include "merkle/tiles.hpp"
#include "net/client.hpp"
#include "note/checkpoint.hpp"
#include "protocol/protocol.hpp"
#include "server/log_fixture.hpp"
#include "server/server_cli.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace lontar::test {
namespace {

const char* const server_bin = LONTAR_SERVER_BIN;

// `lontar-server run`: started; ready once it prints its "listening on" line.
class Server : public ServerProcess {
 public:
  Server(const TempDir& tmp, const std::filesystem::path& config) {
    start({server_bin, "run", "--config", config.string()}, tmp.path() / "server.err");
  }
};

protocol::PushResponse push(net::Client& c, const chain::Batch& b) {
  auto r = take(c.post("/v1/push", take(encoding::encode(b), "encode")), "push");
  INFO(r.body);
  REQUIRE(r.status == 200);
  return take(encoding::decode<protocol::PushResponse>(r.bytes(), "push response"), "decode");
}

TEST_CASE(
    "a backup taken while serving, restored, is refused as a rollback until restore --from-mirror "
    "brings back exactly the published root; offices then push as before") {
  TempDir tmp;
  const auto data = tmp.path() / "data";
  auto init = run(tmp, {"init", "--data", data.string(), "--origin", "lontar.test/jatim"});
  INFO(init.err);
  REQUIRE(init.rc == 0);
  const auto at = init.out.find("lontar.test/jatim+");
  const std::string verifier_key = init.out.substr(at, init.out.find('\n', at) - at);
  const auto verifier = take(note::Verifier::parse(verifier_key), "verifier");
  const auto config = data / "server.toml";
  std::string text = slurp(config);
  text.replace(text.find("port = 8443"), 11, "port = 0");
  REQUIRE(crypto::write_file_atomic(config, text).ok());

  auto office_key = take(crypto::PrivateKey::generate(), "office key");
  ChainWriter office("SBY-RUNGKUT", clone_key(office_key));
  std::string published;
  {
    Server server(tmp, config);
    INFO(server.log());
    REQUIRE(server.listening());
    auto add = run(tmp, {"office", "add", "--id", "SBY-RUNGKUT", "--name", "Surabaya Rungkut", "--key",
                         to_hex(office_key.public_key()), "--scope", "3578", "--server", server.url(), "--server-key",
                         verifier_key, "--admin-key", (data / "admin.key").string()});
    INFO(add.err);
    REQUIRE(add.rc == 0);
    auto c = client_for(server.url(), office_key, verifier.public_key());
    push(c, office.batch({enrollment(1), enrollment(2)}));

    auto backup = run(tmp, {"backup", "--data", data.string(), "--out", (tmp.path() / "b1.db").string()});
    INFO(backup.err);
    REQUIRE(backup.rc == 0);
    auto b1 = take(note::open_checkpoint(slurp(tmp.path() / "b1.db.checkpoint"), verifier, "lontar.test/jatim"), "b1");
    CHECK(b1.size == 8);  // genesis 3, office add 2, push 3
    // A backup never overwrites.
    CHECK(run(tmp, {"backup", "--data", data.string(), "--out", (tmp.path() / "b1.db").string()}).rc == 3);

    push(c, office.batch({enrollment(3)}));
    auto last = push(c, office.batch({enrollment(4), enrollment(5), enrollment(6)}));
    published = last.checkpoint;
    CHECK(take(c.get("/checkpoint"), "checkpoint").body == published);
    CHECK(server.stop() == 0);
  }
  CHECK(slurp(data / "published.checkpoint") == published);
  const auto pub = take(note::open_checkpoint(published, verifier, "lontar.test/jatim"), "published");
  CHECK(pub.size == 8 + 2 + 4);

  // An auditor's copy of the log, taken before the disk was lost.
  const auto mirror = tmp.path() / "mirror";
  REQUIRE(run(tmp, {"export", "--data", data.string(), "--out", mirror.string()}).rc == 0);

  auto restored = run(tmp, {"restore", "--data", data.string(), "--from", (tmp.path() / "b1.db").string()});
  INFO(restored.err);
  REQUIRE(restored.rc == 0);
  CHECK(restored.out.find("restored") != std::string::npos);
  CHECK(restored.out.find("refuse to start") != std::string::npos);
  bool kept_aside = false;
  for (const auto& f : std::filesystem::directory_iterator(data)) {
    kept_aside |= f.path().filename().string().rfind("ledger.db.replaced-", 0) == 0;
  }
  CHECK(kept_aside);

  {
    Server refused(tmp, config);
    CHECK_FALSE(refused.listening());
    CHECK(refused.wait() == 5);
    const std::string log = refused.log();
    CHECK(log.find("restored log is older than checkpoint 14 published at ") != std::string::npos);
    CHECK(log.find("--from-mirror") != std::string::npos);
  }

  // A copy of the mirror with the last entry bundle's bytes altered at `from_end` bytes from its end.
  auto altered_mirror = [&](const std::string& name, std::size_t from_end, auto alter) {
    const auto bad = tmp.path() / name;
    std::filesystem::copy(mirror, bad, std::filesystem::copy_options::recursive);
    merkle::TileId id;
    id.entries = true;
    id.width = static_cast<std::uint32_t>(pub.size);
    const auto file = bad / merkle::tile_path(id);
    std::string bundle = slurp(file);
    alter(bundle[bundle.size() - from_end]);
    REQUIRE(crypto::write_file_atomic(file, bundle).ok());
    return bad;
  };
  auto refused_to_start = [&] {
    Server again(tmp, config);
    CHECK_FALSE(again.listening());
    CHECK(again.wait() == 5);
  };

  SUBCASE("a mirror whose entry bytes were altered fails the published root and changes nothing") {
    // 40 bytes from the end of the last leaf: inside its entry (the verdict is the last 9 bytes).
    auto bad = altered_mirror("bad-entry", 40, [](char& c) { c ^= 0x01; });
    auto r = run(tmp, {"restore", "--data", data.string(), "--from-mirror", bad.string()});
    INFO(r.err);
    CHECK(r.rc == 5);
    CHECK(r.err.find("different root at 14 leaves") != std::string::npos);
    CHECK(r.err.find("the store was left as it was") != std::string::npos);
    refused_to_start();
  }

  SUBCASE("a mirror whose logged verdict was altered is refused: the rules engine reaches another") {
    // The last leaf's verdict: outcome byte, then the reasons' count (8 bytes, 0 when accepted).
    auto bad = altered_mirror("bad-verdict", 9, [](char& c) { c = static_cast<char>(domain::Outcome::flagged); });
    auto r = run(tmp, {"restore", "--data", data.string(), "--from-mirror", bad.string()});
    INFO(r.err);
    CHECK(r.rc == 5);
    CHECK(r.err.find("mirror leaf 13 (SBY-RUNGKUT seq 6): the rules engine reaches a different verdict") !=
          std::string::npos);
    refused_to_start();
  }

  SUBCASE("a mirror older than the published checkpoint is refused: it cannot bring the root back") {
    const auto old_mirror = tmp.path() / "old-mirror";
    REQUIRE(run(tmp, {"export", "--data", data.string(), "--out", old_mirror.string()}).rc == 0);
    auto r = run(tmp, {"restore", "--data", data.string(), "--from-mirror", old_mirror.string()});
    INFO(r.err);
    CHECK(r.rc == 2);
    CHECK(r.err.find("holds 8 leaves, fewer than checkpoint 14 this server published") != std::string::npos);
    refused_to_start();
  }

  SUBCASE("with the record of publication lost with the disk, restore says to restore from a mirror too") {
    std::filesystem::remove(data / "published.checkpoint");
    auto r = run(tmp, {"restore", "--data", data.string(), "--from", (tmp.path() / "b1.db").string()});
    INFO(r.err);
    CHECK(r.rc == 0);
    CHECK(r.out.find("has no published.checkpoint (lost with the disk?)") != std::string::npos);
    CHECK(r.out.find("--from-mirror") != std::string::npos);
    // The mirror's signed checkpoint is then the target: the same root comes back.
    auto m = run(tmp, {"restore", "--data", data.string(), "--from-mirror", mirror.string()});
    INFO(m.err);
    REQUIRE(m.rc == 0);
    CHECK(slurp(data / "published.checkpoint") == published);
  }

  SUBCASE("restore --from-mirror re-appends the missing leaves; the server serves the published checkpoint") {
    auto r = run(tmp, {"restore", "--data", data.string(), "--from-mirror", mirror.string()});
    INFO(r.err);
    REQUIRE(r.rc == 0);
    CHECK(r.out.find("exactly the root") != std::string::npos);
    Server server(tmp, config);
    INFO(server.log());
    REQUIRE(server.listening());
    auto c = client_for(server.url(), office_key, verifier.public_key());
    CHECK(take(c.get("/checkpoint"), "checkpoint").body == published);
    // The office's head was rebuilt: its next batch continues, and a re-sent one replays.
    auto next = push(c, office.batch({enrollment(7)}));
    REQUIRE(next.receipts.size() == 1);
    CHECK(next.receipts[0].leaf_index == pub.size + 1);
    CHECK(next.receipts[0].verdict.outcome == domain::Outcome::accepted);
    // Person 1 is enrolled already: the rules state was rebuilt too.
    auto again = push(c, office.batch({enrollment(1)}));
    CHECK(again.receipts.at(0).verdict.outcome == domain::Outcome::rejected);
    CHECK(server.stop() == 0);
  }
}

}  // namespace
}  // namespace lontar::test
