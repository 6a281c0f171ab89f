// lontar-agent import: a partner's enrollment or contribution list (CSV).
#include <unistd.h>

#include <fmt/format.h>

#include "cli.hpp"
#include "import.hpp"

namespace lontar::agent::cli {

namespace {
void print_summary(const std::string& file, ImportKind kind, const ImportSummary& s) {
  if (s.encoding == csv::Encoding::windows1252) {
    fmt::print(
        "catatan: file bukan UTF-8; seluruhnya dibaca sebagai Windows-1252 dan diubah ke UTF-8 / note: the file "
        "is not UTF-8; all of it was read as Windows-1252 and converted to UTF-8\n");
  }
  if (s.separator != ',') {
    fmt::print("catatan: pemisah kolom / note: column separator {}\n", s.separator == ';' ? "';'" : "tab");
  }
  std::string unknown, known;
  for (const auto& c : s.unused_columns) {
    const std::string name = c.header.empty() ? fmt::format("(kolom/column {} tanpa judul/without header)", c.index + 1)
                                              : "'" + c.header + "'";
    if (c.known || c.header.empty()) {
      known += (known.empty() ? "" : ", ") + name;
    } else {
      unknown += fmt::format("{}{}{}", unknown.empty() ? "" : "; ", name,
                             c.suggestion.empty() ? " (tidak ada yang mirip / nothing close)"
                                                  : " (maksud Anda / did you mean: " + c.suggestion + "?)");
    }
  }
  if (!unknown.empty()) {
    fmt::print("peringatan: kolom tidak dikenal, tidak dicatat / warning: unknown columns, not recorded: {}\n",
               unknown);
  }
  if (!known.empty()) {
    fmt::print(
        "catatan: kolom tanpa tempat di data peserta, tidak dicatat / note: columns with no field in the entry, "
        "not recorded: {}\n",
        known);
  }
  const char* already_id = kind == ImportKind::enroll ? "sudah terdaftar" : "sudah tercatat";
  const char* already_en = kind == ImportKind::enroll ? "already enrolled" : "already recorded";
  const std::string range = s.recorded ? fmt::format(" (#{}..#{}, {} segel/seal{})", s.first_seq, s.last_seq, s.seals,
                                                     s.seals == 1 ? "" : "s")
                                       : "";
  fmt::print("{}: {} baris: {} dicatat{}, {} {}, {} ditolak ({} konflik)\n", file, s.rows, s.recorded, range, s.already,
             already_id, s.rejected, s.conflicts);
  fmt::print("  ({} rows: {} recorded, {} {}, {} rejected ({} conflicts))\n", s.rows, s.recorded, s.already, already_en,
             s.rejected, s.conflicts);
  if (s.rejected) {
    fmt::print("baris yang ditolak dan alasannya / rejected rows with reasons: {}\n", s.rejects_file.string());
    fmt::print("perbaiki file itu lalu impor lagi / correct that file and import it again\n");
  }
}
}  // namespace

void add_import(CLI::App& app, Context& ctx) {
  struct O {
    ImportOptions opt;
    std::string file, kind = "enroll", rejects;
  };
  auto o = std::make_shared<O>();
  o->opt.operator_id = default_operator();
  auto* cmd = app.add_subcommand(
      "import",
      "impor daftar CSV mitra dalam satu commit bersegel; baris yang salah masuk ke file rejects /\n"
      "import a partner's CSV list in one sealed commit; bad rows go to a rejects file.\n"
      "Columns are matched by header, ignoring case, spaces and punctuation (README, \"Import\", lists all):\n"
      "  enroll:     NIK|No. KTP|NIK KTP, Nama|Nama Lengkap|Nama Peserta, Tgl. Lahir|Tanggal Lahir,\n"
      "              Jenis Kelamin|JK|L/P (default: from the NIK; checked against it), Kab/Kota|Kabupaten/Kota\n"
      "              (name or code; default: NIK digits 1-4), Pekerjaan (or --occupation), Wadah (or --sponsor),\n"
      "              Penghasilan (default 0), Program (or --programmes), Mulai|TMT (or --coverage-start),\n"
      "              No. HP|Telepon, Alamat, RT/RW, Kelurahan|Desa, Kecamatan, Ahli Waris, Hubungan, NIK Ahli Waris\n"
      "  contribute: NIK, Bulan Awal|Periode (or --first-month), Jumlah Bulan (default 1), JKK, JKM, JHT,\n"
      "              Pembayar (default --payer, --sponsor or SELF), No. Kuitansi|No. Bukti\n"
      "Dates: 17-08-1980, 17/8/1980, 17/8/80, 17 Agustus 1980, 17 Agt 1980, 1980-08-17 (day first; a\n"
      "two-digit year is the latest such year not after this one). Amounts: 1500000, 1.500.000, Rp 1.500.000.\n"
      "Separators ',', ';' or tab; UTF-8 (with or without BOM) or Windows-1252 (converted whole).\n"
      "Exit: 0 every row recorded or already there; 10 some rows rejected; 3 rows rejected and none recorded;\n"
      "1 the file cannot be imported (nothing recorded); 2 I/O error.");
  cmd->add_option("file", o->file, "the CSV file (UTF-8, with or without BOM; CRLF or LF)")->required();
  cmd->add_option("--kind", o->kind, "enroll or contribute")
      ->check(CLI::IsMember({"enroll", "contribute"}))
      ->capture_default_str();
  cmd->add_option("--rejects", o->rejects, "where to write rejected rows (default FILE.rejects.csv)");
  cmd->add_option("--sponsor", o->opt.sponsor, "sponsor for rows without one, e.g. DINSOS-JATIM");
  cmd->add_option("--occupation", o->opt.occupation, "occupation group for rows without one, e.g. TAGANA");
  cmd->add_option("--programmes", o->opt.programmes, "programmes for rows without them")->capture_default_str();
  cmd->add_option("--coverage-start", o->opt.coverage_start, "coverage start for rows without one, YYYY-MM-DD");
  cmd->add_option("--first-month", o->opt.first_month, "first month for rows without one, YYYY-MM");
  cmd->add_option("--payer", o->opt.payer, "payer for contribution rows without one");
  cmd->add_option("--operator", o->opt.operator_id, "the clerk's id (default $LONTAR_OPERATOR, else $USER)");
  cmd->add_flag("--confirm", o->opt.confirm, "record flagged rows too");
  cmd->callback([o, &ctx] {
    auto office = open(ctx);
    if (!office.ok()) {
      ctx.exit_code = fail(office.error());
      return;
    }
    auto opt = o->opt;
    opt.file = o->file;
    opt.rejects = o->rejects;
    opt.kind = o->kind == "contribute" ? ImportKind::contribute : ImportKind::enroll;
    opt.progress = ::isatty(STDERR_FILENO) != 0;
    auto s = import_csv(*office, opt);
    if (!s.ok()) {
      ctx.exit_code = fail(s.error());
      fmt::print(stderr, "tidak ada yang dicatat dari / nothing from {} was recorded\n", o->file);
      return;
    }
    print_summary(o->file, opt.kind, *s);
    if (s->rejected == 0) {
      ctx.exit_code = exit_ok;
    } else {
      ctx.exit_code = s->recorded == 0 && s->already == 0 ? exit_rejected : exit_partial;
    }
  });
}

}  // namespace lontar::agent::cli
