// The record commands, init, queries and verify, driven through the real binary.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include "agent_process.hpp"

using lontar::test::Agent;
using lontar::test::contains;

TEST_CASE("init creates a private folder and key, and refuses to overwrite an office") {
  Agent a;
  auto r = a.init();
  REQUIRE(r.rc == 0);
  CHECK(contains(r.out, "fingerprint:"));
  struct stat st {};
  REQUIRE(::stat(a.data().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(::stat((a.data() + "/office-key.pem").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const std::string key_before = lontar::test::slurp(a.data() + "/office-key.pem");
  auto again = a.init("SBY-OTHER");
  CHECK(again.rc == 1);
  CHECK(contains(again.err, "already"));
  CHECK(lontar::test::slurp(a.data() + "/office-key.pem") == key_before);
}

TEST_CASE("a command on a folder without an office says to run init") {
  Agent a;
  auto r = a.run(Agent::enroll_args(1));
  CHECK(r.rc != 0);
  CHECK(contains(r.err, "init"));
}

TEST_CASE("an enrollment is recorded, sealed and found; a second one for the same NIK is rejected with exit 3") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  auto r = a.run(Agent::enroll_args(1));
  REQUIRE(r.rc == 0);
  CHECK(contains(r.out, "#1"));
  auto dup = a.run(Agent::enroll_args(1));
  CHECK(dup.rc == 3);
  CHECK(contains(dup.err, "duplicate_enrollment"));
  CHECK(contains(dup.err, "hint:"));
  CHECK(a.count("SELECT count(*) FROM entries") == 1);
  CHECK(a.count("SELECT count(*) FROM seals") == 1);
  CHECK(a.count("SELECT count(*) FROM outbox") == 1);
  auto found = a.run({"find", "--nik", Agent::nik(1), "--json"});
  CHECK(found.rc == 0);
  CHECK(contains(found.out, "\"operator\": \"test-clerk\""));
  auto none = a.run({"find", "--nik", Agent::nik(2)});
  CHECK(none.rc == 6);
  auto csv = a.run({"list", "--csv"});
  CHECK(contains(csv.out, "seq,nik,name"));
  CHECK(contains(csv.out, Agent::nik(1)));
}

TEST_CASE("bad input names the field and exits 1 without recording") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  auto args = Agent::enroll_args(1);
  args[2] = "35780101018";  // --nik too short
  auto r = a.run(args);
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "nik"));
  args = Agent::enroll_args(1);
  args[6] = "1980-02-30";  // --birth-date impossible
  r = a.run(args);
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "--birth-date"));
  args = Agent::enroll_args(1);
  args.insert(args.end(), {"--programmes", "JKX"});
  r = a.run(args);
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "--programmes"));
  args = Agent::enroll_args(1);
  args.insert(args.end(), {"--income", "-5"});
  r = a.run(args);
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "--income: '-5' bukan jumlah rupiah"));  // the flag, not the entry's field
  r = a.run({"pay", "--claim-no", "C/1", "--amount", "abc", "--beneficiary", "X", "--reference", "T"});
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "--amount"));
  CHECK(a.count("SELECT count(*) FROM entries") == 0);
}

TEST_CASE("a payout above the schedule needs --confirm (exit 4) and is then recorded flagged") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  REQUIRE(a.run(Agent::enroll_args(1)).rc == 0);
  REQUIRE(a.run({"contribute", "--nik", Agent::nik(1), "--first-month", "2018-05", "--jkk", "10000", "--jkm", "6800",
                 "--receipt", "R/1"})
              .rc == 0);
  REQUIRE(a.run({"claim", "--claim-no", "SBY/2018/0001", "--nik", Agent::nik(1), "--event-date", "2018-05-20",
                 "--claimant-name", "Siti Aminah", "--claimant-relation", "spouse"})
              .rc == 0);
  std::vector<std::string> pay = {"pay",           "--claim-no",  "SBY/2018/0001", "--amount", "42000000",
                                  "--beneficiary", "Siti Aminah", "--reference",   "TRF-77"};
  auto r = a.run(pay);
  CHECK(r.rc == 4);
  CHECK(contains(r.err, "above_schedule"));
  CHECK(a.count("SELECT count(*) FROM entries") == 3);
  pay.push_back("--confirm");
  r = a.run(pay);
  CHECK(r.rc == 0);
  CHECK(contains(r.out, "flagged for audit"));
  CHECK(a.count("SELECT count(*) FROM entries WHERE confirmed = 1") == 1);
  auto payouts = a.run({"list", "--payouts", "--json"});
  CHECK(contains(payouts.out, "above_schedule"));
  auto shown = a.run({"show", "--nik", Agent::nik(1), "--json"});
  CHECK(shown.rc == 0);
  CHECK(contains(shown.out, "\"claims\": [\n  {\"seq\": \"3\""));
  CHECK(contains(shown.out, "\"payouts\": [\n  {\"seq\": \"4\""));
}

TEST_CASE("a voided enrollment frees the NIK; update and void are recorded") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  REQUIRE(a.run(Agent::enroll_args(1)).rc == 0);
  REQUIRE(a.run({"update", "--nik", Agent::nik(1), "--phone", "081234567890"}).rc == 0);
  REQUIRE(a.run({"void", "--seq", "1", "--reason", "wrong name", "--confirm"}).rc == 0);
  CHECK(a.run(Agent::enroll_args(1)).rc == 0);
  CHECK(a.run({"void", "--seq", "99", "--reason", "no such entry"}).rc == 3);
  CHECK(a.run({"verify"}).rc == 0);
}

// Changes one byte of entry 2's name inside its stored bytes ("Peserta 2" becomes
// "Peserta 9"), as a damaged disk or a careless edit would, leaving its stored hash.
static void rename_in_store(Agent& a) {
  auto db = lontar::store::Db::open(a.data() + "/agent.db");
  REQUIRE(db.ok());
  auto get = (*db)->prepare("SELECT bytes FROM entries WHERE seq = 2");
  REQUIRE(get.ok());
  REQUIRE(*get->step());
  lontar::Bytes bytes = get->blob(0);
  std::string text(lontar::as_chars(bytes));
  auto at = text.find("Peserta 2");
  REQUIRE(at != std::string::npos);
  bytes[at + 8] = '9';
  auto put = (*db)->prepare("UPDATE entries SET bytes = ?1 WHERE seq = 2");
  REQUIRE(put.ok());
  REQUIRE(put->bind(1, lontar::ByteView(bytes)).run().ok());
}

TEST_CASE("verify fails with exit 5 when a stored entry is altered") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  for (int i = 1; i <= 3; ++i) REQUIRE(a.run(Agent::enroll_args(i)).rc == 0);
  REQUIRE(a.run({"verify"}).rc == 0);
  rename_in_store(a);
  auto r = a.run({"verify"});
  CHECK(r.rc == 5);
  CHECK(contains(r.err, "#2"));
}

TEST_CASE("a passphrase-protected key needs the passphrase file") {
  Agent a;
  const std::string pass = a.dir().file("pass.txt");
  lontar::test::write_file(pass, "correct horse battery staple\n");
  REQUIRE(a.run({"--passphrase-file", pass, "init", "--office", "SBY-DARMO"}).rc == 0);
  auto r = a.run(Agent::enroll_args(1));
  CHECK(r.rc != 0);
  CHECK(contains(r.err, "passphrase"));
  a.env()["LONTAR_PASSPHRASE_FILE"] = pass;
  CHECK(a.run(Agent::enroll_args(1)).rc == 0);
}

TEST_CASE("export writes the unsynced entries as sealed batches under a personal-data header") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  for (int i = 1; i <= 3; ++i) REQUIRE(a.run(Agent::enroll_args(i)).rc == 0);
  const std::string out = a.dir().file("usb.lontar");
  auto r = a.run({"export", "--out", out});
  REQUIRE(r.rc == 0);
  const std::string file = lontar::test::slurp(out);
  REQUIRE(file.rfind("LONTAR-EXPORT 1\n", 0) == 0);
  CHECK(contains(file, "personal-data: yes"));
  auto body = file.find("\n\n");
  REQUIRE(body != std::string::npos);
  std::size_t pos = body + 2;
  std::uint64_t prev_seq = 0;
  lontar::Hash prev_head{};
  int batches = 0;
  while (pos < file.size()) {
    REQUIRE(pos + 8 <= file.size());
    std::uint64_t len = 0;
    for (int i = 0; i < 8; ++i) len |= std::uint64_t(static_cast<unsigned char>(file[pos + i])) << (8 * i);
    pos += 8;
    REQUIRE(pos + len <= file.size());
    auto batch = lontar::encoding::decode<lontar::chain::Batch>(
        lontar::as_bytes(std::string_view(file).substr(pos, len)), "batch");
    REQUIRE(batch.ok());
    CHECK(lontar::chain::verify_run(batch->entries, prev_seq, prev_head, &batch->seal).ok());
    prev_seq = batch->seal.last_seq;
    prev_head = batch->seal.head;
    pos += len;
    ++batches;
  }
  CHECK(batches == 3);
  CHECK(prev_seq == 3);
  CHECK(a.run({"export", "--out", out}).rc == 1);  // refuses to overwrite
}

TEST_CASE("show and list mark an entry whose stored bytes no longer match its hash, and exit 5") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  for (int i = 1; i <= 2; ++i) REQUIRE(a.run(Agent::enroll_args(i)).rc == 0);
  REQUIRE(a.run({"show", "--nik", Agent::nik(2)}).rc == 0);
  rename_in_store(a);  // the name now reads "Peserta 9", still a valid entry
  auto show = a.run({"show", "--nik", Agent::nik(2)});
  CHECK(show.rc == 5);
  CHECK(contains(show.out, "DAMAGED"));
  CHECK_FALSE(contains(show.out, "Peserta 9"));  // the altered name is not shown as recorded
  CHECK(contains(show.err, "lontar-agent verify"));
  auto list = a.run({"list"});
  CHECK(list.rc == 5);
  CHECK(contains(list.out, "Peserta 1"));  // the sound entry is still listed
  CHECK(contains(list.out, "DAMAGED"));
}

// A real full disk: a 1 MiB tmpfs, mounted in a private user and mount namespace
// (`unshare -rm`, no root needed), filled up after the office recorded one entry.
TEST_CASE("on a full disk read-only commands still work, a write says the disk is full, and nothing is lost") {
  lontar::test::TempDir tmp;
  const auto probe = lontar::test::run_process(
      {"/usr/bin/unshare", "-rm", "/bin/sh", "-c", "mount -t tmpfs -o size=64k tmpfs \"$0\"", tmp.path().string()},
      lontar::test::Spawn{tmp.path() / "probe.out", tmp.path() / "probe.err"});
  if (probe.rc != 0) {
    MESSAGE("skipped: this machine does not allow an unprivileged tmpfs mount (unshare -rm): " << probe.err);
    return;
  }
  const auto disk = tmp.path() / "disk";
  std::filesystem::create_directories(disk);
  const std::string enroll_budi =
      "\"$A\" enroll --nik 3578121703850010 --name Budi --birth-date 17-03-1985 --occupation TAGANA "
      "--coverage-start 2018-05-01 2>&1; echo \"rc=$?\"\n";
  const std::string script =
      "mount -t tmpfs -o size=1m tmpfs \"$D\" || exit 97\n"
      "export LONTAR_DATA=\"$D/d\" LONTAR_OPERATOR=ani\n"
      "\"$A\" init --office SBY-DARMO >/dev/null 2>&1 || exit 98\n"
      "\"$A\" enroll --nik 3578121703850002 --name 'Agus Setiawan' --birth-date 17-03-1985 --occupation TAGANA "
      "--coverage-start 2018-05-01 >/dev/null 2>&1 || exit 99\n"
      "dd if=/dev/zero of=\"$D/filler\" bs=4k >/dev/null 2>&1\n"
      "for c in status verify list; do echo \"== $c\"; \"$A\" $c 2>&1; echo \"rc=$?\"; done\n"
      "echo '== enroll'\n" +
      enroll_budi +
      "rm \"$D/filler\"\n"
      "echo '== after'\n" +
      enroll_budi + "\"$A\" list 2>&1\n";
  lontar::test::Spawn how{
      tmp.path() / "full.out", tmp.path() / "full.err", {{"A", LONTAR_AGENT_BINARY}, {"D", disk.string()}}};
  const auto r = lontar::test::run_process({"/usr/bin/unshare", "-rm", "/bin/sh", "-c", script}, how);
  INFO(r.out << r.err);
  REQUIRE(r.rc == 0);
  auto section = [&](const std::string& name) {
    const auto at = r.out.find("== " + name + "\n");
    REQUIRE(at != std::string::npos);
    const auto end = r.out.find("\n== ", at + 1);
    return r.out.substr(at, end == std::string::npos ? std::string::npos : end - at);
  };
  CHECK(contains(section("status"), "rc=0"));
  CHECK(contains(section("verify"), "rc=0"));
  CHECK(contains(section("list"), "Agus Setiawan"));
  CHECK(contains(section("list"), "rc=0"));
  const std::string full = section("enroll");
  CHECK(contains(full, "rc=2"));
  CHECK(contains(full, "disk full: free space on " + (disk / "d").string() + " and retry; nothing was lost"));
  CHECK(contains(full, "disk penuh"));
  const std::string after = section("after");
  CHECK(contains(after, "rc=0"));
  CHECK(contains(after, "Agus Setiawan"));
  CHECK(contains(after, "Budi"));
}

TEST_CASE("update corrects the name, birth date and occupation; show gives the corrected values and their history") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  REQUIRE(a.run(Agent::enroll_args(1)).rc == 0);  // "Peserta 1", 1980-01-01, TAGANA
  const std::string nik = Agent::nik(1);
  // Nothing to change, and a birth date the NIK does not say, are refused with exit 1.
  auto none = a.run({"update", "--nik", nik});
  CHECK(none.rc == 1);
  CHECK(contains(none.err, "--name"));
  auto wrong_birth = a.run({"update", "--nik", nik, "--birth-date", "02-01-1980"});
  CHECK(wrong_birth.rc == 1);
  CHECK(contains(wrong_birth.err, "birth_date"));
  auto future = a.run({"update", "--nik", nik, "--birth-date", "01-01-2180"});
  CHECK(future.rc == 1);
  CHECK(a.count("SELECT count(*) FROM entries") == 1);

  auto fixed = a.run({"update", "--nik", nik, "--name", "Peserta Satu", "--occupation", "kpm pkh"});
  INFO(fixed.out << fixed.err);
  REQUIRE(fixed.rc == 0);
  CHECK(contains(fixed.out, "#2"));
  // The same correction again changes nothing and is refused.
  auto same = a.run({"update", "--nik", nik, "--name", "Peserta Satu"});
  CHECK(same.rc == 1);
  CHECK(contains(same.err, "show --nik"));
  CHECK(a.count("SELECT count(*) FROM entries") == 2);

  auto shown = a.run({"show", "--nik", nik});
  INFO(shown.out);
  REQUIRE(shown.rc == 0);
  CHECK(contains(shown.out, "data terkini / current"));
  CHECK(contains(shown.out, "koreksi / corrections"));
  CHECK(contains(shown.out, "KPM_PKH"));
  auto json = a.run({"show", "--nik", nik, "--json"});
  REQUIRE(json.rc == 0);
  CHECK(contains(json.out, "\"name\": \"Peserta Satu\""));
  CHECK(contains(json.out, "\"field\": \"name\""));
  CHECK(contains(json.out, "\"old\": \"Peserta 1\""));
  CHECK(contains(json.out, "\"new\": \"Peserta Satu\""));
  CHECK(contains(json.out, "\"old\": \"TAGANA\""));
  CHECK(contains(json.out, "\"new\": \"KPM_PKH\""));
  CHECK(contains(json.out, "\"applied\": \"yes\""));
  // The corrected name is found by name.
  auto found = a.run({"find", "--name", "satu", "--csv"});
  CHECK(found.rc == 0);
  CHECK(contains(found.out, "participant.update"));
  // `list` shows the person as corrected (not as enrolled), whatever the filter or format.
  REQUIRE(a.run(Agent::enroll_args(2)).rc == 0);  // another person, never corrected
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"list", "--csv"}, {"list"}, {"list", "--nik", nik, "--json"}}) {
    auto listed = a.run(args);
    INFO(listed.out << listed.err);
    REQUIRE(listed.rc == 0);
    CHECK(contains(listed.out, "Peserta Satu"));
    CHECK(contains(listed.out, "KPM_PKH"));
    CHECK(!contains(listed.out, "Peserta 1"));
    if (args.size() == 2) CHECK(contains(listed.out, "Peserta 2"));
  }

  // Voided, the correction no longer counts: the old name is current again.
  REQUIRE(a.run({"void", "--seq", "2", "--reason", "salah koreksi", "--confirm"}).rc == 0);
  auto relisted = a.run({"list", "--csv"});
  CHECK(contains(relisted.out, "Peserta 1,"));
  CHECK(!contains(relisted.out, "Peserta Satu"));
  json = a.run({"show", "--nik", nik, "--json"});
  CHECK(contains(json.out, "\"applied\": \"no (voided)\""));
  CHECK(contains(json.out, "{\"nik\": \"" + nik + "\", \"name\": \"Peserta 1\""));
  CHECK(a.run({"update", "--nik", nik, "--name", "Peserta 1"}).rc == 1);  // that is the name now
  CHECK(a.run({"update", "--nik", nik, "--name", "Peserta Satu"}).rc == 0);
  CHECK(a.run({"verify"}).rc == 0);
}

TEST_CASE("a corrected birth date after the coverage start is refused by the rules (birth_date_conflict, exit 3)") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  // Born 1920 (the NIK says year 20), covered from 2018: 2020 also agrees with the NIK.
  const std::string nik =
      lontar::domain::make_nik("3578", "01", lontar::domain::Date{1920, 1, 1}, lontar::domain::Sex::male, 77)->str();
  REQUIRE(a.run({"enroll", "--nik", nik, "--name", "Mbah Karto", "--birth-date", "01-01-1920", "--occupation", "TAGANA",
                 "--coverage-start", "14-05-2018"})
              .rc == 0);
  auto r = a.run({"update", "--nik", nik, "--birth-date", "01-01-2020"});
  INFO(r.out << r.err);
  CHECK(r.rc == 3);
  CHECK(contains(r.err, "birth_date_conflict"));
  CHECK(a.count("SELECT count(*) FROM entries") == 1);
}
