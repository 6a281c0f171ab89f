// lontar-server init: a new ledger in an empty data folder.
#include <fmt/format.h>
#include <cstdio>
#include <memory>

#include "base/clock.hpp"
#include "cli.hpp"
#include "config.hpp"
#include "crypto/x509.hpp"
#include "log/init.hpp"
#include "log/pg.hpp"
#include "note/note.hpp"

namespace lontar::server::cli {

namespace {

struct InitArgs {
  std::filesystem::path data;
  std::string store;
  std::string origin;
  std::filesystem::path admin_key_out;
  std::filesystem::path passphrase_file;
  std::string admin_id = "ADMIN";
  std::string admin_name = "Lontar administrator";
  std::vector<std::string> tls_names;
};

int run_init(const InitArgs& a) {
  const auto config_path = a.data / config_file_name;
  const auto cert_path = a.data / tls_certificate_file_name;
  for (const auto& p : {config_path, cert_path}) {
    std::error_code ec;
    if (std::filesystem::exists(p, ec)) {
      return fail(Error{Code::conflict, fmt::format("{} already exists: {} already holds a ledger; choose an empty "
                                                    "folder (init never overwrites)",
                                                    p.string(), a.data.string())});
    }
  }
  // Checked before anything is written, so that a bad name leaves no half-made folder.
  if (auto st = note::check_key_name(a.origin); !st.ok()) {
    return fail(Error{Code::bad_input, fmt::format("--origin '{}': {}", a.origin, st.error().message)});
  }
  InitOptions o;
  o.data_dir = a.data;
  o.store_url = a.store;
  o.origin = a.origin;
  o.admin_id = a.admin_id;
  o.admin_name = a.admin_name;
  if (!a.admin_key_out.empty()) o.admin_key_path = a.admin_key_out;
  if (!a.passphrase_file.empty()) {
    auto pass = read_passphrase_file(a.passphrase_file);
    if (!pass.ok()) return fail(pass.error());
    o.admin_passphrase = *pass;
  }
  o.now_ms = now_ms();
  auto result = init_ledger(o);
  if (!result.ok()) return fail(result.error());

  // The TLS certificate: self-signed over the log key, so that the verifier key
  // pins the server too (docs/PROTOCOL.md §1).
  auto log_key = crypto::PrivateKey::load_pem(result->log_key_path);
  if (!log_key.ok()) return fail(log_key.error());
  std::vector<std::string> names = {"localhost", "127.0.0.1", "::1"};
  names.insert(names.end(), a.tls_names.begin(), a.tls_names.end());
  auto cert = crypto::make_self_signed_certificate(*log_key, a.origin.substr(0, 64), names);
  if (!cert.ok()) return fail(cert.error());
  if (auto st = crypto::write_file_atomic(cert_path, *cert, 0644); !st.ok()) return fail(st.error());
  if (auto st = crypto::write_file_atomic(config_path, default_config_text(a.data, a.origin, a.store), 0640);
      !st.ok()) {
    return fail(st.error());
  }

  std::printf("ledger '%s' created in %s\n", a.origin.c_str(), a.data.string().c_str());
  if (!a.store.empty()) std::printf("store: PostgreSQL %s\n", pg::redacted(a.store).c_str());
  std::printf("log verifier key (give it to every office and auditor: they pin it):\n  %s\n",
              result->verifier_key.c_str());
  std::printf("admin key: %s%s\n  move it off this server and keep it offline; admin commands take --admin-key\n",
              result->admin_key_path.string().c_str(), o.admin_passphrase ? " (passphrase-protected)" : "");
  std::printf("admin principal: %s\n", a.admin_id.c_str());
  std::printf("TLS certificate: %s (self-signed over the log key)\n", cert_path.string().c_str());
  std::printf("config: %s\n", config_path.string().c_str());
  std::printf("next: lontar-server run --config %s\n", config_path.string().c_str());
  return exit_ok;
}

}  // namespace

void add_init(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<InitArgs>();
  auto* cmd = app.add_subcommand("init", "Create a new ledger: store, log key, admin key, TLS certificate, config");
  cmd->add_option("--data", a->data, "the data folder to create (must not hold a ledger)")->required();
  cmd->add_option("--store", a->store,
                  "keep the ledger in this PostgreSQL database (an empty one; libpq URI "
                  "postgresql://user@host:port/dbname) instead of <data>/ledger.db; written to [store] url")
      ->check([](const std::string& v) {
        return pg::is_url(v) ? std::string() : std::string("must be a PostgreSQL URI: postgresql://user@host/dbname");
      });
  cmd->add_option("--origin", a->origin, "the log's name, e.g. lontar.bpjsketenagakerjaan.go.id/jatim")->required();
  cmd->add_option("--admin-key-out", a->admin_key_out, "where to write the admin key (default: <data>/admin.key)");
  cmd->add_option("--passphrase-file", a->passphrase_file, "encrypt the admin key with the first line of this file")
      ->check(CLI::ExistingFile);
  cmd->add_option("--admin-id", a->admin_id, "the first admin principal's id")->capture_default_str();
  cmd->add_option("--admin-name", a->admin_name, "the first admin principal's name")->capture_default_str();
  cmd->add_option("--tls-name", a->tls_names, "a host name or IP address clients use (repeatable)");
  cmd->callback([a, &exit_code] { exit_code = run_init(*a); });
}

}  // namespace lontar::server::cli
