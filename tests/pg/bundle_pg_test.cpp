// The bundle scenario of tests/sync/bundle_test.cpp against a ledger kept in PostgreSQL: no
// network between the office and the server — lontar-agent export, lontar-server import
// --batch (server stopped), lontar-agent import-bundle — with real processes.
#include <doctest/doctest.h>

#include "pg/pg_cluster.hpp"
#include "sync/sync_harness.hpp"

namespace lontar::test {

TEST_CASE(
    "on PostgreSQL: export, server import, import-bundle; the central verdicts reach the office, a second import "
    "changes nothing, and a later sync pushes nothing again") {
  auto& cluster = pg::Cluster::shared();
  const std::string url = cluster.create_database("bundle_scenario");
  Server server("lontar.test/jatim", {"--store", url});
  server.start();
  Office a(server, "SBY-RUNGKUT"), b(server, "SBY-DARMO");
  REQUIRE(b.enroll(500).rc == 0);
  REQUIRE(b.sync().rc == 0);
  const std::string a_csv = import_list(a.agent, {"--tagana", "12", "--seed", "1"});
  REQUIRE(a.enroll(7).rc == 0);
  REQUIRE(a.sync().rc == 0);
  REQUIRE(server.stop() == 0);

  // B, offline, enrolls 3 of A's people again and one of its own, and carries the file.
  import_list(b.agent, {"--tagana", "6", "--seed", "2", "--overlap-from", a_csv, "--overlap", "3"});
  REQUIRE(b.enroll(8).rc == 0);
  const std::string file = b.agent.dir().file("export.lontar");
  auto ex = b.agent.run({"export", "--out", file});
  INFO(ex.out << ex.err);
  REQUIRE(ex.rc == 0);
  const std::string leaves_before = cluster.sql("bundle_scenario", "SELECT count(*) FROM log_leaves");
  auto im = server.server({"import", "--data", server.data().string(), "--batch", file});
  INFO(im.out << im.err);
  REQUIRE(im.rc == 0);
  CHECK(contains(im.out, "imported 2 batches: 7 accepted, 3 rejected, 0 flagged"));
  const std::string receipts = file + ".receipts";
  const std::string first_bytes = slurp(receipts);
  // The batches went into PostgreSQL (2 seals + 10 entries); importing again logs nothing.
  const std::string leaves_after = cluster.sql("bundle_scenario", "SELECT count(*) FROM log_leaves");
  CHECK(std::stoul(leaves_after) == std::stoul(leaves_before) + 12);
  auto again = server.server({"import", "--data", server.data().string(), "--batch", file});
  REQUIRE(again.rc == 0);
  CHECK(slurp(receipts) == first_bytes);
  CHECK(cluster.sql("bundle_scenario", "SELECT count(*) FROM log_leaves") == leaves_after);

  auto ib = b.agent.run({"import-bundle", receipts}, "bundle");
  INFO(ib.out << ib.err);
  REQUIRE(ib.rc == 0);
  CHECK(contains(ib.out, "10 entries acknowledged in 2 batches (7 accepted, 3 rejected, 0 flagged)"));
  CHECK(b.agent.count("SELECT count(*) FROM outbox") == 0);

  // Back online: nothing is pushed again; the log is whole.
  server.start();
  auto s = b.sync();
  INFO(s.out << s.err);
  REQUIRE(s.rc == 0);
  CHECK(contains(s.out, "pushed 0 entries"));
  CHECK(cluster.sql("bundle_scenario", "SELECT count(*) FROM log_leaves") ==
        cluster.sql("bundle_scenario", "SELECT max(size) FROM log_checkpoints"));
}

}  // namespace lontar::test
