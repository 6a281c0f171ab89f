// The sync, admin and audit scenarios of tests/sync against a ledger kept in PostgreSQL:
// real lontar-server and lontar-agent processes on loopback, a real PostgreSQL cluster.
#include <doctest/doctest.h>

#include "pg/pg_cluster.hpp"
#include "sync/sync_harness.hpp"

namespace lontar::test {
namespace {

// `lontar-audit verify` over an export of `server`'s data folder (the server stopped: export takes its lock).
Run export_and_audit(const Server& server, const TempDir& where) {
  const auto out = where.path() / "export";
  auto ex = server.server({"export", "--data", server.data().string(), "--out", out.string()});
  INFO(ex.out << ex.err);
  REQUIRE(ex.rc == 0);
  return run_process({LONTAR_AUDIT_BINARY, "verify", "--dir", out.string(), "--key", server.verifier_key(), "--state",
                      (where.path() / "audit").string()},
                     Spawn{where.file("audit.out"), where.file("audit.err")});
}

// A copy of `server`'s data folder whose server.toml points at the copy (same ledger, same keys).
std::filesystem::path copy_data(const Server& server, const TempDir& where) {
  const auto to = where.path() / "data2";
  std::filesystem::copy(server.data(), to, std::filesystem::copy_options::recursive);
  for (const char* f : {"server.lock", "server.port", "published.checkpoint"}) std::filesystem::remove(to / f);
  const auto config = to / "server.toml";
  std::string text = slurp(config);
  const auto p = text.find("data = ");
  REQUIRE(p != std::string::npos);
  text.replace(p, text.find('\n', p) - p, "data = \"" + to.string() + "\"");
  write_file(config, text);
  return to;
}

}  // namespace

TEST_CASE(
    "on PostgreSQL: init --store, two offices with overlapping NIKs sync, an admin revokes one, the server "
    "restarts, and lontar-audit verify passes on the export") {
  auto& cluster = pg::Cluster::shared();
  const std::string url = cluster.create_database("sync_scenario");
  Server server("lontar.test/jatim", {"--store", url});
  CHECK(!std::filesystem::exists(server.data() / "ledger.db"));
  CHECK(contains(slurp(server.data() / "server.toml"), "url = \"" + url + "\""));
  server.start();

  Office a(server, "SBY-RUNGKUT"), b(server, "SBY-DARMO");
  const std::string a_csv = import_list(a.agent, {"--tagana", "30", "--seed", "1"});
  REQUIRE(a.enroll(7).rc == 0);
  import_list(b.agent, {"--tagana", "10", "--seed", "2", "--overlap-from", a_csv, "--overlap", "4"});
  REQUIRE(b.enroll(8).rc == 0);

  auto sa = a.sync();
  INFO(sa.out << sa.err);
  REQUIRE(sa.rc == 0);
  CHECK(contains(sa.out, "pushed 31 entries in 1 batches (31 accepted, 0 rejected, 0 flagged)"));
  auto sb = b.sync();
  INFO(sb.out << sb.err);
  REQUIRE(sb.rc == 0);
  CHECK(contains(sb.out, "pushed 15 entries in 1 batches (11 accepted, 4 rejected, 0 flagged)"));
  CHECK(b.enroll(7).rc == 3);  // B pulled A's enrollments: offline duplicate check
  REQUIRE(a.sync().rc == 0);
  CHECK(a.enroll(8).rc == 3);

  // The rows are in PostgreSQL: genesis (seal + 2) and 2 offices' registrations, then the pushes.
  const std::string leaves = cluster.sql("sync_scenario", "SELECT count(*) FROM log_leaves");
  const std::string checkpoint = cluster.sql("sync_scenario", "SELECT max(size) FROM log_checkpoints");
  CHECK(leaves == checkpoint);
  CHECK(std::stoul(leaves) > 46);

  // An admin command against the PostgreSQL-backed server.
  auto rev = server.admin({"office", "revoke", "--id", b.id, "--key", b.key_hex, "--reason", "laptop stolen"});
  INFO(rev.out << rev.err);
  REQUIRE(rev.rc == 0);
  REQUIRE(b.enroll(200).rc == 0);
  CHECK(b.sync().rc == 9);

  // Restart: the log resumes from PostgreSQL.
  REQUIRE(server.stop() == 0);
  server.start();
  REQUIRE(a.enroll(300).rc == 0);
  auto again = a.sync();
  INFO(again.out << again.err);
  REQUIRE(again.rc == 0);
  CHECK(contains(again.out, "pushed 1 entries"));

  REQUIRE(server.stop() == 0);
  TempDir audit_dir;
  auto audit = export_and_audit(server, audit_dir);
  INFO(audit.out << audit.err);
  CHECK(audit.rc == 0);
  CHECK(!std::filesystem::exists(server.data() / "ledger.db"));
}

TEST_CASE("on PostgreSQL: a second server on the same database is refused while the first holds the integrator lock") {
  auto& cluster = pg::Cluster::shared();
  const std::string url = cluster.create_database("one_integrator");
  Server server("lontar.test/jatim", {"--store", url});
  server.start();
  TempDir second;
  const auto data2 = copy_data(server, second);
  auto r = server.server({"run", "--config", (data2 / "server.toml").string()});
  INFO(r.out << r.err);
  CHECK(r.rc == 3);
  CHECK(contains(r.err, "integrator lock"));

  // Once the first has stopped, the second may take over the same ledger.
  REQUIRE(server.stop() == 0);
  ServerProcess takeover;
  const bool up = takeover.start({LONTAR_SERVER_BINARY, "run", "--config", (data2 / "server.toml").string()},
                                 second.path() / "takeover.log");
  INFO(takeover.log());
  CHECK(up);
  CHECK(takeover.stop(SIGTERM) == 0);
}

TEST_CASE("on PostgreSQL: init refuses a database that already holds a ledger and leaves the folder reusable") {
  auto& cluster = pg::Cluster::shared();
  const std::string url = cluster.create_database("init_twice");
  Server first("lontar.test/jatim", {"--store", url});
  TempDir dir;
  auto r =
      first.server({"init", "--data", (dir.path() / "data").string(), "--origin", "lontar.test/other", "--store", url});
  INFO(r.out << r.err);
  CHECK(r.rc == 3);
  CHECK(contains(r.err, "already holds a Lontar ledger"));
  CHECK(!std::filesystem::exists(dir.path() / "data" / "log.key"));
  auto bad = first.server(
      {"init", "--data", (dir.path() / "d2").string(), "--origin", "lontar.test/x", "--store", "/var/lib/ledger"});
  CHECK(bad.rc == 2);
}

}  // namespace lontar::test
