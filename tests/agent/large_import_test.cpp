// A 200,000-row partner list through the real binary: every good row recorded
// once, every bad row in the rejects file with its line, column and fix.
// Registered in CTest as its own test, `agent_large_import` (label `large`),
// which the default run includes.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "agent_process.hpp"

using lontar::test::Agent;
using lontar::test::contains;
using lontar::test::slurp;
using lontar::test::write_file;
namespace domain = lontar::domain;

namespace {
constexpr int rows = 200'000;
constexpr const char* months_id[] = {"Januari", "Februari", "Maret",     "April",   "Mei",      "Juni",
                                     "Juli",    "Agustus",  "September", "Oktober", "November", "Desember"};

std::size_t count_of(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}
}  // namespace

TEST_CASE("a 200000-row list: every good row once, every bad row in the rejects file") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  std::string text = "\xEF\xBB\xBFNo;NIK KTP;Nama Lengkap;JK;Tgl Lahir;Kab/Kota;Pekerjaan;Mulai\r\n";
  text.reserve(static_cast<std::size_t>(rows) * 100);
  int bad_dates = 0, repeats = 0;
  std::vector<std::string> cells;  // each row after its number, for the rows typed twice
  cells.reserve(rows);
  for (int i = 0; i < rows; ++i) {
    const domain::Date birth{static_cast<std::uint16_t>(1960 + i % 40), static_cast<std::uint8_t>(1 + i % 12),
                             static_cast<std::uint8_t>(1 + i % 28)};
    const auto sex = i % 2 ? domain::Sex::female : domain::Sex::male;
    const std::string district = fmt::format("{:02}", 1 + i % 40);
    auto nik = domain::make_nik("3578", district, birth, sex, static_cast<std::uint16_t>(1 + i / 40));
    REQUIRE(nik.ok());
    std::string date;
    switch (i % 3) {
      case 0:
        date = fmt::format("{:02}-{:02}-{}", birth.day, birth.month, birth.year);
        break;
      case 1:
        date = fmt::format("{}/{}/{:02}", birth.day, birth.month, birth.year % 100);
        break;
      default:
        date = fmt::format("{} {} {}", birth.day, months_id[birth.month - 1], birth.year);
        break;
    }
    if (i % 1000 == 999) {
      date = "31/02/1980";
      ++bad_dates;
    }
    cells.push_back(fmt::format("{};\"Peserta {}, S.Pd\";{};{};Kota Surabaya;{};14/05/2018", nik->str(), i,
                                sex == domain::Sex::female ? "P" : "L", date, i % 2 ? "kpm pkh" : "Tagana"));
    if (i % 5000 == 2500) {
      cells.back() = cells[static_cast<std::size_t>(i - 2000)];  // typed twice: the person of 2,000 rows earlier
      ++repeats;
    }
    text += fmt::format("{};{}\r\n", i + 1, cells.back());
  }
  const std::string csv = a.dir().file("big.csv");
  write_file(csv, text);
  text.clear();
  auto r = a.run({"import", csv});
  CHECK(r.rc == 10);
  const int good = rows - bad_dates - repeats;
  CHECK(contains(
      r.out, fmt::format("({} rows: {} recorded, 0 already enrolled, {} rejected", rows, good, bad_dates + repeats)));
  CHECK(a.count("SELECT count(*) FROM entries") == good);
  CHECK(a.count("SELECT count(DISTINCT nik) FROM entries") == good);
  CHECK(a.count("SELECT count(*) FROM seals") == (good + 9'999) / 10'000);
  const std::string rej = slurp(csv + ".rejects.csv");
  CHECK(count_of(rej, "\r\n") == static_cast<std::size_t>(bad_dates + repeats + 1));
  CHECK(count_of(rej, "column 5 'Tgl Lahir' (birth_date): '31/02/1980' bukan tanggal yang ada") ==
        static_cast<std::size_t>(bad_dates));
  CHECK(count_of(rej, "NIK sama dengan baris") == static_cast<std::size_t>(repeats));
  // The first repeat is row 2,501 (file line 2,502), of the person on row 501 (line 502).
  CHECK(contains(rej, "line 2502: NIK sama dengan baris 502 file ini"));
}
