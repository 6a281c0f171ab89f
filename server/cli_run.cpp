// lontar-server run: the log store behind the HTTPS server, until SIGTERM/SIGINT.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cstdio>
#include <cstring>
#include <memory>

#include "cli.hpp"
#include "cli_lock.hpp"
#include "config.hpp"
#include "crypto/x509.hpp"
#include "log/init.hpp"
#include "log/log_store.hpp"
#include "ops/public_tiles.hpp"
#include "ops/published.hpp"
#include "server/http/http_server.hpp"

namespace lontar::server::cli {

namespace {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("lontar-server");
  spdlog::set_default_logger(logger);
  // One line per event: UTC time, level, then "module: message".
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l pid=%P %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::flush_on(spdlog::level::info);
}

Result<net::Identity> load_tls(const ServerConfig& c) {
  std::optional<std::string> pass;
  if (c.key_passphrase_file) {
    LONTAR_ASSIGN(pass, read_passphrase_file(*c.key_passphrase_file));
  }
  auto id = net::load_identity(c.certificate, c.key, pass);
  if (!id.ok())
    return Error{id.error().code, fmt::format("[tls] in {}: {}", c.config_file.string(), id.error().message)};
  return id;
}

int run_server(const std::filesystem::path& config_file) {
  auto config = load_config(config_file);
  if (!config.ok()) return fail(config.error());
  const ServerConfig& c = *config;
  setup_logging(c.log_level);

  // Signals are taken by sigwait() below: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto lock = DataLock::take(c.data_dir, "lontar-server run");
  if (!lock.ok()) return fail(lock.error());
  auto log_key = crypto::PrivateKey::load_pem(c.data_dir / log_key_file_name);
  if (!log_key.ok()) return fail(log_key.error());
  LogStoreOptions lo;
  lo.push_queue_max = c.push_queue_max;
  lo.integration_entries_max = c.integration_entries_max;
  lo.scrub_leaves_per_second = c.scrub_leaves_per_second;
  // Rollback protection: every checkpoint is recorded outside the store before it is served.
  lo.before_publish = [data = c.data_dir](std::uint64_t, const std::string& note) {
    return ops::record_published(data, note);
  };
  auto store = LogStore::open(c.ledger_location(), std::move(*log_key), lo);
  if (!store.ok()) return fail(store.error());
  if (auto st = ops::guard_publication(c.data_dir, **store); !st.ok()) return fail(st.error());
  auto identity = load_tls(c);
  if (!identity.ok()) return fail(identity.error());
  std::unique_ptr<ops::PublicTiles> public_tiles;
  if (c.public_tiles) {
    auto t = ops::PublicTiles::start(**store, *c.public_tiles, std::chrono::milliseconds(200));
    if (!t.ok()) return fail(t.error());
    public_tiles = std::move(*t);
  }

  http::HttpServerConfig hc;
  hc.http.address = c.listen;
  hc.http.port = c.port;
  hc.identity = std::move(*identity);
  hc.public_without_certificate = c.public_without_certificate;
  hc.http.io_threads = c.io_threads;
  hc.http.worker_threads = c.service_threads;
  hc.http.connections_max = c.connections_max;
  hc.http.connections_reserved = c.connections_reserved;
  hc.http.untrusted_per_address_max = c.untrusted_per_address_max;
  hc.http.body_bytes_in_flight_max = c.body_bytes_in_flight_max;
  hc.http.handshake_timeout = std::chrono::seconds(c.handshake_timeout_s);
  hc.http.connection_lifetime_max = std::chrono::seconds(c.connection_lifetime_s);
  hc.push_body_bytes_max = c.push_body_bytes_max;
  hc.http.idle_timeout = std::chrono::seconds(c.idle_timeout_s);
  hc.http.body_timeout = std::chrono::seconds(c.body_timeout_s);
  const auto& nik = (*store)->nik_key();
  hc.ledger = http::LedgerInfo{(*store)->origin(), (*store)->verifier_key(), nik};
  auto server = http::HttpServer::start(**store, std::move(hc));
  if (!server.ok()) return fail(server.error());

  const auto port = (*server)->port();
  const auto port_file = c.data_dir / port_file_name;
  if (auto st = crypto::write_file_atomic(port_file, std::to_string(port) + "\n", 0644); !st.ok()) {
    spdlog::warn("server: cannot write {}: {}", port_file.string(), st.error().message);
  }
  spdlog::info("server: ledger '{}' tree_size={} verifier_key={}", (*store)->origin(), (*store)->metrics().tree_size,
               (*store)->verifier_key());
  std::printf("listening on https://%s:%u\n", c.listen.c_str(), static_cast<unsigned>(port));
  std::fflush(stdout);

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      spdlog::info("server: SIGHUP: reloading the TLS certificate {}", c.certificate.string());
      auto fresh = load_tls(c);
      if (!fresh.ok()) {
        spdlog::error("server: TLS reload failed, keeping the current certificate: {}", fresh.error().message);
        continue;
      }
      if (auto st = (*server)->reload_identity(std::move(*fresh)); !st.ok()) {
        spdlog::error("server: TLS reload failed, keeping the current certificate: {}", st.error().message);
      }
      continue;
    }
    spdlog::info("server: {}: stopping (no new connections; finishing requests and integration in flight)",
                 sig == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  (*server)->stop();
  (*store)->shutdown();
  public_tiles.reset();  // writes the last checkpoint's tiles first
  std::error_code ec;
  std::filesystem::remove(port_file, ec);
  spdlog::info("server: stopped cleanly; tree_size={}", (*store)->metrics().tree_size);
  return exit_ok;
}

}  // namespace

void add_run(CLI::App& app, int& exit_code) {
  auto file = std::make_shared<std::filesystem::path>();
  auto* cmd = app.add_subcommand("run",
                                 "Serve the ledger over HTTPS (mutual TLS) until SIGTERM or SIGINT; "
                                 "SIGHUP reloads the TLS certificate");
  cmd->add_option("--config", *file, "the config file written by init (<data>/server.toml)")->required();
  cmd->callback([file, &exit_code] { exit_code = run_server(*file); });
}

}  // namespace lontar::server::cli
