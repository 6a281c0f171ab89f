// participant.update v2 (corrections of name, birth date and occupation) through a real
// sync: the server judges it with the office's rules, other offices' replicas take its
// redaction, and lontar-audit's replay of the exported ledger agrees with every verdict.
#include <doctest/doctest.h>

#include "sync_harness.hpp"

namespace lontar::test {

TEST_CASE(
    "a correction of name, birth date and occupation syncs, the server judges it as the office does, and "
    "lontar-audit verify passes on the export") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT"), b(server, "SBY-DARMO");
  REQUIRE(a.enroll(1).rc == 0);
  REQUIRE(a.enroll(2).rc == 0);
  auto fix = a.agent.run({"update", "--nik", Agent::nik(1), "--name", "Peserta Satu", "--occupation", "TKSK",
                          "--birth-date", "01-01-1980"});
  INFO(fix.out << fix.err);
  REQUIRE(fix.rc == 0);
  auto sa = a.sync();
  INFO(sa.out << sa.err);
  REQUIRE(sa.rc == 0);
  CHECK(contains(sa.out, "pushed 3 entries in 1 batches (3 accepted, 0 rejected, 0 flagged)"));
  REQUIRE(b.sync().rc == 0);

  // At B, an imported row for A's person: the rejects file names A's office, entry and
  // coverage start, from B's replica (B's `show` would find nothing).
  const std::string list = b.agent.dir().file("dup.csv");
  write_file(list,
             "NIK,Nama,Tgl Lahir,Pekerjaan,Mulai\n" + Agent::nik(1) + ",Peserta 1,01-01-1980,TAGANA,14-05-2018\n");
  auto imported = b.agent.run({"import", list});
  INFO(imported.out << imported.err);
  CHECK(imported.rc == 3);
  const std::string rejects = slurp(list + ".rejects.csv");
  CHECK(contains(rejects, "duplicate_enrollment"));
  CHECK(contains(rejects, "sudah didaftarkan oleh kantor SBY-RUNGKUT (catatan #1, kepesertaan mulai 2018-05-14)"));
  CHECK(contains(rejects, "already enrolled by office SBY-RUNGKUT (entry #1, coverage from 2018-05-14)"));

  // A voids person 2's enrollment; B, not synced since, corrects person 2: accepted at B
  // against its replica, rejected by the server (no active enrollment any more).
  REQUIRE(a.agent.run({"void", "--seq", "2", "--reason", "salah daftar", "--confirm"}).rc == 0);
  REQUIRE(a.sync().rc == 0);
  REQUIRE(b.agent.run({"update", "--nik", Agent::nik(2), "--name", "Peserta Dua"}).rc == 0);
  auto sb = b.sync();
  INFO(sb.out << sb.err);
  REQUIRE(sb.rc == 0);
  CHECK(contains(sb.out, "(0 accepted, 1 rejected, 0 flagged)"));
  auto rejected = b.agent.run({"list", "--entries", "--verdict", "rejected"});
  CHECK(contains(rejected.out, "unknown_participant"));
  // The rejected correction is listed in B's history but changes nothing.
  auto shown = b.agent.run({"show", "--nik", Agent::nik(2), "--json"});
  CHECK(contains(shown.out, "\"applied\": \"no (rejected)\""));

  // A's correction as A shows it after the sync.
  auto mine = a.agent.run({"show", "--nik", Agent::nik(1), "--json"});
  CHECK(contains(mine.out, "\"new\": \"Peserta Satu\""));
  CHECK(contains(mine.out, "\"synced\": \"yes\""));

  server.stop();
  const auto out = server.dir().path() / "export";
  auto ex = server.server({"export", "--data", server.data().string(), "--out", out.string()});
  INFO(ex.out << ex.err);
  REQUIRE(ex.rc == 0);
  auto audit = run_process({LONTAR_AUDIT_BINARY, "verify", "--dir", out.string(), "--key", server.verifier_key(),
                            "--state", (server.dir().path() / "audit").string()},
                           Spawn{server.dir().file("audit.out"), server.dir().file("audit.err")});
  INFO(audit.out << audit.err);
  CHECK(audit.rc == 0);
  CHECK(contains(audit.out, "PASS"));
}

}  // namespace lontar::test
