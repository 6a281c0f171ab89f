// lontar-agent serve: the office's web page (agent/web/) on loopback.
#include <fmt/format.h>

#include <atomic>

#include "clerks.hpp"
#include "cli.hpp"
#include "web/app.hpp"
#include "web/server.hpp"

namespace lontar::agent::cli {

void add_serve(CLI::App& app, Context& ctx) {
  auto listen = std::make_shared<std::string>("127.0.0.1:8080");
  auto* cmd = app.add_subcommand("serve", "serve the office's web page for clerks (sign in with `clerk add` accounts)");
  cmd->add_option("--listen", *listen, "ADDRESS:PORT to serve on; loopback only (127.0.0.1, ::1); port 0 = any free")
      ->capture_default_str();
  cmd->callback([listen, &ctx] {
    auto where = web::parse_listen(*listen);
    if (!where.ok()) return void(ctx.exit_code = fail(where.error()));
    auto office = open(ctx);
    if (!office.ok()) return void(ctx.exit_code = fail(office.error()));
    std::optional<std::string> passphrase;
    if (!ctx.passphrase_file.empty()) {
      auto p = read_passphrase_file(ctx.passphrase_file);
      if (!p.ok()) return void(ctx.exit_code = fail(p.error()));
      passphrase = *p;
    }
    auto clerks = list_clerks(*office->store);
    if (!clerks.ok()) return void(ctx.exit_code = fail(clerks.error()));
    if (clerks->empty()) fmt::print(stderr, "{}\n", i18n::text(ctx.lang, "clerk.none"));
    web::WebApp webapp(*office, web::WebConfig{{}, false, ctx.data, passphrase});
    std::atomic<bool> stop{false};
    auto st = web::serve(
        webapp, *where,
        [&](std::uint16_t port) {
          const bool v6 = where->address.find(':') != std::string::npos;
          const std::string host =
              v6 ? fmt::format("[{}]:{}", where->address, port) : fmt::format("{}:{}", where->address, port);
          webapp.allow_hosts({host, fmt::format("localhost:{}", port)});
          fmt::print("{}\n", i18n::tr(ctx.lang, "web.serving", "http://" + host + "/"));
          std::fflush(stdout);
        },
        stop);
    if (!st.ok()) ctx.exit_code = fail(st.error());
  });
}

}  // namespace lontar::agent::cli
