// CSV import through the real binary, with real (messy) files.
#include <doctest/doctest.h>

#include "agent_process.hpp"
#include "store.hpp"

using lontar::test::Agent;
using lontar::test::contains;
using lontar::test::write_file;

namespace {
// A partner's file: BOM, CRLF, Indonesian headers, doubled quotes, a line break
// inside a quoted address, and one bad row of each kind.
std::string messy_csv() {
  return "\xEF\xBB\xBFNIK,Nama,Tgl Lahir,JK,Pekerjaan,Wadah,Penghasilan,Mulai,Alamat,Catatan\r\n"
         "3578011201850003,\"Joko \"\"Jack\"\" Widodo\",12-01-1985,L,TKSK,DINSOS-JATIM,1.500.000,2018-05-14,"
         "\"Jl. Merdeka 1,\r\nSurabaya\",ok\r\n"
         "3578015301850003,Sri Rahayu,13/01/1985,P,TAGANA,DINSOS-JATIM,\"Rp 2.000.000\",14-05-2018,\"Jl. A, B\",\r\n"
         "1234,Ani,01-01-1990,P,TKSK,DINSOS-JATIM,0,2018-05-14,x,\r\n"
         "3578015301850004,Ani,13-13-1985,P,TKSK,DINSOS-JATIM,0,2018-05-14,x,\r\n"
         "3578015301850005,An\"i,13-01-1985,P,TKSK,DINSOS-JATIM,0,2018-05-14,x,\r\n"
         "3578015301850006,Ani,13-01-1985,P,TKSK,DINSOS-JATIM,-3,2018-05-14,x,\r\n"
         "3578011201850007,Budi,12-01-1985,P,TKSK,DINSOS-JATIM,0,2018-05-14,x,\r\n"
         "\r\n"
         "3578015301850003,Sri Rahayu,13/01/1985,P,TAGANA,DINSOS-JATIM,0,14-05-2018,x,twice\r\n";
}
}  // namespace

TEST_CASE("a messy partner CSV: good rows recorded under one seal, every bad row reported with line and column") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string csv = a.dir().file("dinsos.csv"), rejects = a.dir().file("rejects.csv");
  write_file(csv, messy_csv());
  auto r = a.run({"import", csv, "--rejects", rejects});
  REQUIRE(r.rc == 10);  // some rows rejected
  CHECK(contains(r.out, "8 rows: 2 recorded"));
  CHECK(contains(r.out, "0 already enrolled, 6 rejected"));
  CHECK(contains(r.out, "not recorded: 'Catatan'"));
  CHECK(a.count("SELECT count(*) FROM entries") == 2);
  CHECK(a.count("SELECT count(*) FROM seals") == 1);
  const std::string rej = lontar::test::slurp(rejects);
  CHECK(contains(rej, "\xEF\xBB\xBFNIK,Nama,Tgl Lahir,JK,Pekerjaan,Wadah,Penghasilan,Mulai,Alamat,Catatan,reason\r\n"));
  CHECK(contains(rej, "line 5: column 1 'NIK' (nik)"));
  CHECK(contains(rej, "line 6: column 3 'Tgl Lahir' (birth_date)"));
  CHECK(contains(rej, "line 7: column 2 'Nama': tanda kutip di tengah kolom / a quote inside an unquoted field"));
  CHECK(contains(rej, "line 8: column 7 'Penghasilan' (income)"));
  CHECK(contains(rej, "line 9: column 4 'JK' (sex): 'P' tidak cocok dengan NIK"));  // NIK says male, JK says P
  CHECK(contains(rej, "line 11: NIK sama dengan baris 4 file ini / the same NIK is on line 4 of this file"));
  auto found = a.run({"find", "--name", "Jack", "--json"});
  CHECK(contains(found.out, "Joko \\\"Jack\\\" Widodo"));
  auto shown = a.run({"show", "--nik", "3578011201850003", "--json"});
  CHECK(shown.rc == 0);
  CHECK(a.run({"verify"}).rc == 0);
}

TEST_CASE("importing the same file twice enrolls nobody twice") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string csv = a.dir().file("list.csv");
  REQUIRE(a.run({"generate-partner-csv", "--out", csv, "--tagana", "160", "--tksk", "66", "--kpm-pkh", "20"}).rc == 0);
  auto first = a.run({"import", csv});
  REQUIRE(first.rc == 0);
  CHECK(contains(first.out, "246 rows: 246 recorded"));
  auto second = a.run({"import", csv});
  REQUIRE(second.rc == 0);
  CHECK(contains(second.out, "0 recorded, 246 already enrolled, 0 rejected"));
  const std::string other = a.dir().file("other.csv");
  REQUIRE(a.run({"generate-partner-csv", "--out", other, "--tagana", "10", "--seed", "9", "--overlap-from", csv,
                 "--overlap", "5"})
              .rc == 0);
  auto third = a.run({"import", other});
  CHECK(contains(third.out, "15 rows: 10 recorded"));
  CHECK(contains(third.out, "5 already enrolled"));
  CHECK(a.count("SELECT count(*) FROM entries") == 256);
  CHECK(a.count("SELECT count(DISTINCT nik) FROM entries") == 256);
}

TEST_CASE("a quote that is never closed aborts the import and records nothing") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string csv = a.dir().file("broken.csv");
  write_file(csv,
             "nik,nama,tgl_lahir,pekerjaan,mulai\n"
             "3578011201850003,Joko,12-01-1985,TKSK,2018-05-14\n"
             "3578011201850004,\"Budi,12-01-1985,TKSK,2018-05-14\n"
             "3578011201850005,Eko,12-01-1985,TKSK,2018-05-14\n");
  auto r = a.run({"import", csv});
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "line 3"));
  CHECK(contains(r.err, "never closed"));
  CHECK(contains(r.err, "nothing from"));
  CHECK(a.count("SELECT count(*) FROM entries") == 0);
}

TEST_CASE("a missing column is named, with the flag that can stand in for it") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string csv = a.dir().file("nocol.csv");
  write_file(csv, "nik,nama,tgl_lahir,pekerjaan\n3578011201850003,Joko,12-01-1985,TKSK\n");
  auto r = a.run({"import", csv});
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "'coverage_start' is missing"));
  CHECK(contains(r.err, "--coverage-start"));
  r = a.run({"import", csv, "--coverage-start", "2018-05-14"});
  CHECK(r.rc == 0);
  CHECK(contains(r.out, "1 recorded"));
  write_file(csv, "nama,tgl_lahir\nJoko,12-01-1985\n");
  r = a.run({"import", csv});
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "'nik' is missing"));
}

TEST_CASE("a contribution list is imported, and re-importing it records no receipt twice") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string people = a.dir().file("people.csv"), pay = a.dir().file("pay.csv");
  write_file(people, "nik,nama,tgl_lahir,pekerjaan,mulai\n3578011201850003,Joko,12-01-1985,TKSK,2018-05-14\n");
  REQUIRE(a.run({"import", people}).rc == 0);
  write_file(pay,
             "nik,bulan_awal,jumlah_bulan,jkk,jkm,no_kuitansi\n"
             "3578011201850003,2018-05,3,30.000,20.400,KW/2018/1\n"
             "3578011201850009,2018-05,3,30.000,20.400,KW/2018/2\n");
  auto r = a.run({"import", pay, "--kind", "contribute", "--sponsor", "DINSOS-JATIM"});
  REQUIRE(r.rc == 10);
  CHECK(contains(r.out, "2 rows: 1 recorded"));
  CHECK(contains(r.out, "1 rejected"));
  r = a.run({"import", pay, "--kind", "contribute", "--sponsor", "DINSOS-JATIM"});
  CHECK(contains(r.out, "0 recorded, 1 already recorded"));
}

TEST_CASE(
    "CSV rows whose name is only U+FEFF, U+200B or U+2060, or that hold an invisible character inside a name or an "
    "address, are refused with the column; a no-break space inside a name is kept") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string csv = a.dir().file("invisible.csv"), rejects = a.dir().file("rejects.csv");
  write_file(csv,
             "NIK,Nama,Tgl Lahir,JK,Pekerjaan,Wadah,Penghasilan,Mulai,Alamat\n"
             "3578015301850011,\xEF\xBB\xBF,13-01-1985,P,TKSK,DINSOS-JATIM,0,2018-05-14,Jl. A 1\n"
             "3578015301850012,\xE2\x80\x8B,13-01-1985,P,TKSK,DINSOS-JATIM,0,2018-05-14,Jl. A 2\n"
             "3578015301850013,\xE2\x81\xA0,13-01-1985,P,TKSK,DINSOS-JATIM,0,2018-05-14,Jl. A 3\n"
             "3578015301850014,Sri\xEF\xBB\xBFRahayu,13-01-1985,P,TKSK,DINSOS-JATIM,0,2018-05-14,Jl. A 4\n"
             "3578015301850015,Ani,13-01-1985,P,TKSK,DINSOS-JATIM,0,2018-05-14,Jl. \xE2\x80\xAEMerdeka 5\n"
             "3578015301850016,Siti\xC2\xA0"
             "Aminah,13-01-1985,P,TKSK,DINSOS-JATIM,0,2018-05-14,Jl. A 6\n"
             "3578015301850017,Dewi,13-01-1985,P,TKSK,DINSOS-JATIM,0,2018-05-14,\xE2\x80\x8B\n");
  auto r = a.run({"import", csv, "--rejects", rejects});
  INFO(r.out << r.err);
  REQUIRE(r.rc == 10);  // some rows recorded, some rejected (README: import exit codes)
  CHECK(contains(r.out, "7 rows: 1 recorded"));
  CHECK(contains(r.out, "6 rejected"));
  const std::string rej = lontar::test::slurp(rejects);
  INFO(rej);
  for (int line = 2; line <= 4; ++line) {
    CHECK(contains(rej, "line " + std::to_string(line) +
                            ": participant.enroll: name: is empty once spaces and invisible characters are removed"));
  }
  CHECK(contains(rej,
                 "line 5: participant.enroll: name: holds an invisible character, U+FEFF (byte-order mark), at "
                 "byte 3"));
  CHECK(contains(rej,
                 "line 6: participant.enroll: address: holds an invisible character, U+202E (bidirectional "
                 "control), at byte 4"));
  CHECK(contains(rej, "line 8: participant.enroll: address: holds only spaces and invisible characters"));
  CHECK(a.count("SELECT count(*) FROM entries") == 1);
  auto shown = a.run({"show", "--nik", "3578015301850016", "--json"});
  CHECK(shown.rc == 0);
  CHECK(contains(shown.out,
                 "Siti\xC2\xA0"
                 "Aminah"));
}

TEST_CASE("after an import every lookup finds its rows: by NIK, name, kind and verdict; regency codes are checked") {
  // Regencies as a partner writes them: a code, a name, a code with a dot, a code
  // that does not exist (rejected, naming the column) and an empty cell (the NIK's).
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string csv = a.dir().file("kabkota.csv"), rejects = a.dir().file("kabkota-rejects.csv");
  write_file(csv,
             "NIK;Nama;Tgl Lahir;Kab/Kota;Pekerjaan;Mulai\n"
             "3578011201850003;\"Joko \"\"Jack\"\" Widodo\";12-01-1985;3578;TKSK;2018-05-14\n"
             "3515015301850003;Sri Rahayu;13/01/1985;Kabupaten Sidoarjo;TAGANA;14-05-2018\n"
             "3510031202700001;\"Dédé Santoso\";12-02-1970;35.10;TAGANA;14-05-2018\n"
             "3578011201850007;Budi;12-01-1985;3599;TKSK;2018-05-14\n"
             "3201011201850008;Siti Aminah;12-01-1985;;TKSK;2018-05-14\n");
  auto r = a.run({"import", csv, "--rejects", rejects});
  REQUIRE(r.rc == 10);
  CHECK(contains(r.out, "5 rows: 4 recorded"));
  CHECK(contains(lontar::test::slurp(rejects), "line 5: column 4 'Kab/Kota' (regency): '3599' bukan kode"));
  CHECK(a.count("SELECT count(*) FROM entries") == 4);
  CHECK(a.count("SELECT count(*) FROM entry_names WHERE entry_names MATCH 'san'") == 1);  // Dédé Santoso
  // By NIK: the regency the row gave (or the NIK's own when the cell was empty).
  auto store = lontar::agent::Store::open(a.data());
  REQUIRE(store.ok());
  for (const auto& [nik, regency] : {std::pair{"3578011201850003", "3578"}, std::pair{"3515015301850003", "3515"},
                                     std::pair{"3510031202700001", "3510"}, std::pair{"3201011201850008", "3201"}}) {
    CAPTURE(nik);
    lontar::agent::Store::EntryQuery q;
    q.nik = nik;
    std::vector<std::string> regencies;
    REQUIRE((*store)
                ->query_entries(q,
                                [&](const lontar::agent::Store::ListedEntry& e) -> lontar::Result<bool> {
                                  auto entry = lontar::encoding::decode<lontar::chain::Entry>(e.bytes, "entry");
                                  REQUIRE(entry.ok());
                                  auto payload = lontar::domain::decode_payload(entry->kind, entry->payload);
                                  REQUIRE(payload.ok());
                                  regencies.push_back(
                                      std::get<lontar::domain::ParticipantEnroll>(*payload).regency_code);
                                  return true;
                                })
                .ok());
    CHECK(regencies == std::vector<std::string>{regency});
    CHECK(a.run({"show", "--nik", nik}).rc == 0);
    auto found = a.run({"find", "--nik", nik, "--json"});
    CHECK(found.rc == 0);
    CHECK(contains(found.out, nik));
  }
  CHECK(a.run({"find", "--nik", "3578011201850007"}).rc == 6);  // the rejected row
  // By name: folded, part of a name, through the trigram index.
  CHECK(contains(a.run({"find", "--name", "jack", "--json"}).out, "3578011201850003"));
  CHECK(contains(a.run({"find", "--name", "DEDE", "--json"}).out, "3510031202700001"));
  CHECK(contains(a.run({"find", "--name", "sitiam", "--json"}).out, "3201011201850008"));
  CHECK(a.run({"find", "--name", "budi"}).rc == 6);
  // By kind and by verdict: all four, and nothing else.
  for (const auto& args : {std::vector<std::string>{"find", "--kind", "participant.enroll", "--csv"},
                           std::vector<std::string>{"find", "--verdict", "accepted", "--csv"}}) {
    auto listed = a.run(args);
    CHECK(listed.rc == 0);
    for (const char* nik : {"3578011201850003", "3515015301850003", "3510031202700001", "3201011201850008"}) {
      CHECK(contains(listed.out, nik));
    }
    CHECK_FALSE(contains(listed.out, "3578011201850007"));
  }
  CHECK(a.run({"find", "--verdict", "rejected"}).rc == 6);
  CHECK(a.run({"verify"}).rc == 0);
}

TEST_CASE("an import finds this office's earlier rows and its own duplicates, with or without its NIK filter") {
  // The import skips the lookup of a NIK its filter has never seen; it fills the
  // filter from the store only when the store is not much larger than the file can
  // be. A short file after a long list takes the lookups; the same rows padded to a
  // long file take the filter. Both must tell the same.
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string list = a.dir().file("list.csv");
  REQUIRE(a.run({"generate-partner-csv", "--out", list, "--tagana", "300"}).rc == 0);
  REQUIRE(a.run({"import", list}).rc == 0);
  const std::string generated = lontar::test::slurp(list);
  const auto first_eol = generated.find('\n');
  const std::string header = generated.substr(0, first_eol + 1);
  const std::string enrolled = generated.substr(first_eol + 1, generated.find('\n', first_eol + 1) - first_eol);
  auto rows = [&](const std::string& new_nik) {
    const std::string fresh =
        new_nik + ",Budi Santoso,12-01-1985,L,3578,TKSK,DINSOS-JATIM,0,JKK+JKM,14-05-2018,,Jl. A\n";
    return header + enrolled + fresh + fresh;
  };
  struct Case {
    const char* name;
    std::string text;
  };
  for (const Case& c : {Case{"short", rows("3578011201850011")},
                        Case{"padded", rows("3578011201850012") + std::string(20'000, '\n')}}) {
    CAPTURE(c.name);
    const std::string csv = a.dir().file(std::string(c.name) + ".csv");
    write_file(csv, c.text);
    auto r = a.run({"import", csv});
    CHECK(r.rc == 10);
    CHECK(contains(r.out, "3 rows: 1 recorded"));
    CHECK(contains(r.out, "1 already enrolled, 1 rejected"));
    CHECK(contains(lontar::test::slurp(csv + ".rejects.csv"), "line 4: NIK sama dengan baris 3 file ini"));
  }
  CHECK(a.count("SELECT count(*) FROM entries") == 302);
  CHECK(a.run({"verify"}).rc == 0);
}
