// lontar-agent serve: the office's web page (agent/web/), plain HTTP on loopback, TLS
// with the office's own certificate on a LAN address (or with --tls).
#include <fmt/format.h>

#include <atomic>

#include "clerks.hpp"
#include "cli.hpp"
#include "web/app.hpp"
#include "web/certificate.hpp"
#include "web/server.hpp"

namespace lontar::agent::cli {

void add_serve(CLI::App& app, Context& ctx) {
  struct O {
    std::string listen = "127.0.0.1:8080";
    bool tls = false;
    bool show_certificate = false;
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand(
      "serve",
      "serve the office's web page for clerks (sign in with `clerk add` accounts).\n"
      "On loopback (127.0.0.1, ::1) plain HTTP; on any other address (desks on the office LAN) HTTPS only, with\n"
      "the office's own certificate, made on first use in the data folder (web-tls.crt, web-tls.key 0600):\n"
      "each desk's browser warns once; compare the SHA-256 fingerprint it shows with the one printed here.\n"
      "Exit: 0 stopped (Ctrl+C, SIGTERM); 1 bad option or cannot listen; 2 I/O error.");
  cmd->add_option("--listen", o->listen,
                  "ADDRESS:PORT to serve on: 127.0.0.1:PORT or [::1]:PORT (HTTP), or this computer's LAN address "
                  "(HTTPS); port 0 = any free")
      ->capture_default_str();
  cmd->add_flag("--tls", o->tls, "HTTPS on loopback too (always on a LAN address)");
  cmd->add_flag("--show-certificate", o->show_certificate,
                "print the office certificate's fingerprint (making the certificate if there is none) and exit");
  cmd->callback([o, &ctx] {
    auto where = web::parse_listen(o->listen);
    if (!where.ok()) return void(ctx.exit_code = fail(where.error()));
    const bool tls = o->tls || !where->loopback || o->show_certificate;
    std::optional<net::Identity> identity;
    if (tls) {
      auto cert = web::office_certificate(ctx.data, where->address);
      if (!cert.ok()) return void(ctx.exit_code = fail(cert.error()));
      if (cert->created) {
        fmt::print("{}\n", i18n::tr(ctx.lang, "web.certificate_created",
                                    (std::filesystem::path(ctx.data) / web::certificate_file).string()));
      }
      fmt::print("{}\n", i18n::tr(ctx.lang, "web.fingerprint", cert->fingerprint));
      std::fflush(stdout);
      if (o->show_certificate) return void(ctx.exit_code = exit_ok);
      identity = std::move(cert->identity);
    }
    auto office = open(ctx);
    if (!office.ok()) return void(ctx.exit_code = fail(office.error()));
    std::optional<std::string> passphrase;
    if (!ctx.passphrase_file.empty()) {
      auto p = read_passphrase_file(ctx.passphrase_file);
      if (!p.ok()) return void(ctx.exit_code = fail(p.error()));
      passphrase = *p;
    }
    auto clerks = list_clerks(office->store->db());
    if (!clerks.ok()) return void(ctx.exit_code = fail(clerks.error()));
    if (clerks->empty()) fmt::print(stderr, "{}\n", i18n::text(ctx.lang, "clerk.none"));
    web::WebApp webapp(*office, web::WebConfig{{}, tls, ctx.data, passphrase});
    std::atomic<bool> stop{false};
    auto st = web::serve(
        webapp, *where, identity,
        [&](std::uint16_t port) {
          const bool v6 = where->address.find(':') != std::string::npos;
          const std::string host =
              v6 ? fmt::format("[{}]:{}", where->address, port) : fmt::format("{}:{}", where->address, port);
          std::vector<std::string> hosts{host};
          if (where->loopback) hosts.push_back(fmt::format("localhost:{}", port));
          webapp.allow_hosts(std::move(hosts));
          fmt::print("{}\n", i18n::tr(ctx.lang, "web.serving", std::string(tls ? "https://" : "http://") + host + "/"));
          std::fflush(stdout);
        },
        stop);
    if (!st.ok()) ctx.exit_code = fail(st.error());
  });
}

}  // namespace lontar::agent::cli
