// config.hpp — the server's configuration file (<data>/server.toml, TOML).
//
// `lontar-server init` writes a commented default (default_config_text); `run`
// reads it (load_config). Relative paths in the file are relative to the folder
// holding the file. Unknown keys are refused, so that a typo cannot silently
// leave a setting at its default; every error names the file and the key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "base/result.hpp"

namespace lontar::server {

constexpr std::string_view config_file_name = "server.toml";
constexpr std::string_view tls_certificate_file_name = "tls.crt";
constexpr std::string_view port_file_name = "server.port";
constexpr std::string_view lock_file_name = "server.lock";
constexpr std::uint16_t port_default = 8443;

struct ServerConfig {
  std::filesystem::path config_file;  // where it was read from (for messages)

  // [server]
  std::string listen = "127.0.0.1";
  std::uint16_t port = port_default;  // 0: any free port (written to <data>/server.port)
  std::filesystem::path data_dir;
  std::string log_level = "info";  // trace, debug, info, warn, error
  bool public_without_certificate = false;
  // When set: the checkpoint and hash tiles kept current there as static files (C2SP
  // tlog-tiles layout, no entry bundles), for a static web server or CDN (ops/public_tiles.hpp).
  std::optional<std::filesystem::path> public_tiles;
  // The background scrub: leaves re-read and re-hashed per second against the signed tree,
  // cycling through the log (log_store.hpp); 0 turns it off.
  std::uint64_t scrub_leaves_per_second = 5000;

  // [store]
  // Where the ledger lives: empty for <data>/ledger.db (SQLite, the default), or a
  // PostgreSQL database's libpq URI (postgresql://user@host:port/dbname?...).
  std::string store_url;
  // The location LogStore::open takes: store_url, or <data_dir>/ledger.db.
  std::string ledger_location() const;

  // [tls]
  std::filesystem::path certificate;  // PEM chain, leaf first
  std::filesystem::path key;          // PEM private key (default: the log key)
  std::optional<std::filesystem::path> key_passphrase_file;

  // [limits]
  std::size_t io_threads = 2;
  std::size_t service_threads = 32;
  std::size_t connections_max = 1024;
  std::size_t connections_reserved = 256;      // for registered principals only
  std::size_t untrusted_per_address_max = 64;  // connections not (yet) a registered principal's, per IP address
  std::size_t body_bytes_in_flight_max = 96 << 20;
  std::uint32_t handshake_timeout_s = 5;
  std::uint32_t connection_lifetime_s = 600;
  std::size_t push_body_bytes_max = 16 << 20;
  std::size_t push_queue_max = 4096;
  std::size_t integration_entries_max = 200'000;
  std::uint32_t idle_timeout_s = 30;
  std::uint32_t body_timeout_s = 120;
};

// Reads and checks a config file.
Result<ServerConfig> load_config(const std::filesystem::path& file);

// The commented default config for a ledger in `data_dir` (written by init); `store_url`
// fills [store] url (empty: the SQLite file in the data folder).
std::string default_config_text(const std::filesystem::path& data_dir, const std::string& origin,
                                const std::string& store_url = "");

// The ledger location for the data folder `data_dir`: [store] url of its server.toml when
// that file exists and names one, else <data_dir>/ledger.db (for export, backup, ...).
Result<std::string> ledger_location_of(const std::filesystem::path& data_dir);

}  // namespace lontar::server
