// Partner lists as East Java offices really send them, imported through the real
// binary: every good row recorded once, every bad row in the rejects file with
// its line, column and fix, nothing bad accepted. The values and the regency
// table are also checked in-process (values.hpp, regency.hpp).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "agent_process.hpp"
#include "regency.hpp"
#include "values.hpp"

using lontar::test::Agent;
using lontar::test::contains;
using lontar::test::slurp;
using lontar::test::write_file;
namespace agent = lontar::agent;
namespace domain = lontar::domain;

namespace {
unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

// The enrollment of `nik` as stored in the office's chain.
domain::ParticipantEnroll stored_enrollment(const Agent& a, const std::string& nik) {
  auto db = lontar::store::Db::open(a.data() + "/agent.db", lontar::store::OpenOptions{false, true});
  REQUIRE(db.ok());
  auto st = (*db)->prepare("SELECT bytes FROM entries WHERE nik = ?1 AND kind = 10");
  REQUIRE(st.ok());
  st->bind(1, nik);
  auto row = st->step();
  REQUIRE((row.ok() && *row));
  auto entry = lontar::encoding::decode<lontar::chain::Entry>(st->blob_view(0), "entry");
  REQUIRE(entry.ok());
  auto payload = domain::decode_payload(domain::EntryKind::participant_enroll, entry->payload);
  REQUIRE(payload.ok());
  return std::get<domain::ParticipantEnroll>(*payload);
}

std::size_t lines_of(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// The header East Java's social-services office uses, with its BOM and CRLFs.
constexpr const char* dinsos_header =
    "\xEF\xBB\xBFNo.,NIK KTP,Nama Lengkap,Jenis Kelamin (L/P),Tempat Lahir,Tgl. Lahir,Kab/Kota,Kecamatan,Alamat,"
    "No. HP,Pekerjaan,Wadah,TMT\r\n";
}  // namespace

TEST_CASE("an East Java list with Indonesian headers, quotes, date styles and mangled NIKs imports exactly") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string csv = a.dir().file("dinsos.csv");
  std::string text = dinsos_header;
  // Good rows: each a different way partners write things.
  text +=
      "1,3578011708800001,\"Widodo, Joko \"\"Jack\"\"\",L,Surabaya,17-08-1980,Kota Surabaya,Rungkut,"
      "\"Jl. Merdeka 1,\r\nRT 2\",+62 812-3456-7890,Tagana,Dinsos Jatim,14/05/2018\r\n";
  text +=
      "2,'3515015708800002,Sri Rahayu,P,Sidoarjo,17/8/80,KAB SIDOARJO,Buduran,Jl. A,0812 3456 7891,kpm pkh,"
      "DINSOS-JATIM,14 Mei 2018\r\n";
  text +=
      "3,3507 0117 0880 0003,Dédé Suryani,Laki-laki,Malang,17 Agustus 1980,Kab. Malang,Lawang,,6281234567892,"
      "TKSK,DINSOS-JATIM,2018-05-14\r\n";
  text +=
      "4,3573011708800004,Bambang,L,Malang,17 Agt 1980,Malang,Klojen,,81234567893,Kpm_Pkh,DINSOS-JATIM,"
      "14-5-2018\r\n";
  text += "5,3579015708800005,Ani,Perempuan,Batu,1980-08-17,3579,Batu,,,TAGANA,DINSOS-JATIM,14.05.2018\r\n";
  // Bad rows: each names its column and the fix.
  text += "6,3.57801E+15,Rusak,L,Sby,17-08-1980,Kota Surabaya,,,,TAGANA,DINSOS-JATIM,14/05/2018\r\n";
  text += "7,35780117088000071,Panjang,L,Sby,17-08-1980,Kota Surabaya,,,,TAGANA,DINSOS-JATIM,14/05/2018\r\n";
  text += "8,3578011708800008," + std::string(300, 'a') +
          ",L,Sby,17-08-1980,Kota Surabaya,,,,TAGANA,DINSOS-JATIM,"
          "14/05/2018\r\n";
  text += "9,3578011708800009,Salah JK,P,Sby,17-08-1980,Kota Surabaya,,,,TAGANA,DINSOS-JATIM,14/05/2018\r\n";
  text += "10,3578011708800010,Salah Tgl,L,Sby,18-08-1980,Kota Surabaya,,,,TAGANA,DINSOS-JATIM,14/05/2018\r\n";
  text += "11,3578011708800011,Kota Lain,L,Sby,17-08-1980,Kota Atlantis,,,,TAGANA,DINSOS-JATIM,14/05/2018\r\n";
  text += "12,3578011708800012,Tgl Aneh,L,Sby,31/02/1980,Kota Surabaya,,,,TAGANA,DINSOS-JATIM,14/05/2018\r\n";
  text += "13,3578011708800013,Masa Depan,L,Sby,17-08-1980,Kota Surabaya,,,,TAGANA,DINSOS-JATIM,14/05/2099\r\n";
  text += "14,3578011708800001,Widodo Joko,L,Surabaya,17-08-1980,Kota Surabaya,,,,TAGANA,DINSOS-JATIM,14/05/2018\r\n";
  write_file(csv, text);
  auto r = a.run({"import", csv});
  CHECK(r.rc == 10);
  CHECK(contains(r.out, "(14 rows: 5 recorded, 0 already enrolled, 9 rejected (0 conflicts))"));
  CHECK(contains(r.out, "not recorded: 'No.', 'Tempat Lahir'"));
  CHECK(a.count("SELECT count(*) FROM entries") == 5);
  CHECK(a.count("SELECT count(*) FROM entries WHERE name = 'Widodo, Joko \"Jack\"'") == 1);
  CHECK(a.count("SELECT count(*) FROM entries WHERE name = 'Dédé Suryani'") == 1);
  const std::string rej = slurp(csv + ".rejects.csv");
  CHECK(lines_of(rej) == 10);  // the first row spans lines 2-3 (a line break in its address)
  CHECK(contains(rej, "line 8: column 2 'NIK KTP' (nik): '3.57801E+15' sudah diubah spreadsheet"));
  CHECK(contains(rej, "format the NIK column as Text"));
  CHECK(contains(rej, "line 9: column 2 'NIK KTP' (nik): NIK '35780117088000071' is not 16 digits"));
  CHECK(contains(rej, "line 10: column 3 'Nama Lengkap' (name): 300 karakter, lebih dari batas 128"));
  CHECK(contains(rej, "line 11: column 4 'Jenis Kelamin (L/P)' (sex): 'P' tidak cocok dengan NIK"));
  CHECK(contains(rej, "line 12: column 6 'Tgl. Lahir' (birth_date)"));
  CHECK(contains(rej, "line 13: column 7 'Kab/Kota' (regency): 'Kota Atlantis' bukan nama kabupaten/kota"));
  CHECK(contains(rej, "line 14: column 6 'Tgl. Lahir' (birth_date): '31/02/1980' bukan tanggal yang ada"));
  CHECK(contains(rej, "line 15: column 13 'TMT' (coverage_start): 2099-05-14 lebih dari 92 hari"));
  CHECK(contains(rej, "line 16: NIK sama dengan baris 2 file ini"));

  // What was stored is the canonical form.
  auto joko = stored_enrollment(a, "3578011708800001");
  CHECK(joko.phone == "081234567890");
  CHECK(joko.address == "Jl. Merdeka 1, RT 2, Kec. Rungkut");
  CHECK(joko.occupation == "TAGANA");
  CHECK(joko.sponsor == "DINSOS-JATIM");
  CHECK(joko.regency_code == "3578");
  CHECK(domain::to_string(joko.coverage_start) == "2018-05-14");
  auto sri = stored_enrollment(a, "3515015708800002");
  CHECK(sri.regency_code == "3515");
  CHECK(sri.occupation == "KPM_PKH");
  CHECK(sri.sex == domain::Sex::female);
  CHECK(domain::to_string(sri.birth_date) == "1980-08-17");
  CHECK(stored_enrollment(a, "3507011708800003").phone == "081234567892");
  auto bambang = stored_enrollment(a, "3573011708800004");
  CHECK(bambang.regency_code == "3573");  // "Malang" is the NIK's: Kota Malang
  CHECK(bambang.occupation == "KPM_PKH");
  CHECK(bambang.phone == "081234567893");
  CHECK(a.run({"verify"}).rc == 0);
}

TEST_CASE("the rejects file keeps the header plus one reason column, and imports once corrected") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string csv = a.dir().file("list.csv"), rejects = a.dir().file("list.rejects.csv");
  write_file(csv,
             "NIK,Nama,Tgl Lahir,Pekerjaan,Mulai,,\n"
             "3578011708800001,Joko,17-08-1980,TAGANA,14-05-2018,,\n"
             "3578011708800002,Budi,32-08-1980,TAGANA,14-05-2018,,\n");
  auto r = a.run({"import", csv, "--rejects", rejects});
  CHECK(r.rc == 10);
  std::string rej = slurp(rejects);
  CHECK(contains(rej, "NIK,Nama,Tgl Lahir,Pekerjaan,Mulai,reason\r\n"));  // trailing empty columns dropped
  CHECK(contains(rej, "3578011708800002,Budi,32-08-1980,TAGANA,14-05-2018,\"line 3: column 3"));
  // The clerk corrects the date in the rejects file and imports it as it is.
  const auto at = rej.find("32-08-1980");
  REQUIRE(at != std::string::npos);
  rej.replace(at, 10, "17-08-1980");
  write_file(rejects, rej);
  r = a.run({"import", rejects, "--rejects", a.dir().file("again.csv")});
  CHECK(r.rc == 0);
  CHECK(contains(r.out, "(1 rows: 1 recorded, 0 already enrolled, 0 rejected"));
  CHECK(a.count("SELECT count(*) FROM entries") == 2);
}

TEST_CASE("a person already enrolled here with another name is a conflict; the same person is already there") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string first = a.dir().file("first.csv"), second = a.dir().file("second.csv");
  write_file(first, "NIK,Nama,Tgl Lahir,Pekerjaan,Mulai\n3578011708800001,Joko Widodo,17-08-1980,TAGANA,14-05-2018\n");
  REQUIRE(a.run({"import", first}).rc == 0);
  write_file(second,
             "NIK,Nama,Tgl Lahir,Pekerjaan,Mulai\n"
             "3578011708800001,JOKO WIDODO,17/8/1980,tagana,14-05-2018\n"
             "3578011708800001,Joko Widada,17-08-1980,TAGANA,14-05-2018\n");
  auto r = a.run({"import", second});
  CHECK(r.rc == 10);
  CHECK(contains(r.out, "(2 rows: 0 recorded, 1 already enrolled, 1 rejected (1 conflicts))"));
  CHECK(contains(slurp(second + ".rejects.csv"), "line 3: konflik / conflict"));
  CHECK(contains(slurp(second + ".rejects.csv"), "nama/name 'Joko Widodo' (file: 'Joko Widada')"));
}

TEST_CASE("rows rejected and none recorded exits 3, and says nothing was recorded") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string csv = a.dir().file("bad.csv");
  write_file(csv, "NIK,Nama,Tgl Lahir,Pekerjaan,Mulai\n1234,Joko,17-08-1980,TAGANA,14-05-2018\n");
  auto r = a.run({"import", csv});
  CHECK(r.rc == 3);
  CHECK(contains(r.out, "(1 rows: 0 recorded, 0 already enrolled, 1 rejected"));
  CHECK(a.count("SELECT count(*) FROM entries") == 0);
}

TEST_CASE("a ';' list from Indonesian Excel and a tab-separated list are read by their separator") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string semi = a.dir().file("semi.csv"), tab = a.dir().file("tab.txt");
  write_file(semi,
             "NIK;Nama;Tgl Lahir;Pekerjaan;Penghasilan;Mulai\r\n"
             "3578011708800001;\"Widodo; Joko\";17-08-1980;TAGANA;1.500.000;14-05-2018\r\n");
  auto r = a.run({"import", semi});
  CHECK(r.rc == 0);
  CHECK(contains(r.out, "column separator ';'"));
  CHECK(a.count("SELECT count(*) FROM entries WHERE name = 'Widodo; Joko'") == 1);
  write_file(tab,
             "NIK\tNama\tTgl Lahir\tPekerjaan\tMulai\n3578011708800002\tBudi, S.Pd\t17-08-1980\tTKSK\t14-05-2018\n");
  r = a.run({"import", tab});
  CHECK(r.rc == 0);
  CHECK(contains(r.out, "column separator tab"));
  CHECK(a.count("SELECT count(*) FROM entries WHERE name = 'Budi, S.Pd'") == 1);
}

TEST_CASE("a Windows-1252 list is converted as a whole and the summary says so; other bytes refuse the file") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string csv = a.dir().file("ansi.csv");
  write_file(csv,
             "NIK,Nama,Tgl Lahir,Pekerjaan,Mulai\r\n"
             "3578011708800001,D\xE9"
             "d\xE9 \x93Jack\x94,17-08-1980,TAGANA,14-05-2018\r\n"
             "3578011708800002,Budi,17-08-1980,TAGANA,14-05-2018\r\n");
  auto r = a.run({"import", csv});
  CHECK(r.rc == 0);
  CHECK(contains(r.out, "read as Windows-1252 and converted to UTF-8"));
  CHECK(a.count("SELECT count(*) FROM entries WHERE name = 'Dédé “Jack”'") == 1);
  // 0x81 is neither UTF-8 nor Windows-1252: the whole file is refused, nothing recorded.
  const std::string other = a.dir().file("other.csv");
  write_file(other, "NIK,Nama,Tgl Lahir,Pekerjaan,Mulai\r\n3578011708800003,A\x81,17-08-1980,TAGANA,14-05-2018\r\n");
  r = a.run({"import", other});
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "neither UTF-8 nor Windows-1252"));
  CHECK(contains(r.err, "CSV UTF-8"));
  CHECK(a.count("SELECT count(*) FROM entries") == 2);
}

TEST_CASE("an .xlsx or .xls file is recognised by its bytes and refused with how to save it as CSV") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string xlsx = a.dir().file("daftar.csv");  // the name says CSV; the bytes say ZIP
  write_file(xlsx, std::string("PK\x03\x04\x14\x00\x06\x00", 8) + "[Content_Types].xml");
  auto r = a.run({"import", xlsx});
  CHECK(r.rc == 1);
  CHECK(contains(r.err, ".xlsx or .ods"));
  CHECK(contains(r.err, "save it as CSV UTF-8 in the spreadsheet: File → Save As → CSV UTF-8"));
  const std::string xls = a.dir().file("daftar.xls");
  write_file(xls, std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + std::string(64, '\0'));
  r = a.run({"import", xls});
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "Excel 97-2003"));
  CHECK(a.count("SELECT count(*) FROM entries") == 0);
}

TEST_CASE("an empty file and a header-only file are refused, and nothing is recorded") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string empty = a.dir().file("empty.csv"), header = a.dir().file("header.csv");
  write_file(empty, "");
  auto r = a.run({"import", empty});
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "the file is empty"));
  write_file(header, "\xEF\xBB\xBFNIK,Nama,Tgl Lahir,Pekerjaan,Mulai\r\n\r\n");
  r = a.run({"import", header});
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "the file has a header but no data rows"));
  CHECK(a.count("SELECT count(*) FROM entries") == 0);
}

TEST_CASE("an unknown column is listed with the nearest accepted name; a missing one says what is close") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string csv = a.dir().file("typo.csv");
  write_file(csv,
             "NIK,Nama,Tgl Lahir,Pekerjaan,Mulai,No HPP\n3578011708800001,Joko,17-08-1980,TAGANA,14-05-2018,0812\n");
  auto r = a.run({"import", csv});
  CHECK(contains(r.out, "unknown columns, not recorded: 'No HPP' (maksud Anda / did you mean: no hp (phone)?)"));
  write_file(csv, "NIK,Nama,Tgl Lahirr,Pekerjaan,Mulai\n3578011708800001,Joko,17-08-1980,TAGANA,14-05-2018\n");
  r = a.run({"import", csv});
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "column 'birth_date' is missing"));
  CHECK(contains(r.err, "'Tgl Lahirr' mirip / is close to it"));
}

TEST_CASE("files holding personal data are created 0600 whatever the umask") {
  const mode_t old = ::umask(022);
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string csv = a.dir().file("list.csv"), rejects = a.dir().file("rejects.csv");
  write_file(csv,
             "NIK,Nama,Tgl Lahir,Pekerjaan,Mulai\n3578011708800001,Joko,17-08-1980,TAGANA,14-05-2018\n1,X,1,Y,2\n");
  CHECK(a.run({"import", csv, "--rejects", rejects}).rc == 10);
  CHECK(mode_of(rejects) == 0600);
  CHECK(mode_of(a.data() + "/agent.db") == 0600);
  {  // SQLite gives the WAL and SHM files the store's mode, whatever the umask
    auto db = lontar::store::Db::open(a.data() + "/agent.db", lontar::store::OpenOptions{});
    REQUIRE(db.ok());
    REQUIRE((*db)->exec("CREATE TABLE IF NOT EXISTS mode_probe(x)").ok());
    CHECK(mode_of(a.data() + "/agent.db-wal") == 0600);
    CHECK(mode_of(a.data() + "/agent.db-shm") == 0600);
  }
  ::umask(old);
}

TEST_CASE("dates as partners write them, and how two-digit years resolve") {
  auto date = [](std::string_view t) {
    auto d = agent::parse_partner_date(t, 2026);
    return d.ok() ? domain::to_string(*d) : std::string("error");
  };
  CHECK(date("17-08-1980") == "1980-08-17");
  CHECK(date("17-8-1980") == "1980-08-17");
  CHECK(date("17/8/80") == "1980-08-17");
  CHECK(date("17.08.1980") == "1980-08-17");
  CHECK(date("17 Agustus 1980") == "1980-08-17");
  CHECK(date("17 Agt 1980") == "1980-08-17");
  CHECK(date("17-Aug-1980") == "1980-08-17");
  CHECK(date("1 Mei 2018") == "2018-05-01");
  CHECK(date("1980-08-17") == "1980-08-17");
  CHECK(date("1980-08-17 00:00:00") == "1980-08-17");
  CHECK(date("1/2/26") == "2026-02-01");  // not after the pivot year: this century
  CHECK(date("1/2/27") == "1927-02-01");  // after it: the last century
  CHECK(date("31/02/1980") == "error");
  CHECK(date("08/17/1980") == "error");  // month first is not a date here
  CHECK(date("17081980") == "error");
}

TEST_CASE("values: amounts, phones, NIKs, codes, relations and methods as people write them") {
  CHECK(*agent::parse_rupiah("Rp 24.000.000") == 24'000'000);
  CHECK(*agent::parse_rupiah("Rp. 1.500.000,00") == 1'500'000);
  CHECK(*agent::parse_rupiah("1,500,000") == 1'500'000);
  CHECK(!agent::parse_rupiah("1.5").ok());
  CHECK(!agent::parse_rupiah("24.000.00").ok());
  CHECK(*agent::parse_rupiah("1500000.00") == 1'500'000);
  CHECK(*agent::normalize_phone("+62 812-3456-7890") == "081234567890");
  CHECK(*agent::normalize_phone("62 812 3456 7890") == "081234567890");
  CHECK(*agent::normalize_phone("(0812) 3456.7890") == "081234567890");
  CHECK(*agent::normalize_phone("81234567890") == "081234567890");
  CHECK(*agent::clean_nik("'3578011708800001") == "3578011708800001");
  CHECK(*agent::clean_nik("3578 0117 0880 0001") == "3578011708800001");
  CHECK(*agent::clean_nik("3578011708800001.0") == "3578011708800001");
  CHECK(!agent::clean_nik("3.57801E+15").ok());
  CHECK(agent::normalize_code("kpm pkh") == "KPM_PKH");
  CHECK(agent::normalize_code(" Tagana ") == "TAGANA");
  CHECK(*agent::parse_relation("Istri") == "spouse");
  CHECK(*agent::parse_relation("orang tua") == "parent");
  CHECK(*agent::parse_relation("ANAK") == "child");
  CHECK(*agent::parse_method("Tunai") == domain::PayMethod::cash);
  CHECK(*agent::parse_method("transfer") == domain::PayMethod::bank);
  CHECK(agent::fold("Jenis Kelamin (L/P)") == "jeniskelaminlp");
  CHECK(agent::fold("Dédé") == "dede");
}

TEST_CASE("every East Java regency and city is read by code and by name, with and without Kab./Kota") {
  struct R {
    const char* code;
    const char* name;
    bool city;
  };
  const R east_java[] = {
      {"3501", "Pacitan", false},     {"3502", "Ponorogo", false},  {"3503", "Trenggalek", false},
      {"3504", "Tulungagung", false}, {"3505", "Blitar", false},    {"3506", "Kediri", false},
      {"3507", "Malang", false},      {"3508", "Lumajang", false},  {"3509", "Jember", false},
      {"3510", "Banyuwangi", false},  {"3511", "Bondowoso", false}, {"3512", "Situbondo", false},
      {"3513", "Probolinggo", false}, {"3514", "Pasuruan", false},  {"3515", "Sidoarjo", false},
      {"3516", "Mojokerto", false},   {"3517", "Jombang", false},   {"3518", "Nganjuk", false},
      {"3519", "Madiun", false},      {"3520", "Magetan", false},   {"3521", "Ngawi", false},
      {"3522", "Bojonegoro", false},  {"3523", "Tuban", false},     {"3524", "Lamongan", false},
      {"3525", "Gresik", false},      {"3526", "Bangkalan", false}, {"3527", "Sampang", false},
      {"3528", "Pamekasan", false},   {"3529", "Sumenep", false},   {"3571", "Kediri", true},
      {"3572", "Blitar", true},       {"3573", "Malang", true},     {"3574", "Probolinggo", true},
      {"3575", "Pasuruan", true},     {"3576", "Mojokerto", true},  {"3577", "Madiun", true},
      {"3578", "Surabaya", true},     {"3579", "Batu", true},
  };
  int count = 0;
  for (const auto& r : east_java) {
    CAPTURE(r.code);
    const std::string full = std::string(r.city ? "Kota " : "Kabupaten ") + r.name;
    CHECK(agent::region_name(r.code).value_or("") == full);
    CHECK(*agent::parse_regency(r.code, "3578") == r.code);
    CHECK(*agent::parse_regency(std::string(r.code).insert(2, "."), "3578") == r.code);
    CHECK(*agent::parse_regency(full, "3578") == r.code);
    const std::string shortened = std::string(r.city ? "KOTA " : "Kab. ") + r.name;
    CHECK(*agent::parse_regency(shortened, "3578") == r.code);
    // A bare name is the NIK's regency when it is one of those it can mean.
    CHECK(*agent::parse_regency(r.name, r.code) == r.code);
    ++count;
  }
  CHECK(count == 38);
  CHECK(std::count_if(agent::regency_table().begin(), agent::regency_table().end(),
                      [](const agent::Regency& r) { return r.code.starts_with("35") && r.code.size() == 4; }) == 38);
  CHECK(std::count_if(agent::regency_table().begin(), agent::regency_table().end(),
                      [](const agent::Regency& r) { return r.code.size() == 4; }) == 514);
  // Ambiguous without the NIK's help; unknown codes and names say so.
  auto malang = agent::parse_regency("Malang", "3578");
  REQUIRE(!malang.ok());
  CHECK(contains(malang.error().message, "Kabupaten Malang (3507), Kota Malang (3573)"));
  CHECK(!agent::parse_regency("3599", "3578").ok());
  CHECK(*agent::parse_regency("Kotabaru", "") == "6302");  // a regency whose name starts with "Kota"
  CHECK(*agent::parse_regency("Kota Kotamobagu", "") == "7174");
  CHECK(*agent::parse_regency("Kab. Administrasi Kepulauan Seribu", "") == "3101");
}

TEST_CASE("typed records accept what import accepts, name the flag in errors and refuse future dates") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  auto r = a.run({"enroll", "--nik", "'3578 0117 0880 0001", "--name", "Joko", "--birth-date", "17 Agustus 1980",
                  "--occupation", "tagana", "--regency", "Kota Surabaya", "--coverage-start", "14/5/2018", "--income",
                  "Rp 1.500.000", "--phone", "+62 812-3456-7890"});
  CHECK(r.rc == 0);
  auto joko = stored_enrollment(a, "3578011708800001");
  CHECK(joko.occupation == "TAGANA");
  CHECK(joko.declared_income == 1'500'000);
  CHECK(joko.phone == "081234567890");
  r = a.run({"contribute", "--nik", "3578011708800001", "--first-month", "Mei 2018", "--jkk", "30.000", "--jkm",
             "Rp 20.400", "--receipt", "KW/1"});
  CHECK(r.rc == 0);
  r = a.run({"enroll", "--nik", "3578011708800002", "--name", "Budi", "--birth-date", "17-08-2099", "--occupation",
             "TAGANA", "--coverage-start", "2018-05-14"});
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "--birth-date: birth date ada di masa depan / is in the future: 2099-08-17 is after today"));
  r = a.run({"pay", "--claim-no", "X/1", "--amount", "24.000.00", "--beneficiary", "Siti", "--reference", "T1"});
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "--amount: '24.000.00' bukan jumlah rupiah"));
  r = a.run({"claim", "--claim-no", "X/1", "--nik", "3578011708800001", "--event-date", "1/1/2099", "--claimant-name",
             "Siti", "--claimant-relation", "istri"});
  CHECK(r.rc == 1);
  CHECK(contains(r.err, "--event-date: event date ada di masa depan"));
  CHECK(a.count("SELECT count(*) FROM entries") == 2);
}

TEST_CASE(
    "after a name correction, a re-imported row with the corrected name is already there, the old one a conflict") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  const std::string first = a.dir().file("first.csv"), second = a.dir().file("second.csv");
  write_file(first, "NIK,Nama,Tgl Lahir,Pekerjaan,Mulai\n3578011708800001,Joko Widada,17-08-1980,TAGANA,14-05-2018\n");
  REQUIRE(a.run({"import", first}).rc == 0);
  REQUIRE(a.run({"update", "--nik", "3578011708800001", "--name", "Joko Widodo"}).rc == 0);
  write_file(second,
             "NIK,Nama,Tgl Lahir,Pekerjaan,Mulai\n"
             "3578011708800001,Joko Widodo,17-08-1980,TAGANA,14-05-2018\n"
             "3578011708800001,Joko Widada,17-08-1980,TAGANA,14-05-2018\n");
  auto r = a.run({"import", second});
  CHECK(r.rc == 10);
  CHECK(contains(r.out, "(2 rows: 0 recorded, 1 already enrolled, 1 rejected (1 conflicts))"));
  CHECK(contains(slurp(second + ".rejects.csv"), "line 3: konflik / conflict"));
  CHECK(contains(slurp(second + ".rejects.csv"), "nama/name 'Joko Widodo' (file: 'Joko Widada')"));
}
