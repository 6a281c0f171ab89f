// lontar-agent recover: a new laptop for an office whose laptop was lost (recover.hpp).
#include <fmt/format.h>
#include <cstdio>

#include "cli.hpp"
#include "recover.hpp"

namespace lontar::agent::cli {

namespace {

struct RecoverArgs {
  RecoverOptions options;
};

void print_key(const RecoveryKey& k, const std::string& office, const std::string& data) {
  fmt::print("{} key for office {} in {}\n", k.created ? "new" : "earlier recover's", office, data);
  fmt::print("  public key:  {}\n", to_hex(k.public_key));
  fmt::print("  fingerprint: {}\n", crypto::fingerprint(k.public_key));
  fmt::print("  key file:    {}\n", k.key_file.string());
  std::fflush(stdout);
}

void print_not_registered(const RecoverOptions& o, const RecoveryKey& k, const Error& e) {
  const std::string hex = to_hex(k.public_key);
  fmt::print(stderr,
             "{}\n\n"
             "The server's admin must register this laptop's key for {} (read the fingerprint {} to them by phone),\n"
             "and revoke the lost laptop's key if that is not done yet:\n\n"
             "  lontar-server office add-key --id {} --key {} \\\n"
             "      --server {} --server-key \"{}\" --admin-key ADMIN.KEY\n"
             "  lontar-server office revoke --id {} --key <the lost key's hex> --reason \"laptop lost\" \\\n"
             "      --server {} --server-key \"{}\" --admin-key ADMIN.KEY\n\n"
             "Then run this same `lontar-agent recover` command again (it reuses the key made here).\n",
             e.message, o.office, crypto::fingerprint(k.public_key), o.office, hex, o.server_url, o.server_key,
             o.office, o.server_url, o.server_key);
}

void print_report(const RecoverReport& r, const std::string& data) {
  fmt::print("\nrecovered office {} ({}) into {}: {} entries up to seq {} (last synced)\n", r.office, r.name, data,
             r.entries, r.last_seq);
  fmt::print("  server verdicts: {} accepted, {} rejected, {} flagged; {} seals in the log", r.accepted, r.rejected,
             r.flagged, r.seals);
  if (!r.former_keys.empty()) {
    std::string keys;
    for (const auto& k : r.former_keys) keys += (keys.empty() ? "" : ", ") + k;
    fmt::print(", by the former key(s) {}", keys);
  }
  fmt::print("\n");
  fmt::print(
      "entries the lost laptop recorded after seq {} were never synced and are gone — re-enter them "
      "(from paper forms or the partner's lists)\n",
      r.last_seq);
  fmt::print("verified checkpoint: tree size {}, root {}\n{}", r.leaves, to_hex(r.root), r.checkpoint_note);
  if (!r.checkpoint_note.empty() && r.checkpoint_note.back() != '\n') fmt::print("\n");
  for (const auto& k : r.former_keys_active) {
    fmt::print(
        "WARNING: the former key {} is still registered for {}: ask the admin to revoke it now (`lontar-server "
        "office revoke --id {} --key ...`); if the lost laptop syncs with it, its entries collide with this "
        "laptop's and the server refuses them as equivocation\n",
        k, r.office, r.office);
  }
  fmt::print(
      "the next entry recorded here is seq {}, sealed with the new key {}; `lontar-agent sync` works as before\n",
      r.last_seq + 1, r.fingerprint);
  std::fflush(stdout);
}

int recover_command(const Context& ctx, RecoverArgs& a) {
  if (!ctx.passphrase_file.empty()) {
    auto pass = read_passphrase_file(ctx.passphrase_file);
    if (!pass.ok()) return fail(pass.error());
    a.options.passphrase = *pass;
  }
  auto key = prepare_recovery_key(ctx.data, a.options.office, a.options.passphrase);
  if (!key.ok()) return fail(key.error());
  print_key(*key, a.options.office, ctx.data);
  a.options.progress = [](const std::string& line) {
    fmt::print("{}\n", line);
    std::fflush(stdout);
  };
  RecoverFailure failure = RecoverFailure::local;
  auto r = recover_office(ctx.data, a.options, &failure);
  if (r.ok()) {
    print_report(*r, ctx.data);
    return exit_ok;
  }
  switch (failure) {
    case RecoverFailure::not_registered:
      print_not_registered(a.options, *key, r.error());
      return exit_refused;
    case RecoverFailure::unverified:
      fmt::print(stderr, "error: {}\nnothing was recovered.\n", r.error().message);
      return exit_verify;
    case RecoverFailure::retry:
      fmt::print(stderr, "recover failed, try again later (nothing was recovered): {}\n", r.error().message);
      return exit_unreachable;
    case RecoverFailure::local:
      break;
  }
  return fail(r.error());
}

}  // namespace

void add_recover(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<RecoverArgs>();
  auto* cmd = app.add_subcommand("recover",
                                 "a new laptop for an office whose laptop was lost or stolen: a new key, then the "
                                 "office's store rebuilt and verified from the central log (recover --help)");
  cmd->add_option("--office", a->options.office, "the office's principal id, e.g. SBY-RUNGKUT")->required();
  cmd->add_option("--server", a->options.server_url, "the sync server's URL, e.g. https://lontar.example:8443")
      ->required();
  cmd->add_option("--server-key", a->options.server_key, "the log's verifier key to pin (from the server's admin)")
      ->required();
  cmd->footer(
      "--data names the new, empty folder; --passphrase-file protects the new key.\n"
      "Run it twice: the first run makes the key and exits 9 with the admin's command to register it; after\n"
      "the admin ran it, the same command rebuilds the store. It refuses a --data folder that already holds\n"
      "an office. Entries the lost laptop never synced are not in the central log: the report names the last\n"
      "synced seq so they can be re-entered. Exit codes: 0 recovered; 1 bad command line or --data holds an\n"
      "office; 2 I/O error; 5 the server or its log failed verification (wrong --server-key, bad signature,\n"
      "root or chain); 8 server unreachable, try again later; 9 the new key is not registered for the office\n"
      "(yet).");
  cmd->callback([a, &ctx] { ctx.exit_code = recover_command(ctx, *a); });
}

}  // namespace lontar::agent::cli
