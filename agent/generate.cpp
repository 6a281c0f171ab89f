#include "generate.hpp"

#include <fmt/format.h>
#include <array>
#include <random>
#include <string_view>
#include <unordered_set>

#include "csv.hpp"
#include "domain/domain.hpp"

namespace lontar::agent {

namespace {
constexpr std::array<std::string_view, 24> male_names = {
    "Agus",   "Budi",  "Slamet",   "Joko",     "Bambang",  "Hadi",     "Eko",     "Dwi",
    "Sugeng", "Wahyu", "Teguh",    "Heru",     "Yudi",     "Arif",     "Rudi",    "Fajar",
    "Imam",   "Ahmad", "Muhammad", "Suparman", "Sutrisno", "Purwanto", "Gunawan", "Didik"};
constexpr std::array<std::string_view, 24> female_names = {
    "Siti", "Sri",     "Dewi",  "Endang",  "Rina",     "Wulan",     "Ani",   "Lestari",
    "Nur",  "Yuliana", "Ratna", "Kartini", "Sulastri", "Indah",     "Fitri", "Ningsih",
    "Puji", "Tri",     "Umi",   "Yanti",   "Sumiati",  "Rahmawati", "Dian",  "Novi"};
constexpr std::array<std::string_view, 24> second_names = {
    "Santoso",  "Wibowo",  "Susanto",   "Hidayat", "Prasetyo", "Saputra", "Setiawan", "Kurniawan",
    "Rahayu",   "Wati",    "Handayani", "Suryani", "Purnomo",  "Nugroho", "Utomo",    "Hartono",
    "Siswanto", "Maulana", "Fauzi",     "Hasanah", "Wijaya",   "Pratama", "Kusuma",   "Sulistyo"};
struct Regency {
  std::string_view code, name;
};
constexpr std::array<Regency, 10> regencies = {{{"3578", "Surabaya"},
                                                {"3578", "Surabaya"},
                                                {"3578", "Surabaya"},
                                                {"3515", "Sidoarjo"},
                                                {"3525", "Gresik"},
                                                {"3573", "Kota Malang"},
                                                {"3509", "Jember"},
                                                {"3510", "Banyuwangi"},
                                                {"3524", "Lamongan"},
                                                {"3517", "Jombang"}}};
constexpr std::array<std::string_view, 10> streets = {"Rungkut Madya", "Kedung Baruk", "Ngagel Jaya", "Darmo Permai",
                                                      "Ahmad Yani",    "Diponegoro",   "Raya Gubeng", "Merdeka",
                                                      "Pahlawan",      "Sudirman"};

const std::vector<std::string> header = {"nik",   "nama",        "tgl_lahir", "jk",    "kab_kota", "pekerjaan",
                                         "wadah", "penghasilan", "program",   "mulai", "no_hp",    "alamat"};

std::string dotted(std::int64_t v) {  // 1500000 -> 1.500.000
  std::string s = std::to_string(v), out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out.push_back('.');
    out.push_back(s[i]);
  }
  return out;
}
}  // namespace

Result<std::uint64_t> generate_partner_csv(const GenerateOptions& o) {
  std::mt19937_64 rng(o.seed);
  auto pick = [&rng](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  LONTAR_ASSIGN(auto out, csv::Writer::create(o.out));
  LONTAR_TRY(out.write(header));
  std::unordered_set<std::string> used;
  std::uint64_t rows = 0;
  if (o.overlap > 0) {
    LONTAR_ASSIGN(auto in, csv::Reader::open(o.overlap_from));
    csv::Record rec;
    LONTAR_ASSIGN(bool any, in.next(rec));
    if (!any || rec.fields != header) {
      return Error{Code::bad_input, fmt::format("{}: --overlap-from must be a file written by generate-partner-csv",
                                                o.overlap_from.string())};
    }
    while (rows < o.overlap) {
      LONTAR_ASSIGN(bool more, in.next(rec));
      if (!more) break;
      used.insert(rec.fields.at(0));
      LONTAR_TRY(out.write(rec.fields));
      ++rows;
    }
  }
  struct Group {
    std::string_view occupation;
    std::uint64_t count;
  };
  for (const Group& g : {Group{"TAGANA", o.tagana}, Group{"TKSK", o.tksk}, Group{"KPM_PKH", o.kpm_pkh}}) {
    for (std::uint64_t i = 0; i < g.count; ++i) {
      const bool female = rng() % 3 == 0;
      const domain::Sex sex = female ? domain::Sex::female : domain::Sex::male;
      const domain::Date birth{static_cast<std::uint16_t>(1960 + pick(41)), static_cast<std::uint8_t>(1 + pick(12)),
                               static_cast<std::uint8_t>(1 + pick(28))};
      const Regency& reg = regencies[pick(regencies.size())];
      std::string nik;
      do {
        LONTAR_ASSIGN(auto n, domain::make_nik(reg.code, fmt::format("{:02}", 1 + pick(31)), birth, sex,
                                               static_cast<std::uint16_t>(1 + pick(9999))));
        nik = n.str();
      } while (!used.insert(nik).second);
      std::string name =
          fmt::format("{} {}", female ? female_names[pick(female_names.size())] : male_names[pick(male_names.size())],
                      second_names[pick(second_names.size())]);
      LONTAR_TRY(out.write({nik, name, fmt::format("{:02}-{:02}-{:04}", birth.day, birth.month, birth.year),
                            female ? "P" : "L", std::string(reg.code), std::string(g.occupation), o.sponsor,
                            dotted(1'000'000 + static_cast<std::int64_t>(pick(30)) * 100'000), "JKK+JKM",
                            o.coverage_start, fmt::format("08{}{:08}", 11 + pick(89), pick(100'000'000)),
                            fmt::format("Jl. {} No. {}, RT {:02}/RW {:02}, {}", streets[pick(streets.size())],
                                        1 + pick(200), 1 + pick(12), 1 + pick(9), reg.name)}));
      ++rows;
    }
  }
  LONTAR_TRY(out.close());
  return rows;
}

}  // namespace lontar::agent
