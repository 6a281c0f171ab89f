#include "config.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>

#include <map>
#include <set>
#include "log/init.hpp"

namespace lontar::server {

namespace {

// Limits on values read from the file (a value outside is refused, naming the key).
constexpr std::int64_t threads_max = 1024;
constexpr std::int64_t connections_max_max = 1'000'000;
constexpr std::int64_t body_bytes_max_max = 1ll << 30;
constexpr std::int64_t queue_max_max = 1'000'000;
constexpr std::int64_t timeout_s_max = 3600;

class Reader {
 public:
  Reader(const std::filesystem::path& file, const toml::table& root) : file_(file), root_(root) {}

  // Refuses tables and keys this version does not know.
  Status check_known(const std::map<std::string, std::set<std::string>>& known) const {
    for (const auto& [table_name, node] : root_) {
      auto t = known.find(std::string(table_name.str()));
      if (t == known.end() || !node.is_table()) {
        return error(std::string(table_name.str()), "is not a known table; known: [server], [store], [tls], [limits]");
      }
      for (const auto& [key, value] : *node.as_table()) {
        if (!t->second.count(std::string(key.str()))) {
          return error(t->first + "." + std::string(key.str()), "is not a known key; check its spelling");
        }
      }
    }
    return {};
  }

  Status string(const char* table, const char* key, std::string& out) const {
    const toml::node* n = root_.at_path(std::string(table) + "." + key).node();
    if (!n) return {};
    if (!n->is_string()) return error(fmt::format("{}.{}", table, key), "must be a string in double quotes");
    out = n->as_string()->get();
    return {};
  }
  Status path(const char* table, const char* key, std::filesystem::path& out, const std::filesystem::path& base) const {
    std::string s;
    LONTAR_TRY(string(table, key, s));
    if (!s.empty()) out = base / s;  // an absolute s replaces base
    return {};
  }
  template <class T>
  Status integer(const char* table, const char* key, T& out, std::int64_t min, std::int64_t max) const {
    const toml::node* n = root_.at_path(std::string(table) + "." + key).node();
    if (!n) return {};
    if (!n->is_integer()) return error(fmt::format("{}.{}", table, key), "must be an integer");
    const std::int64_t v = n->as_integer()->get();
    if (v < min || v > max) {
      return error(fmt::format("{}.{}", table, key), fmt::format("is {}; it must be {} to {}", v, min, max));
    }
    out = static_cast<T>(v);
    return {};
  }
  Status boolean(const char* table, const char* key, bool& out) const {
    const toml::node* n = root_.at_path(std::string(table) + "." + key).node();
    if (!n) return {};
    if (!n->is_boolean()) return error(fmt::format("{}.{}", table, key), "must be true or false");
    out = n->as_boolean()->get();
    return {};
  }
  Error error(const std::string& key, const std::string& what) const {
    return Error{Code::bad_input, fmt::format("{}: {} {}", file_.string(), key, what)};
  }

 private:
  const std::filesystem::path& file_;
  const toml::table& root_;
};

}  // namespace

Result<ServerConfig> load_config(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return Error{Code::not_found, fmt::format("{}: no such config file; `lontar-server init --data DIR` writes "
                                              "DIR/server.toml",
                                              file.string())};
  }
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return Error{Code::bad_input, fmt::format("{}:{}:{}: {}", file.string(), e.source().begin.line,
                                              e.source().begin.column, e.description())};
  }
  const std::filesystem::path base = std::filesystem::absolute(file).parent_path();
  Reader r(file, root);
  LONTAR_TRY(r.check_known({
      {"server",
       {"listen", "port", "data", "log_level", "public_without_certificate", "public_tiles",
        "scrub_leaves_per_second"}},
      {"store", {"url"}},
      {"tls", {"certificate", "key", "key_passphrase_file"}},
      {"limits",
       {"io_threads", "service_threads", "connections_max", "connections_reserved", "untrusted_per_address_max",
        "body_bytes_in_flight_max", "handshake_timeout_s", "connection_lifetime_s", "push_body_bytes_max",
        "push_queue_max", "integration_entries_max", "idle_timeout_s", "body_timeout_s"}},
  }));
  ServerConfig c;
  c.config_file = file;
  LONTAR_TRY(r.string("server", "listen", c.listen));
  LONTAR_TRY(r.integer("server", "port", c.port, 0, 65535));
  c.data_dir = base;
  LONTAR_TRY(r.path("server", "data", c.data_dir, base));
  LONTAR_TRY(r.string("server", "log_level", c.log_level));
  static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error"};
  if (!levels.count(c.log_level)) {
    return r.error("server.log_level", fmt::format("is '{}'; use trace, debug, info, warn or error", c.log_level));
  }
  LONTAR_TRY(r.boolean("server", "public_without_certificate", c.public_without_certificate));
  std::filesystem::path public_tiles;
  LONTAR_TRY(r.path("server", "public_tiles", public_tiles, base));
  if (!public_tiles.empty()) c.public_tiles = public_tiles;
  LONTAR_TRY(r.integer("server", "scrub_leaves_per_second", c.scrub_leaves_per_second, 0, 100'000'000));

  LONTAR_TRY(r.string("store", "url", c.store_url));
  if (!c.store_url.empty() && !c.store_url.starts_with("postgresql://") && !c.store_url.starts_with("postgres://")) {
    return r.error("store.url",
                   "must be a PostgreSQL URI (postgresql://user@host:port/dbname), or be left out for "
                   "the SQLite ledger.db in the data folder");
  }

  c.certificate = c.data_dir / tls_certificate_file_name;
  c.key = c.data_dir / "log.key";
  LONTAR_TRY(r.path("tls", "certificate", c.certificate, c.data_dir));
  LONTAR_TRY(r.path("tls", "key", c.key, c.data_dir));
  std::filesystem::path pass;
  LONTAR_TRY(r.path("tls", "key_passphrase_file", pass, c.data_dir));
  if (!pass.empty()) c.key_passphrase_file = pass;

  LONTAR_TRY(r.integer("limits", "io_threads", c.io_threads, 1, threads_max));
  LONTAR_TRY(r.integer("limits", "service_threads", c.service_threads, 1, threads_max));
  LONTAR_TRY(r.integer("limits", "connections_max", c.connections_max, 1, connections_max_max));
  LONTAR_TRY(r.integer("limits", "connections_reserved", c.connections_reserved, 0, connections_max_max));
  if (c.connections_reserved >= c.connections_max) {
    return r.error("limits.connections_reserved", fmt::format("is {} but must be less than connections_max ({})",
                                                              c.connections_reserved, c.connections_max));
  }
  LONTAR_TRY(r.integer("limits", "untrusted_per_address_max", c.untrusted_per_address_max, 1, connections_max_max));
  LONTAR_TRY(r.integer("limits", "push_body_bytes_max", c.push_body_bytes_max, 4096, body_bytes_max_max));
  LONTAR_TRY(r.integer("limits", "body_bytes_in_flight_max", c.body_bytes_in_flight_max,
                       static_cast<std::int64_t>(c.push_body_bytes_max), body_bytes_max_max * 64));
  LONTAR_TRY(r.integer("limits", "handshake_timeout_s", c.handshake_timeout_s, 1, timeout_s_max));
  LONTAR_TRY(r.integer("limits", "connection_lifetime_s", c.connection_lifetime_s, 1, 7 * 24 * 3600));
  LONTAR_TRY(r.integer("limits", "push_queue_max", c.push_queue_max, 1, queue_max_max));
  LONTAR_TRY(r.integer("limits", "integration_entries_max", c.integration_entries_max, 1, 10'000'000));
  LONTAR_TRY(r.integer("limits", "idle_timeout_s", c.idle_timeout_s, 1, timeout_s_max));
  LONTAR_TRY(r.integer("limits", "body_timeout_s", c.body_timeout_s, 1, timeout_s_max));
  return c;
}

// A TOML basic string's contents: backslashes and quotes escaped.
std::string toml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

std::string ServerConfig::ledger_location() const {
  return store_url.empty() ? (data_dir / ledger_file_name).string() : store_url;
}

Result<std::string> ledger_location_of(const std::filesystem::path& data_dir) {
  const auto file = data_dir / config_file_name;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return (data_dir / ledger_file_name).string();
  LONTAR_ASSIGN(ServerConfig c, load_config(file));
  return c.ledger_location();
}

std::string default_config_text(const std::filesystem::path& data_dir, const std::string& origin,
                                const std::string& store_url) {
  const std::string store_line = store_url.empty() ? "# url = \"postgresql://lontar@db.example:5432/lontar\""
                                                   : "url = \"" + toml_escape(store_url) + "\"";
  return fmt::format(R"(# lontar-server configuration for the ledger "{origin}".
# Written by `lontar-server init`; read by `lontar-server run --config <this file>`.
# Relative paths are relative to the folder holding this file. Unknown keys are refused.

[server]
# Address to listen on: 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).
listen = "127.0.0.1"
# TCP port; 0 picks a free port, written to <data>/server.port for scripts.
port = {port}
# The data folder: ledger.db, log.key, tls.crt.
data = "{data}"
# trace, debug, info, warn or error. Logs go to stderr (journald under systemd).
log_level = "info"
# Serve /healthz, /metrics, /checkpoint, /v1/ledger and hash tiles to clients without a
# registered certificate (they hold no personal data). Everything else always needs one.
public_without_certificate = false
# Keep the checkpoint and hash tiles (public-safe: no personal data) as static files in this
# folder, C2SP tlog-tiles layout, for any static web server or CDN to serve to auditors and
# witnesses. Entry bundles are never written there.
# public_tiles = "/srv/lontar-public"
# Re-read this many leaves per second in the background and re-hash them against the signed
# tree, one pass over the whole log after another; damage stops the log from signing and
# raises lontar_scrub_damage in /metrics (docs/OPERATIONS.md). 0 turns it off.
scrub_leaves_per_second = 5000

[store]
# Where the ledger lives. Left out: ledger.db in the data folder (SQLite, one server).
# A PostgreSQL database (libpq URI) lets several `lontar-server run` processes share one
# ledger (docs/OPERATIONS.md). Keep its password out of this file: use ~/.pgpass.
{store_line}

[tls]
# The server's certificate and key (PEM). The default is a self-signed certificate over the
# log's own key, so that the log's verifier key pins both the checkpoints and the TLS server.
# To use a certificate issued by your organisation's CA, name its files here; clients then
# trust that CA (--server-ca). `kill -HUP <pid>` reloads them for new connections.
certificate = "{cert}"
key = "log.key"
# key_passphrase_file = "/etc/lontar/tls.pass"

[limits]
io_threads = 2
# Service threads bound how many pushes can wait in one group commit.
service_threads = 32
connections_max = 1024
# Of connections_max, slots only registered principals' connections may use: strangers and
# connections still in their TLS handshake get the rest, at most untrusted_per_address_max
# from one IP address (past that the oldest idle one is closed, or the new one refused).
connections_reserved = 256
untrusted_per_address_max = 64
# Request bodies held in memory at once, all connections together; past it: 503 + Retry-After.
# Memory bound: this + connections_max * ~80 KiB + responses being written (docs/PROTOCOL.md).
body_bytes_in_flight_max = 100663296
handshake_timeout_s = 5
# A connection is closed after its response in progress once it is this old.
connection_lifetime_s = 600
push_body_bytes_max = 16777216
push_queue_max = 4096
integration_entries_max = 200000
idle_timeout_s = 30
body_timeout_s = 120
)",
                     fmt::arg("origin", origin), fmt::arg("port", port_default),
                     fmt::arg("data", toml_escape(std::filesystem::absolute(data_dir).lexically_normal().string())),
                     fmt::arg("cert", tls_certificate_file_name), fmt::arg("store_line", store_line));
}

}  // namespace lontar::server
