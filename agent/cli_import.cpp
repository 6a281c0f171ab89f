// lontar-agent import: a partner's enrollment or contribution list (CSV).
#include <unistd.h>

#include <fmt/format.h>

#include "cli.hpp"
#include "import.hpp"

namespace lontar::agent::cli {

void add_import(CLI::App& app, Context& ctx) {
  struct O {
    ImportOptions opt;
    std::string file, kind = "enroll", rejects;
  };
  auto o = std::make_shared<O>();
  o->opt.operator_id = default_operator();
  auto* cmd = app.add_subcommand(
      "import",
      "import a partner's CSV list in one sealed commit; bad rows go to a rejects file.\n"
      "Columns are matched by header (case-insensitive; English or Indonesian names):\n"
      "  enroll:     nik|no_ktp, name|nama, birth_date|tgl_lahir, sex|jk (default: from the NIK),\n"
      "              regency|kab_kota (default: NIK digits 1-4), occupation|pekerjaan (or --occupation),\n"
      "              sponsor|wadah (or --sponsor), income|penghasilan (default 0), programmes|program\n"
      "              (or --programmes), coverage_start|mulai (or --coverage-start), phone|no_hp,\n"
      "              address|alamat, heir_name|ahli_waris, heir_relation|hubungan, heir_nik\n"
      "  contribute: nik, first_month|bulan_awal (or --first-month), months|jumlah_bulan (default 1),\n"
      "              jkk, jkm, jht (amounts), payer|pembayar (default --payer, --sponsor or SELF),\n"
      "              receipt_no|no_kuitansi\n"
      "Dates: YYYY-MM-DD, DD-MM-YYYY or DD/MM/YYYY. Amounts: 1500000, 1.500.000 or Rp 1.500.000.");
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
      fmt::print(stderr, "nothing from {} was recorded\n", o->file);
      return;
    }
    if (!s->ignored_columns.empty()) {
      std::string cols;
      for (const auto& c : s->ignored_columns) cols += (cols.empty() ? "" : ", ") + c;
      fmt::print("note: ignored columns: {}\n", cols);
    }
    fmt::print("{}: {} rows: {} recorded", o->file, s->rows, s->recorded);
    if (s->recorded) fmt::print(" (#{}..#{}, one seal)", s->first_seq, s->last_seq);
    fmt::print(", {} already {}, {} rejected\n", s->already, opt.kind == ImportKind::enroll ? "enrolled" : "recorded",
               s->rejected);
    if (s->rejected) fmt::print("rejected rows with reasons: {}\n", s->rejects_file.string());
  });
}

}  // namespace lontar::agent::cli
