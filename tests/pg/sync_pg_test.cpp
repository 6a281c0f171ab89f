// The sync, admin and audit scenarios of tests/sync against a ledger kept in PostgreSQL:
// real lontar-server and lontar-agent processes on loopback, a real PostgreSQL cluster.
#include <doctest/doctest.h>

#include <thread>

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

TEST_CASE(
    "two servers on one PostgreSQL database, offices pushing to both; the integrator killed -9 again and again: the "
    "other takes over, every acknowledged entry is logged once, and the log audits") {
  auto& cluster = pg::Cluster::shared();
  const std::string url = cluster.create_database("two_servers");
  Server first("lontar.test/jatim", {"--store", url});
  first.start();
  Server second(first, Server::SameLedger{});
  second.start();
  CHECK(contains(second.log(), "another process integrates"));

  // A registers through the integrating server, B through the other one (its admin push is queued).
  Office a(first, "SBY-RUNGKUT"), b(second, "SBY-DARMO");
  import_list(a.agent, {"--tagana", "20", "--seed", "5"});
  import_list(b.agent, {"--tagana", "20", "--seed", "6"});
  Run ra, rb;
  {
    std::thread t([&] { ra = a.sync(); });
    rb = b.sync();
    t.join();
  }
  INFO(ra.out << ra.err << rb.out << rb.err);
  REQUIRE(ra.rc == 0);
  REQUIRE(rb.rc == 0);

  // Kill the integrator while both offices push; the survivor takes over; the killed one comes back.
  Server* integrator = &first;
  Server* other = &second;
  int next_person = 100;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 3; ++i) {
      REQUIRE(a.enroll(next_person++).rc == 0);
      REQUIRE(b.enroll(next_person++).rc == 0);
    }
    std::thread ta([&] { ra = a.sync(); });
    std::thread tb([&] { rb = b.sync(); });
    integrator->kill();
    ta.join();
    tb.join();
    // The survivor has the role within the follow interval once PostgreSQL ended the session.
    REQUIRE(eventually([&] { return contains(other->log(), "took the integrator role"); }));
    integrator->start();
    std::swap(integrator, other);
    for (Office* o : {&a, &b}) {
      Run r;
      INFO(o->id);
      REQUIRE(eventually(
          [&] {
            r = o->sync();
            return r.rc == 0;
          },
          std::chrono::seconds(60)));
      CHECK(o->agent.count("SELECT count(*) FROM outbox") == 0);
    }
  }

  // Every entry of each office logged exactly once, in one tree.
  for (Office* o : {&a, &b}) {
    const auto seqs = std::to_string(o->agent.count("SELECT max(seq) FROM entries")) + "\n";
    CHECK(cluster.sql("two_servers", "SELECT count(*) FROM log_entries WHERE principal = '" + o->id + "'") == seqs);
    CHECK(cluster.sql("two_servers", "SELECT count(DISTINCT seq) FROM log_entries WHERE principal = '" + o->id + "'") ==
          seqs);
  }
  CHECK(cluster.sql("two_servers", "SELECT count(*) FROM log_leaves") ==
        cluster.sql("two_servers", "SELECT max(size) FROM log_checkpoints"));
  REQUIRE(first.stop() == 0);
  REQUIRE(second.stop() == 0);
  TempDir audit_dir;
  auto audit = export_and_audit(first, audit_dir);
  INFO(audit.out << audit.err);
  CHECK(audit.rc == 0);
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

namespace lontar::test {

TEST_CASE("migrate moves a SQLite ledger into PostgreSQL with the same size and root; the server goes on there") {
  auto& cluster = pg::Cluster::shared();
  Server server;  // SQLite, the default
  server.start();
  Office a(server, "SBY-RUNGKUT");
  import_list(a.agent, {"--tagana", "12", "--seed", "3"});
  REQUIRE(a.sync().rc == 0);
  REQUIRE(server.stop() == 0);

  const std::string url = cluster.create_database("migrated");
  auto m = server.server({"migrate", "--from", server.data().string(), "--to", url});
  INFO(m.out << m.err);
  REQUIRE(m.rc == 0);
  CHECK(contains(m.out, "same size, same root"));
  const std::string size = cluster.sql("migrated", "SELECT max(size) FROM log_checkpoints");
  CHECK(contains(m.out, "migrated " + size.substr(0, size.find('\n')) + " leaves"));
  // Run again into the same database: refused, nothing changed.
  auto twice = server.server({"migrate", "--from", server.data().string(), "--to", url});
  CHECK(twice.rc == 3);
  CHECK(cluster.sql("migrated", "SELECT max(size) FROM log_checkpoints") == size);

  // The server now runs on PostgreSQL: the office goes on, and the log audits.
  const auto config = server.data() / "server.toml";
  std::string text = slurp(config);
  const auto p = text.find("# url = ");
  REQUIRE(p != std::string::npos);
  text.replace(p, text.find('\n', p) - p, "url = \"" + url + "\"");
  write_file(config, text);
  std::filesystem::rename(server.data() / "ledger.db", server.data() / "ledger.db.migrated");
  server.start();
  REQUIRE(a.enroll(40).rc == 0);
  auto s = a.sync();
  INFO(s.out << s.err);
  REQUIRE(s.rc == 0);
  CHECK(contains(s.out, "pushed 1 entries"));
  REQUIRE(server.stop() == 0);
  TempDir audit_dir;
  auto audit = export_and_audit(server, audit_dir);
  INFO(audit.out << audit.err);
  CHECK(audit.rc == 0);
}

TEST_CASE(
    "PostgreSQL restarted while offices push: pushes fail with 'try again' and then resume, nothing lost or doubled") {
  auto& cluster = pg::Cluster::shared();
  const std::string url = cluster.create_database("restarted");
  Server server("lontar.test/jatim", {"--store", url});
  server.start();
  Office a(server, "SBY-RUNGKUT");
  import_list(a.agent, {"--tagana", "8", "--seed", "4"});
  REQUIRE(a.sync().rc == 0);

  REQUIRE(a.enroll(50).rc == 0);
  cluster.stop();
  auto down = a.sync();
  INFO(down.out << down.err);
  CHECK(down.rc != 0);
  CHECK(a.agent.count("SELECT count(*) FROM outbox") == 1);
  cluster.start();

  // The server reconnects by itself; the office's next sync pushes what waited.
  REQUIRE(a.enroll(51).rc == 0);
  Run up;
  REQUIRE(eventually(
      [&] {
        up = a.sync();
        return up.rc == 0;
      },
      std::chrono::seconds(60)));
  INFO(up.out << up.err);
  CHECK(a.agent.count("SELECT count(*) FROM outbox") == 0);
  // Every entry of the office logged exactly once.
  const auto seqs = a.agent.count("SELECT max(seq) FROM entries");
  CHECK(cluster.sql("restarted", "SELECT count(*) FROM log_entries WHERE principal = 'SBY-RUNGKUT'") ==
        std::to_string(seqs) + "\n");
  CHECK(cluster.sql("restarted", "SELECT count(DISTINCT seq) FROM log_entries WHERE principal = 'SBY-RUNGKUT'") ==
        std::to_string(seqs) + "\n");
  REQUIRE(server.stop() == 0);
  TempDir audit_dir;
  auto audit = export_and_audit(server, audit_dir);
  INFO(audit.out << audit.err);
  CHECK(audit.rc == 0);
}

}  // namespace lontar::test

namespace lontar::test {

TEST_CASE("public_tiles keeps the checkpoint and hash tiles as static files, identical to export's, with no entries") {
  Server server;
  const auto pub = server.dir().path() / "public";
  const auto config = server.data() / "server.toml";
  std::string text = slurp(config);
  const auto p = text.find("# public_tiles = ");
  REQUIRE(p != std::string::npos);
  text.replace(p, text.find('\n', p) - p, "public_tiles = \"" + pub.string() + "\"");
  write_file(config, text);
  server.start();
  REQUIRE(eventually([&] { return std::filesystem::exists(pub / "checkpoint"); }));
  Office a(server, "SBY-RUNGKUT");
  import_list(a.agent, {"--tagana", "300", "--seed", "7"});  // past one full tile (256 leaves)
  REQUIRE(a.sync().rc == 0);
  REQUIRE(server.stop() == 0);

  TempDir out;
  auto ex = server.server({"export", "--data", server.data().string(), "--out", (out.path() / "x").string()});
  INFO(ex.out << ex.err);
  REQUIRE(ex.rc == 0);
  CHECK(slurp(pub / "checkpoint") == slurp(out.path() / "x" / "checkpoint"));
  std::size_t compared = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(out.path() / "x" / "tile")) {
    const auto rel = std::filesystem::relative(f.path(), out.path() / "x");
    if (!f.is_regular_file() || rel.string().starts_with("tile/entries")) continue;
    INFO(rel.string());
    CHECK(slurp(pub / rel) == slurp(f.path()));
    ++compared;
  }
  CHECK(compared >= 3);  // a full level-0 tile, a partial one, a level-1 tile
  CHECK(!std::filesystem::exists(pub / "tile" / "entries"));
}

}  // namespace lontar::test

namespace lontar::test {

TEST_CASE(
    "on PostgreSQL: push answers nobody took (their accepting server died) are deleted when a server takes the "
    "integrator role; recent ones stay for their server") {
  auto& cluster = pg::Cluster::shared();
  const std::string url = cluster.create_database("stale_answers");
  Server server("lontar.test/jatim", {"--store", url});
  // What a non-integrating server that died (or gave up waiting) leaves behind: an answer an hour old,
  // and one just written, whose server may still come for it.
  cluster.sql("stale_answers",
              "INSERT INTO log_push_answers(id, error_code, message, response, answered_at) VALUES "
              "(900001, -1, '', ''::bytea, now() - interval '1 hour'), (900002, -1, '', ''::bytea, now())");
  server.start();
  REQUIRE(eventually([&] { return contains(server.log(), "deleted 1 push answers nobody took"); }));
  CHECK(cluster.sql("stale_answers", "SELECT id FROM log_push_answers ORDER BY id") == "900002\n");
  // The schema records the migration that added answered_at.
  CHECK(cluster.sql("stale_answers", "SELECT max(version) FROM lontar_schema_migrations") == "3\n");
  REQUIRE(server.stop() == 0);
}

}  // namespace lontar::test

namespace lontar::test {

TEST_CASE(
    "on PostgreSQL: the database restored to an earlier point (a copy taken before the last sync) gets its missing "
    "leaves back from an auditor's export with restore --from-mirror; the office goes on and the log audits") {
  auto& cluster = pg::Cluster::shared();
  const std::string url = cluster.create_database("mirror_restore");
  Server server("lontar.test/jatim", {"--store", url});
  server.start();
  Office a(server, "SBY-RUNGKUT");
  import_list(a.agent, {"--tagana", "10", "--seed", "9"});
  REQUIRE(a.sync().rc == 0);
  REQUIRE(server.stop() == 0);
  // The "backup": a copy of the database as it is now (PostgreSQL's own tools in production).
  cluster.sql("postgres", "CREATE DATABASE mirror_backup TEMPLATE mirror_restore");
  const std::string backup_size = cluster.sql("mirror_backup", "SELECT max(size) FROM log_checkpoints");

  server.start();
  REQUIRE(a.enroll(60).rc == 0);
  REQUIRE(a.enroll(61).rc == 0);
  REQUIRE(a.sync().rc == 0);
  REQUIRE(server.stop() == 0);
  const std::string size = cluster.sql("mirror_restore", "SELECT max(size) FROM log_checkpoints");
  TempDir mirror;
  auto ex = server.server({"export", "--data", server.data().string(), "--out", (mirror.path() / "m").string()});
  INFO(ex.out << ex.err);
  REQUIRE(ex.rc == 0);

  // The database is lost and restored from the backup: the last sync's leaves are gone.
  cluster.sql("postgres", "DROP DATABASE mirror_restore");
  cluster.sql("postgres", "CREATE DATABASE mirror_restore TEMPLATE mirror_backup");
  REQUIRE(cluster.sql("mirror_restore", "SELECT count(*) FROM log_leaves") == backup_size);
  auto r =
      server.server({"restore", "--data", server.data().string(), "--from-mirror", (mirror.path() / "m").string()});
  INFO(r.out << r.err);
  REQUIRE(r.rc == 0);
  CHECK(contains(r.out, "restored leaves " + backup_size.substr(0, backup_size.find('\n'))));
  CHECK(cluster.sql("mirror_restore", "SELECT count(*) FROM log_leaves") == size);
  CHECK(cluster.sql("mirror_restore", "SELECT max(size) FROM log_checkpoints") == size);

  server.start();
  REQUIRE(a.enroll(62).rc == 0);
  auto s = a.sync();
  INFO(s.out << s.err);
  REQUIRE(s.rc == 0);
  CHECK(contains(s.out, "pushed 1 entries"));
  REQUIRE(server.stop() == 0);
  TempDir audit_dir;
  auto audit = export_and_audit(server, audit_dir);
  INFO(audit.out << audit.err);
  CHECK(audit.rc == 0);
}

}  // namespace lontar::test
