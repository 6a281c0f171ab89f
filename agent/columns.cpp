#include "columns.hpp"

#include <fmt/format.h>
#include <algorithm>

namespace lontar::agent {

namespace {
std::string normalize(std::string_view h) {
  while (!h.empty() && (h.front() == ' ' || h.front() == '\t')) h.remove_prefix(1);
  while (!h.empty() && (h.back() == ' ' || h.back() == '\t')) h.remove_suffix(1);
  std::string out;
  for (char c : h) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == ' ' || c == '-' || c == '.') c = '_';
    out.push_back(c);
  }
  return out;
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

const std::vector<FieldSpec>& field_specs(ImportKind kind) {
  static const std::vector<FieldSpec> enroll = {
      {"nik", {"nik", "no_ktp", "nomor_ktp", "ktp", "nomor_induk_kependudukan"}, true},
      {"name", {"name", "nama", "nama_lengkap", "full_name"}, true},
      {"birth_date", {"birth_date", "tgl_lahir", "tanggal_lahir", "date_of_birth", "dob"}, true},
      {"sex", {"sex", "jk", "jenis_kelamin", "gender", "l/p"}, false},
      {"regency", {"regency", "regency_code", "kab_kota", "kode_kab_kota", "kode_kabupaten"}, false},
      {"occupation", {"occupation", "pekerjaan", "occupation_group", "kelompok"}, true},
      {"sponsor", {"sponsor", "collective", "wadah", "penanggung"}, false},
      {"income", {"income", "declared_income", "penghasilan", "upah"}, false},
      {"programmes", {"programmes", "programs", "program", "programme"}, false},
      {"coverage_start", {"coverage_start", "mulai", "tgl_mulai", "mulai_kepesertaan", "start"}, true},
      {"phone", {"phone", "telp", "telepon", "hp", "no_hp"}, false},
      {"address", {"address", "alamat"}, false},
      {"heir_name", {"heir_name", "ahli_waris", "nama_ahli_waris"}, false},
      {"heir_relation", {"heir_relation", "hubungan", "hubungan_ahli_waris"}, false},
      {"heir_nik", {"heir_nik", "nik_ahli_waris"}, false},
  };
  static const std::vector<FieldSpec> contribute = {
      {"nik", {"nik", "no_ktp", "nomor_ktp", "ktp"}, true},
      {"first_month", {"first_month", "bulan_awal", "bulan", "month"}, true},
      {"months", {"months", "jumlah_bulan", "lama"}, false},
      {"jkk", {"jkk", "iuran_jkk"}, false},
      {"jkm", {"jkm", "iuran_jkm"}, false},
      {"jht", {"jht", "iuran_jht"}, false},
      {"payer", {"payer", "pembayar", "sponsor"}, false},
      {"receipt_no", {"receipt_no", "receipt", "no_kuitansi", "kuitansi", "no_bukti"}, true},
  };
  return kind == ImportKind::enroll ? enroll : contribute;
}

std::optional<std::size_t> ColumnMap::find(std::string_view field) const {
  const auto& specs = field_specs(kind);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == field) return column[i];
  }
  return std::nullopt;
}

Result<ColumnMap> map_columns(ImportKind kind, const std::vector<std::string>& header,
                              const std::vector<std::string_view>& defaults_given) {
  const auto& specs = field_specs(kind);
  ColumnMap map;
  map.kind = kind;
  map.column.assign(specs.size(), std::nullopt);
  for (std::size_t c = 0; c < header.size(); ++c) {
    const std::string h = normalize(header[c]);
    bool matched = false;
    for (std::size_t f = 0; f < specs.size() && !matched; ++f) {
      if (std::find(specs[f].aliases.begin(), specs[f].aliases.end(), h) == specs[f].aliases.end()) continue;
      matched = true;
      if (map.column[f]) {
        return Error{Code::bad_input,
                     fmt::format("header: columns {} ('{}') and {} ('{}') both mean '{}'; rename or remove one",
                                 *map.column[f] + 1, header[*map.column[f]], c + 1, header[c], specs[f].name)};
      }
      map.column[f] = c;
    }
    if (!matched) map.ignored.push_back(header[c]);
  }
  for (std::size_t f = 0; f < specs.size(); ++f) {
    const bool defaulted =
        std::find(defaults_given.begin(), defaults_given.end(), specs[f].name) != defaults_given.end();
    if (specs[f].required && !map.column[f] && !defaulted) {
      std::string names;
      for (auto a : specs[f].aliases) names += (names.empty() ? "" : ", ") + std::string(a);
      return Error{
          Code::bad_input,
          fmt::format(
              "header: column '{}' is missing (accepted names: {}); add the column{}", specs[f].name, names,
              specs[f].name == "coverage_start" || specs[f].name == "occupation" || specs[f].name == "first_month"
                  ? fmt::format(" or pass --{} for every row", specs[f].name == "coverage_start" ? "coverage-start"
                                                               : specs[f].name == "first_month"  ? "first-month"
                                                                                                 : "occupation")
                  : std::string())};
    }
  }
  return map;
}

Result<domain::Date> parse_partner_date(std::string_view t) {
  if (t.size() == 10 && (t[2] == '-' || t[2] == '/') && t[5] == t[2]) {
    std::string iso = fmt::format("{}-{}-{}", t.substr(6, 4), t.substr(3, 2), t.substr(0, 2));
    if (digits(t.substr(0, 2)) && digits(t.substr(3, 2)) && digits(t.substr(6, 4))) return domain::parse_date(iso);
  }
  auto d = domain::parse_date(t);
  if (!d.ok()) {
    return Error{Code::bad_input, fmt::format("'{}' is not a date; write YYYY-MM-DD, DD-MM-YYYY or DD/MM/YYYY",
                                              std::string(t).substr(0, 40))};
  }
  return d;
}

Result<domain::Rupiah> parse_rupiah(std::string_view t) {
  std::string_view s = t;
  if (s.size() >= 2 && (s.substr(0, 2) == "Rp" || s.substr(0, 2) == "RP")) s.remove_prefix(2);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  auto bad = [&] {
    return Error{Code::bad_input, fmt::format("'{}' is not an amount in rupiah; write whole rupiah, e.g. 1500000 or "
                                              "1.500.000",
                                              std::string(t).substr(0, 40))};
  };
  if (s.empty()) return bad();
  std::string plain;
  const char sep = s.find('.') != std::string_view::npos ? '.' : ',';
  std::size_t group = 0;
  bool seen_sep = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == sep && (s.find('.') != std::string_view::npos) != (s.find(',') != std::string_view::npos)) {
      if ((seen_sep && group != 3) || (!seen_sep && (group == 0 || group > 3))) return bad();
      seen_sep = true;
      group = 0;
      continue;
    }
    if (c < '0' || c > '9') return bad();
    plain.push_back(c);
    ++group;
  }
  if ((seen_sep && group != 3) || plain.size() > 15) return bad();
  return static_cast<domain::Rupiah>(std::stoll(plain));
}

domain::Sex sex_from_nik(std::string_view nik) {
  if (nik.size() >= 8 && digits(nik.substr(6, 2)) && (nik[6] - '0') * 10 + (nik[7] - '0') > 40) {
    return domain::Sex::female;
  }
  return domain::Sex::male;
}

}  // namespace lontar::agent
