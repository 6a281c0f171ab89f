// server.hpp — carries WebApp (app.hpp) over shared/http, the generic Beast server the
// log server uses too (deadlines, header and body limits decided before the body is
// read, connection caps, graceful stop).
//
// Plain HTTP on a loopback address (the clerk's browser on the same machine). Any other
// address (an office with several desks on its LAN) is served over TLS 1.3 only, with
// the office's own certificate (certificate.hpp), whose fingerprint `serve` prints;
// `--tls` asks for TLS on loopback too. The app itself runs one request at a time (it
// shares one SQLite connection); an import runs beside it on its own connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "net/tls.hpp"
#include "web/app.hpp"

namespace lontar::agent::web {

constexpr std::size_t header_bytes_max = 16 << 10;
constexpr std::size_t connections_max = 64;

struct Listen {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;
  bool loopback = true;  // 127.0.0.0/8 or ::1: plain HTTP allowed
};

// "127.0.0.1:8080", "[::1]:8080", "localhost:8080", "192.168.1.10:8443". An IP address
// (not a name other than localhost) that names one interface: 0.0.0.0, :: and multicast
// addresses are refused, since the desks' browsers must be given the address itself.
Result<Listen> parse_listen(const std::string& text);

// Binds `listen` and serves `app` (over TLS with `tls` when given) until `stop` becomes
// true (checked at least once a second) or SIGTERM/SIGINT arrives. `on_listening(port)`
// runs once bound.
Status serve(WebApp& app, const Listen& listen, const std::optional<net::Identity>& tls,
             const std::function<void(std::uint16_t)>& on_listening, const std::atomic<bool>& stop);

}  // namespace lontar::agent::web
