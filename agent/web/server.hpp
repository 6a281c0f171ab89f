// server.hpp — carries WebApp (app.hpp) over HTTP/1.1 on a loopback socket.
//
// Interim transport until shared/http (the generic Beast server being extracted
// from server/http) lands: a thread per connection (at most connections_max),
// blocking reads and writes bounded by socket timeouts, the header and body
// size-limited before the app sees them, and the app called one request at a time.
// A clerk's browser on the same machine is the only client; several desks on a
// LAN need TLS, which comes with shared/http.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "base/result.hpp"
#include "web/app.hpp"

namespace lontar::agent::web {

constexpr std::size_t header_bytes_max = 16 << 10;
constexpr std::size_t body_bytes_max = 8 << 20;  // an uploaded partner list
constexpr int socket_timeout_s = 15;
constexpr int requests_per_connection_max = 100;
constexpr int connections_max = 32;

struct Listen {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;
};

// "127.0.0.1:8080", "[::1]:8080", "localhost:8080". Only loopback addresses are
// accepted (a LAN address needs TLS: not in this transport); the error says so.
Result<Listen> parse_listen(const std::string& text);

// Binds `listen` and serves `app` until `stop` becomes true (checked at least once a
// second) or SIGTERM/SIGINT arrives. `on_listening(port)` runs once bound.
Status serve(WebApp& app, const Listen& listen, const std::function<void(std::uint16_t)>& on_listening,
             const std::atomic<bool>& stop);

}  // namespace lontar::agent::web
