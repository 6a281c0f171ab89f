// http_server.hpp — the HTTPS front of the central log (docs/PROTOCOL.md).
//
// A thin layer over the generic server (shared/http/server.hpp): mutual TLS 1.3, and
// for every request, when its headers arrive and before any of its body is read, the
// standing of the client certificate's Ed25519 key is looked up (LogService::authenticate)
// and the route's access rule and body limit applied: an unregistered or revoked key is
// refused there, also on a connection that was open before the revocation. A connection
// whose key is registered is trusted (it may use the slots reserved for principals).
// Socket work runs on `io_threads`; calls into the LogService run on `service_threads`,
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
#include "net/tls.hpp"
#include "protocol/protocol.hpp"
#include "server/http/routes.hpp"
#include "server/service.hpp"

namespace lontar::server::http {

struct HttpServerConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8443;  // 0: any free port (see HttpServer::port())
  net::Identity identity;     // the server's TLS certificate (chain) and key
  // Serve /healthz, /metrics, /checkpoint and hash tiles to clients without a
  // (registered) certificate. Everything else always needs a registered principal.
  bool public_without_certificate = false;
  // Answers GET /v1/ledger; unset: that route answers 404.
  std::optional<LedgerInfo> ledger;

  std::size_t io_threads = 2;
  std::size_t service_threads = 32;  // bounds the pushes that can wait in one group commit
  // Connection caps (see http::ServerConfig): strangers and connections still in their
  // handshake get at most connections_max - connections_reserved slots, and at most
  // untrusted_per_address_max from one address.
  std::size_t connections_max = 1024;
  std::size_t connections_reserved = 256;
  std::size_t untrusted_per_address_max = 64;

  std::chrono::milliseconds handshake_timeout = std::chrono::seconds(5);
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);        // waiting for (the header of) a request
  std::chrono::milliseconds idle_timeout_scarce = std::chrono::seconds(2);  // the same, > 3/4 of the slots used
  std::chrono::milliseconds body_timeout = std::chrono::seconds(120);       // reading one request body
  std::chrono::milliseconds write_timeout = std::chrono::seconds(60);       // writing one response
  std::chrono::milliseconds shutdown_timeout = std::chrono::seconds(2);
  std::chrono::milliseconds linger_timeout = std::chrono::seconds(5);  // draining a refused body
  std::chrono::milliseconds stop_timeout = std::chrono::seconds(30);   // stop(): waiting for requests in flight
  std::chrono::milliseconds connection_lifetime_max = std::chrono::minutes(10);

  std::size_t header_bytes_max = 8 << 10;
  std::size_t push_body_bytes_max = protocol::push_body_bytes_max;
  // Server-wide budget of request-body bytes held at once (503 + Retry-After past it).
  std::size_t body_bytes_in_flight_max = 96 << 20;
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
