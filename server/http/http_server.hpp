// http_server.hpp — the HTTPS front of the central log (docs/PROTOCOL.md).
//
// A thin layer over the generic server (shared/http/server.hpp): mutual TLS 1.3, and
// for every request, when its headers arrive and before any of its body is read, the
// standing of the client certificate's Ed25519 key is looked up (LogService::authenticate)
// and the route's access rule and body limit applied: an unregistered or revoked key is
// refused there, also on a connection that was open before the revocation. A connection
// whose key is registered is trusted (it may use the slots reserved for principals).
// Socket work runs on `io_threads`; calls into the LogService run on `worker_threads`,
// so that slow pushes (which wait for a durable group commit) never hold up other
// connections' I/O and many pushes can wait in the same commit.
//
// Usage:
//   auto server = HttpServer::start(service, config);   // listening when it returns
//   ... server->port() ...
//   server->stop();   // e.g. on SIGTERM: finishes requests in flight, then returns
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "http/server.hpp"
#include "net/tls.hpp"
#include "protocol/protocol.hpp"
#include "server/http/routes.hpp"
#include "server/service.hpp"

namespace lontar::server::http {

// The generic server's settings as the log server uses them by default: port 8443, 256 of the
// 1,024 connection slots reserved for registered principals, 32 worker threads for the calls
// into the LogService (they bound the pushes that can wait in one group commit).
inline lontar::http::ServerConfig log_server_defaults() {
  lontar::http::ServerConfig g;
  g.name = "http";
  g.port = 8443;
  g.connections_reserved = 256;
  g.worker_threads = 32;
  return g;
}

struct HttpServerConfig {
  // Address, port (0: any free port, see HttpServer::port()), threads, connection caps,
  // timeouts, header and body-bytes budgets: http::ServerConfig's. start() sets its tls (from
  // identity and public_without_certificate) and body_bytes_max (from the route limits).
  lontar::http::ServerConfig http = log_server_defaults();
  net::Identity identity;  // the server's TLS certificate (chain) and key
  // Serve /healthz, /metrics, /checkpoint and hash tiles to clients without a
  // (registered) certificate. Everything else always needs a registered principal.
  bool public_without_certificate = false;
  // Answers GET /v1/ledger; unset: that route answers 404.
  std::optional<LedgerInfo> ledger;
  std::size_t push_body_bytes_max = protocol::push_body_bytes_max;
};

class HttpServer {
 public:
  // Binds, listens and starts serving `service` (which must outlive the server).
  // Errors: the TLS identity is unusable, or the address cannot be bound (in use?).
  static Result<std::unique_ptr<HttpServer>> start(LogService& service, HttpServerConfig config);
  ~HttpServer();  // stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (useful when the configured port was 0).
  std::uint16_t port() const;

  // Replaces the TLS certificate and key for connections accepted from now on
  // (e.g. on SIGHUP after a certificate renewal); open connections keep theirs.
  // On error (unusable identity) the server keeps the old one.
  Status reload_identity(net::Identity identity);

  // Graceful stop: stops accepting, closes idle connections, lets every request
  // whose header has arrived finish and its response be written (up to stop_timeout),
  // then joins all threads. Idempotent; safe to call from any thread but a server thread.
  void stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lontar::server::http
