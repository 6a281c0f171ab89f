// lontar-agent init: create an office's data folder.
#include <fmt/format.h>

#include "cli.hpp"

namespace lontar::agent::cli {

void add_init(CLI::App& app, Context& ctx) {
  struct Opts {
    InitOptions init;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("init",
                                 "create the office: data folder (0700), store, Ed25519 key (0600) and "
                                 "TLS client certificate; prints the public key to register");
  cmd->add_option("--office", o->init.office, "the office's principal id, e.g. SBY-RUNGKUT")->required();
  cmd->add_option("--name", o->init.name, "the office's name, e.g. \"Surabaya Rungkut\"");
  cmd->add_option("--scope", o->init.scope, "region served: province (35) or regency (3578); default all");
  cmd->add_option("--server", o->init.server_url, "the sync server's URL, e.g. https://lontar.example:8443");
  cmd->add_option("--server-key", o->init.server_key, "the log's verifier key (from the server's admin)");
  cmd->callback([o, &ctx] {
    if (!ctx.passphrase_file.empty()) {
      auto pass = read_passphrase_file(ctx.passphrase_file);
      if (!pass.ok()) {
        ctx.exit_code = fail(pass.error());
        return;
      }
      o->init.passphrase = *pass;
    }
    auto r = init_office(ctx.data, o->init);
    if (!r.ok()) {
      ctx.exit_code = fail(r.error());
      return;
    }
    fmt::print("office {} created in {}\n", o->init.office, ctx.data);
    fmt::print("  public key:  {}\n", to_hex(r->public_key));
    fmt::print("  fingerprint: {}\n", crypto::fingerprint(r->public_key));
    fmt::print("  key file:    {} (mode 0600{})\n", r->key_file.string(),
               o->init.passphrase ? ", passphrase-protected" : ", no passphrase");
    fmt::print("  certificate: {}\n", r->cert_file.string());
    fmt::print("Give the public key and fingerprint to the server's admin to register this office.\n");
  });
}

}  // namespace lontar::agent::cli
