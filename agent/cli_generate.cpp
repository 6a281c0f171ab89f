// lontar-agent generate-partner-csv: a plausible partner list (quick start, benchmarks).
#include <fmt/format.h>

#include "cli.hpp"
#include "generate.hpp"

namespace lontar::agent::cli {

void add_generate(CLI::App& app, Context& ctx) {
  struct O : GenerateOptions {
    std::string out_text;
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand("generate-partner-csv",
                                 "write a plausible DINSOS-JATIM enrollment list (East Java NIKs, Indonesian headers)");
  cmd->add_option("--out", o->out_text, "the CSV file to write")->required();
  cmd->add_option("--tagana", o->tagana, "rows of disaster-response volunteers (TAGANA)");
  cmd->add_option("--tksk", o->tksk, "rows of sub-district social workers (TKSK)");
  cmd->add_option("--kpm-pkh", o->kpm_pkh, "rows of PKH family members (KPM_PKH)");
  cmd->add_option("--seed", o->seed, "random seed (same seed, same file)")->capture_default_str();
  cmd->add_option("--overlap-from", o->overlap_from, "an earlier generated list to repeat rows from");
  cmd->add_option("--overlap", o->overlap, "how many of its rows to repeat (people on both lists)");
  cmd->add_option("--sponsor", o->sponsor, "the sponsor column's value")->capture_default_str();
  cmd->callback([o, &ctx] {
    o->out = o->out_text;
    if (o->overlap > 0 && o->overlap_from.empty()) {
      ctx.exit_code = fail(Error{Code::bad_input, "--overlap needs --overlap-from FILE"});
      return;
    }
    auto n = generate_partner_csv(*o);
    if (!n.ok()) {
      ctx.exit_code = fail(n.error());
      return;
    }
    fmt::print("wrote {} rows to {}\n", *n, o->out.string());
  });
}

}  // namespace lontar::agent::cli
