// lontar-audit — independent verification of the ledger, and reports.
//
// Exit codes: 0 the audit passed (or the report was written); 1 the audit found
// something wrong (each finding printed); 2 the audit could not run (bad options,
// unusable state folder, I/O).
#include <fcntl.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "audit_state.hpp"
#include "report.hpp"
#include "report_html.hpp"
#include "source.hpp"
#include "verify.hpp"

namespace {

using namespace lontar;
using namespace lontar::audit;

constexpr int exit_passed = 0;
constexpr int exit_findings = 1;
constexpr int exit_error = 2;

struct SourceOptions {
  std::string dir;
  HttpsOptions https;
};

int fail(const Error& e) {
  std::cerr << "lontar-audit: " << code_name(e.code) << ": " << e.message << "\n";
  return exit_error;
}

Result<std::unique_ptr<Source>> open_source(const SourceOptions& o) {
  if (!o.dir.empty() && !o.https.url.empty()) return Error{Code::bad_input, "give --dir or --server, not both"};
  if (!o.dir.empty()) return make_dir_source(o.dir);
  if (!o.https.url.empty()) return make_https_source(o.https);
  return Error{Code::bad_input, "give --dir <export folder> or --server <https URL>"};
}

void add_source_options(CLI::App* cmd, SourceOptions& o) {
  cmd->add_option("--dir", o.dir, "an export folder in C2SP tlog-tiles layout (lontar-server export)");
  cmd->add_option("--server", o.https.url, "the log server, https://host[:port]");
  cmd->add_option("--cert", o.https.cert_file, "the auditor's client certificate (PEM), for --server");
  cmd->add_option("--key-file", o.https.key_file, "the auditor's private key (PEM), for --server");
  cmd->add_option("--server-key", o.https.server_key, "the server's TLS public key to pin (64 hex digits)");
  cmd->add_option("--ca", o.https.ca_file, "a CA bundle that signs the server's certificate");
}

int run_verify(const SourceOptions& so, const VerifyOptions& vo, bool json) {
  auto source = open_source(so);
  if (!source.ok()) return fail(source.error());
  auto report = verify(**source, vo);
  if (!report.ok()) return fail(report.error());
  if (json) {
    std::cout << to_json(*report) << "\n";
  } else {
    for (const auto& f : report->findings.kept()) std::cout << to_line(f) << "\n";
    if (report->findings.total() > report->findings.kept().size()) {
      std::cout << "... and " << report->findings.total() - report->findings.kept().size() << " more findings\n";
    }
    std::cout << summary_line(*report) << "\n";
  }
  return report->passed() ? exit_passed : exit_findings;
}

struct HtmlOptions {
  std::string file;  // --html: write the page here ("" = no page)
  std::string lang = "id";
};

// Writes the page to `file` through a temporary file renamed into place (mode 0600:
// the reasons may name people), so a reader never sees half a page.
Status write_html_file(AuditState& state, const VerifyReport* run, const HtmlOptions& h) {
  auto lang = i18n::parse_lang(h.lang);
  if (!lang) return Error{Code::bad_input, "--lang: '" + h.lang + "' is not id or en"};
  std::ostringstream page;
  LONTAR_TRY(write_html_report(state, run, *lang, page));
  const std::string tmp = h.file + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error{Code::io, "--html " + h.file + ": cannot create " + tmp + ": " + std::strerror(errno)};
  const std::string text = page.str();
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error{Code::io, "--html " + h.file + ": write failed: " + why};
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || std::rename(tmp.c_str(), h.file.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Error{Code::io, "--html " + h.file + ": " + std::strerror(errno)};
  }
  return {};
}

int run_report(const SourceOptions& so, const VerifyOptions& vo, ReportFormat format, const HtmlOptions& h) {
  std::optional<VerifyReport> run;
  if (!so.dir.empty() || !so.https.url.empty()) {
    // Audit first (into the state folder), then report what was audited.
    auto source = open_source(so);
    if (!source.ok()) return fail(source.error());
    auto v = verify(**source, vo);
    if (!v.ok()) return fail(v.error());
    if (!v->passed()) {
      std::cerr << "lontar-audit: the audit failed; the report covers only what was accepted before\n"
                << summary_line(*v) << "\n";
    }
    run = std::move(*v);
  }
  auto state = AuditState::open_existing(vo.state_dir);
  if (!state.ok()) return fail(state.error());
  if (!h.file.empty()) {
    auto st = write_html_file(**state, run ? &*run : nullptr, h);
    if (!st.ok()) return fail(st.error());
    std::cout << "report written to " << h.file << "\n";
    return run && !run->passed() ? exit_findings : exit_passed;
  }
  auto st = write_report(**state, format, std::cout);
  if (!st.ok()) return fail(st.error());
  return exit_passed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lontar-audit — independent verification of the ledger, and reports"};
  app.set_version_flag("--version", "lontar-audit 0.1.0");
  app.require_subcommand(1);

  SourceOptions so;
  VerifyOptions vo;
  vo.state_dir = "lontar-audit-state";
  bool json = false;
  bool csv = false;

  auto* verify_cmd = app.add_subcommand(
      "verify",
      "verify the log: checkpoint, consistency, Merkle root, tiles, chains, seals, verdicts; exit 0 only if all hold");
  add_source_options(verify_cmd, so);
  verify_cmd->add_option("--key", vo.verifier_key, "the log's verifier key <name>+<hex id>+<base64 key>")->required();
  verify_cmd->add_option("--state", vo.state_dir, "the auditor's state folder (remembers what was audited)");
  verify_cmd->add_flag("--json", json, "print the result as JSON");
  verify_cmd->add_flag("--from-start", vo.from_start,
                       "after the leaves added since the last run, audit every leaf again from the first: finds old "
                       "leaves or tiles changed on the server's disk since they were audited");
  verify_cmd->add_option("--sample", vo.sample,
                         "after the leaves added since the last run, re-read N leaves audited before, at random, and "
                         "prove each into the signed tree: finds, over many runs, old leaves or tiles changed on the "
                         "server's disk at a small cost per run");

  auto* report_cmd = app.add_subcommand(
      "report", "enrollments, contributions, claims, payouts by office, programme, occupation and month; exceptions");
  add_source_options(report_cmd, so);
  report_cmd->add_option("--key", vo.verifier_key, "the log's verifier key (with --dir or --server: audit first)");
  report_cmd->add_option("--state", vo.state_dir, "the auditor's state folder");
  auto* csv_flag = report_cmd->add_flag("--csv", csv, "CSV for spreadsheets");
  auto* json_flag = report_cmd->add_flag("--json", json, "JSON for tools")->excludes(csv_flag);
  HtmlOptions html;
  report_cmd
      ->add_option("--html", html.file,
                   "write one self-contained HTML page (charts, tables; prints on A4) to FILE instead of tables; "
                   "exit 1 if the audit made with --dir/--server failed")
      ->excludes(csv_flag)
      ->excludes(json_flag);
  report_cmd->add_option("--lang", html.lang, "language of the HTML page: id (Bahasa Indonesia) or en")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  if (verify_cmd->parsed()) return run_verify(so, vo, json);
  if ((!so.dir.empty() || !so.https.url.empty()) && vo.verifier_key.empty()) {
    return fail(Error{Code::bad_input, "report --dir/--server audits first: give the log's --key"});
  }
  return run_report(so, vo, csv ? ReportFormat::csv : json ? ReportFormat::json : ReportFormat::table, html);
}
