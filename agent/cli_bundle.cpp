// lontar-agent import-bundle: the receipts bundle carried back from
// `lontar-server import` (bundle.hpp).
#include <fmt/format.h>
#include <cstdio>

#include "bundle.hpp"
#include "cli.hpp"
#include "sync.hpp"

namespace lontar::agent::cli {

namespace {

struct BundleArgs {
  std::string file;
  std::string server_key;
};

int import_bundle_command(Context& ctx, const BundleArgs& a) {
  auto office = open(ctx);
  if (!office.ok()) return fail(office.error());
  auto r = import_bundle(*office, a.file, a.server_key);
  if (!r.ok()) {
    if (r.error().code == Code::history_changed) {
      print_incident(r.error());
      return exit_incident;
    }
    fmt::print(stderr, "refused: {}\n", r.error().message);
    return exit_for(r.error().code);
  }
  if (r->already_imported) {
    fmt::print("already imported: the {} receipts of {} are all stored here; nothing changed\n", r->receipts, a.file);
    return exit_ok;
  }
  fmt::print(
      "imported {}: {} entries acknowledged in {} batches ({} accepted, {} rejected, {} flagged); checkpoint tree "
      "size {}\n",
      a.file, r->acknowledged, r->batches, r->accepted, r->rejected, r->flagged, r->checkpoint_size);
  fmt::print(
      "the replica of other offices' entries is not updated by a bundle: the next `lontar-agent sync` pulls it\n");
  if (r->rejected || r->flagged) {
    fmt::print("see `lontar-agent list --entries --verdict rejected` (or flagged) for the reasons\n");
  }
  return exit_ok;
}

}  // namespace

void add_bundle(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<BundleArgs>();
  auto* cmd = app.add_subcommand(
      "import-bundle",
      "no network at all: store the receipts bundle that `lontar-server import --batch FILE` wrote for this "
      "office's `export`. It is verified as a sync is (the log key's signature on the checkpoint and on the file, "
      "consistency with the checkpoint this office accepted, inclusion of every seal and entry leaf with its "
      "verdict); then the verdicts are stored, the entries count as synced and the checkpoint advances, in one "
      "transaction. Importing it again changes nothing. The feed is not pulled: other offices' entries reach the "
      "replica at the next network sync. Exit 7 (incident) when the server's own signed answers show its history "
      "changed; exit 5 when the file was altered or damaged (nothing stored)");
  cmd->add_option("FILE", a->file, "the receipts bundle (default name: the export file's name + .receipts)")
      ->required();
  cmd->add_option("--server-key", a->server_key, "the log's verifier key to pin (default: the one given to init)");
  cmd->callback([a, &ctx] { ctx.exit_code = import_bundle_command(ctx, *a); });
}

}  // namespace lontar::agent::cli
