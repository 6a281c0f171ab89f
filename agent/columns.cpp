#include "columns.hpp"

#include <fmt/format.h>
#include <algorithm>

#include "values.hpp"

namespace lontar::agent {

namespace {
// Known headers with no field in an entry: listed as "not recorded".
constexpr std::string_view not_recorded[] = {
    "tempat lahir", "tempat lhr", "tmp lahir",  "tempat tanggal lahir", "ttl",    "no",
    "nomor",        "no urut",    "nomor urut", "keterangan",           "ket",    "catatan",
    "email",        "e-mail",     "agama",      "status perkawinan",    "status", "nama ibu kandung",
    "provinsi",     "kode pos",   "pendidikan", "kewarganegaraan",      "no kk",  "nomor kk",
};
constexpr std::string_view reason_headers[] = {"reason", "alasan"};

// Edit distance of two folded names, for "did you mean".
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The accepted name nearest to a folded header, when it is close enough to be a typo.
std::string nearest(const std::vector<FieldSpec>& specs, const std::string& folded) {
  std::size_t best = std::string::npos;
  std::string name;
  for (const auto& spec : specs) {
    for (auto alias : spec.aliases) {
      const std::size_t d = distance(folded, fold(alias));
      if (d < best) {
        best = d;
        name = fmt::format("{} ({})", alias, spec.name);
      }
    }
  }
  return best <= std::max<std::size_t>(2, folded.size() / 3) ? name : std::string();
}

bool folded_in(const std::string& folded, std::span<const std::string_view> names) {
  return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return fold(n) == folded; });
}

std::string flag_for(std::string_view field) {
  if (field == "coverage_start") return " or pass --coverage-start for every row";
  if (field == "first_month") return " or pass --first-month for every row";
  if (field == "occupation") return " or pass --occupation for every row";
  return "";
}
}  // namespace

const std::vector<FieldSpec>& field_specs(ImportKind kind) {
  static const std::vector<FieldSpec> enroll = {
      {"nik",
       {"nik", "no ktp", "no. ktp", "nomor ktp", "ktp", "nik ktp", "no nik", "nomor nik", "nik peserta",
        "nomor induk kependudukan", "no identitas", "nomor identitas", "nik/no ktp"},
       true},
      {"name",
       {"name", "nama", "nama lengkap", "nama peserta", "full name", "nama sesuai ktp", "nama pekerja",
        "nama tenaga kerja", "nama anggota"},
       true},
      {"birth_date",
       {"birth_date", "tgl lahir", "tgl. lahir", "tanggal lahir", "tgl lhr", "date of birth", "dob", "birth date",
        "tanggal lhr"},
       true},
      {"sex", {"sex", "jk", "jenis kelamin", "jenis kelamin (l/p)", "l/p", "kelamin", "gender"}, false},
      {"regency",
       {"regency", "regency_code", "kab/kota", "kab kota", "kabupaten/kota", "kabupaten", "kota", "kode kab/kota",
        "kode kabupaten", "kode wilayah", "kab/kota domisili"},
       false},
      {"occupation",
       {"occupation", "pekerjaan", "occupation_group", "kelompok", "jenis pekerjaan", "profesi", "kelompok peserta",
        "kategori"},
       true},
      {"sponsor",
       {"sponsor", "collective", "wadah", "nama wadah", "penanggung", "penanggung iuran", "instansi"},
       false},
      {"income",
       {"income", "declared_income", "penghasilan", "penghasilan per bulan", "penghasilan bulanan", "upah", "gaji"},
       false},
      {"programmes", {"programmes", "programs", "program", "programme", "program bpjs", "jenis program"}, false},
      {"coverage_start",
       {"coverage_start", "mulai", "tgl mulai", "tanggal mulai", "mulai kepesertaan", "start", "tmt", "tmt kepesertaan",
        "tgl kepesertaan", "tanggal kepesertaan", "tanggal efektif"},
       true},
      {"phone",
       {"phone", "telp", "telepon", "hp", "no hp", "no. hp", "nomor hp", "no telp", "no. telp", "no telepon",
        "nomor telepon", "handphone", "no wa", "nomor wa", "whatsapp", "no hp/wa", "telepon/hp"},
       false},
      {"address", {"address", "alamat", "alamat lengkap", "alamat rumah", "alamat domisili", "alamat ktp"}, false},
      {"rt_rw", {"rt/rw", "rt rw"}, false},
      {"village", {"kelurahan", "desa", "kelurahan/desa", "desa/kelurahan", "kel/desa", "kel"}, false},
      {"district", {"kecamatan", "kec", "district"}, false},
      {"heir_name", {"heir_name", "ahli waris", "nama ahli waris"}, false},
      {"heir_relation", {"heir_relation", "hubungan", "hubungan ahli waris", "hubungan keluarga"}, false},
      {"heir_nik", {"heir_nik", "nik ahli waris"}, false},
  };
  static const std::vector<FieldSpec> contribute = {
      {"nik", {"nik", "no ktp", "no. ktp", "nomor ktp", "ktp", "nik ktp", "nik peserta"}, true},
      {"name", {"name", "nama", "nama lengkap", "nama peserta"}, false},
      {"first_month", {"first_month", "bulan awal", "bulan", "month", "periode", "bulan iuran", "mulai bulan"}, true},
      {"months", {"months", "jumlah bulan", "lama", "bulan dibayar"}, false},
      {"jkk", {"jkk", "iuran jkk"}, false},
      {"jkm", {"jkm", "iuran jkm"}, false},
      {"jht", {"jht", "iuran jht"}, false},
      {"payer", {"payer", "pembayar", "sponsor", "dibayar oleh"}, false},
      {"receipt_no",
       {"receipt_no", "receipt", "no kuitansi", "kuitansi", "no kwitansi", "kwitansi", "nomor kuitansi", "no bukti",
        "nomor bukti", "no referensi"},
       true},
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
  map.width = header.size();
  while (map.width > 0 && fold(header[map.width - 1]).empty()) --map.width;
  for (std::size_t c = 0; c < map.width; ++c) {
    const std::string h = fold(header[c]);
    bool matched = false;
    for (std::size_t f = 0; f < specs.size() && !matched; ++f) {
      if (!folded_in(h, specs[f].aliases)) continue;
      matched = true;
      if (map.column[f]) {
        return Error{
            Code::bad_input,
            fmt::format("header: kolom {} ('{}') dan {} ('{}') sama-sama berarti '{}' / columns {} and {} both "
                        "mean '{}'; ganti nama atau hapus salah satu / rename or remove one",
                        *map.column[f] + 1, header[*map.column[f]], c + 1, header[c], specs[f].name, *map.column[f] + 1,
                        c + 1, specs[f].name)};
      }
      map.column[f] = c;
    }
    if (matched) continue;
    if (folded_in(h, reason_headers)) {
      map.reason = c;
    } else if (h.empty() || folded_in(h, not_recorded)) {
      map.unused.push_back(UnusedColumn{c, header[c], "", !h.empty()});
    } else {
      map.unused.push_back(UnusedColumn{c, header[c], nearest(specs, h), false});
    }
  }
  for (std::size_t f = 0; f < specs.size(); ++f) {
    const bool defaulted =
        std::find(defaults_given.begin(), defaults_given.end(), specs[f].name) != defaults_given.end();
    if (specs[f].required && !map.column[f] && !defaulted) {
      std::string names;
      for (auto a : specs[f].aliases) names += (names.empty() ? "" : ", ") + std::string(a);
      std::string near;
      for (const auto& u : map.unused) {
        if (u.suggestion.find("(" + std::string(specs[f].name) + ")") != std::string::npos) {
          near = fmt::format("; kolom / column '{}' mirip / is close to it", u.header);
        }
      }
      return Error{Code::bad_input,
                   fmt::format("header: kolom '{}' tidak ada / column '{}' is missing (nama yang diterima / accepted "
                               "names: {}){}; tambahkan kolom itu / add the column{}",
                               specs[f].name, specs[f].name, names, near, flag_for(specs[f].name))};
    }
  }
  return map;
}

}  // namespace lontar::agent
