// server.hpp — a generic HTTP/1.1 server over Boost.Beast, plain or TLS 1.3.
//
// One session object per connection; a deadline on the TLS handshake, on waiting for a
// request, on reading its body and on writing its answer; a header limit answered with a
// real 431; a body limit per request decided from its headers; a server-wide budget of
// request-body bytes in flight (503 + Retry-After beyond it); connection caps that keep
// slots for trusted peers (e.g. registered principals) and cap strangers per source
// address. What a request means is the caller's business, through three hooks:
//
//   on_connect(peer)        after accept (plain) or the TLS handshake: is this peer trusted?
//                           Trusted connections use the reserved slots and are never evicted.
//   on_headers(peer, head)  when a request's headers have arrived, BEFORE any of its body is
//                           read: refuse it (the body is then never read) or admit it with a
//                           body limit and a context handed on to handle().
//   handle(peer, request)   the whole request: produce the response.
//
// All three run on the worker threads (they may block, e.g. on a database); socket work
// runs on the I/O threads. Memory bound, whatever clients do (docs/PROTOCOL.md, Limits):
//   body_bytes_in_flight_max + connections_max * (header_bytes_max + ~70 KiB of socket,
//   TLS and parser buffers) + the responses being written.
//
// Usage:
//   http::ServerConfig config;  config.port = 0;  config.tls = {identity, ClientCertificates::none};
//   auto server = http::Server::start(config, {.on_headers = ..., .handle = ...});
//   ... (*server)->port() ...  (*server)->stop();
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/result.hpp"
#include "crypto/crypto.hpp"
#include "net/tls.hpp"

namespace lontar::http {

using Fields = std::vector<std::pair<std::string, std::string>>;

// The value of header `name` (case-insensitive) in `fields`; "" when absent.
std::string_view find_field(const Fields& fields, std::string_view name);

// The other end of a connection.
struct Peer {
  std::string address;  // IP address, e.g. "127.0.0.1"
  std::uint16_t port = 0;
  bool tls = false;
  // The Ed25519 key of the TLS client certificate (mutual TLS); none without one.
  std::optional<crypto::PublicKey> client_key;
};

// A request whose headers have arrived (its body not yet read).
struct RequestHead {
  std::string method;
  std::string target;  // as sent: path and query
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  Fields fields;
  std::string_view header(std::string_view name) const { return find_field(fields, name); }
  bool has_body() const { return chunked || (content_length && *content_length > 0); }
};

struct Request {
  RequestHead head;
  std::string body;
  std::shared_ptr<const void> context;  // what on_headers put in Admission::context
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  Fields fields;       // more header lines: Cache-Control, Allow, Retry-After, Set-Cookie...
  bool close = false;  // close the connection once this response is written
};

// A text/plain response "message\n" with `status`.
Response text_response(int status, std::string_view message);

// What on_headers decides about one request.
struct Admission {
  std::optional<Response> refusal;      // set: answer this; the body is never read
  std::size_t body_bytes_max = 4096;    // otherwise: this request's body limit (413 past it)
  std::shared_ptr<const void> context;  // handed to handle() in Request::context
  static Admission refuse(Response r) {
    Admission a;
    a.refusal = std::move(r);
    return a;
  }
};

// One answered request, for an access log.
struct Exchange {
  const Peer& peer;
  std::string_view method;
  std::string_view target;
  int status = 0;
  std::size_t bytes_in = 0;  // request body
  std::size_t bytes_out = 0;
  std::chrono::milliseconds elapsed{0};
  const std::shared_ptr<const void>& context;  // Admission::context (null if refused before)
};

struct Handlers {
  std::function<bool(const Peer&)> on_connect;                           // optional: all untrusted
  std::function<Admission(const Peer&, const RequestHead&)> on_headers;  // optional: admit, 4096 B
  std::function<Response(const Peer&, Request&)> handle;                 // required
  std::function<void(const Exchange&)> on_exchange;                      // optional: after each response
  // The server's own log lines (handshake failures, refusals: rate-limited per source);
  // default: standard error.
  std::function<void(const std::string&)> log;
};

enum class ClientCertificates { none, optional, required };

struct TlsConfig {
  net::Identity identity;  // the server's certificate (chain) and key
  ClientCertificates client_certificates = ClientCertificates::none;
};

struct ServerConfig {
  std::string name = "http";  // prefix of log lines and metric names ("lontar_<name>_...")
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;        // 0: any free port (see Server::port())
  std::optional<TlsConfig> tls;  // none: plain HTTP

  std::size_t io_threads = 2;
  std::size_t worker_threads = 8;  // run the hooks

  std::size_t connections_max = 1024;
  // Slots only trusted connections (on_connect said so) may use: untrusted ones (strangers,
  // and every connection still in its handshake) are held to connections_max - this.
  std::size_t connections_reserved = 0;        // must be < connections_max (the log server keeps 256 of 1024)
  std::size_t untrusted_per_address_max = 64;  // untrusted connections from one IP address
  // A new connection past a cap closes another instead of being refused (so that an office
  // arriving during or after an attack still gets in): the oldest untrusted one that has sent
  // nothing since accept, at any age (an office's client speaks at once; a flood's raw
  // connections never do), else the oldest idle untrusted one at least this old.
  std::chrono::milliseconds evict_age_min = std::chrono::seconds(1);

  std::chrono::milliseconds handshake_timeout = std::chrono::seconds(5);
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);  // waiting for (the header of) a request
  // The same when more than 3/4 of connections_max are open.
  std::chrono::milliseconds idle_timeout_scarce = std::chrono::seconds(2);
  std::chrono::milliseconds body_timeout = std::chrono::seconds(120);  // reading one request body
  std::chrono::milliseconds write_timeout = std::chrono::seconds(60);  // writing one response
  std::chrono::milliseconds shutdown_timeout = std::chrono::seconds(2);
  std::chrono::milliseconds linger_timeout = std::chrono::seconds(5);  // draining after a refusal
  std::chrono::milliseconds stop_timeout = std::chrono::seconds(30);   // stop(): waiting for requests in flight
  // A connection is closed after the response in progress once it is this old.
  std::chrono::milliseconds connection_lifetime_max = std::chrono::minutes(10);

  std::size_t header_bytes_max = 8 << 10;
  // The largest body limit on_headers may grant: a Content-Length past it gets 413 at once.
  std::size_t body_bytes_max = 16 << 20;
  std::size_t body_bytes_in_flight_max = 96 << 20;                    // server-wide budget of request bodies held
  int retry_after_seconds = 2;                                        // in 503s past that budget
  std::chrono::milliseconds log_interval = std::chrono::seconds(10);  // per-source log rate limit
  // Every this often, when connections have closed since the last time, hand freed heap
  // memory back to the system (glibc malloc_trim), so that the server's resident memory
  // returns near its baseline after an attack. 0: never.
  std::chrono::milliseconds memory_trim_interval = std::chrono::seconds(10);
};

// Counts since start (and two gauges), for /metrics.
struct ServerStats {
  std::uint64_t connections_active = 0;
  std::uint64_t connections_untrusted = 0;
  std::uint64_t body_bytes_in_flight = 0;
  std::uint64_t connections_total = 0;
  std::uint64_t connections_refused_total = 0;  // closed at accept: caps reached
  std::uint64_t connections_evicted_total = 0;  // idle untrusted ones closed to make room
  std::uint64_t connections_expired_total = 0;  // closed at connection_lifetime_max
  std::uint64_t handshake_failures_total = 0;
  std::uint64_t requests_total = 0;
  std::uint64_t requests_refused_at_headers_total = 0;  // on_headers refused them
  std::uint64_t responses_4xx_total = 0;
  std::uint64_t responses_5xx_total = 0;
  std::uint64_t bodies_too_large_total = 0;    // 413
  std::uint64_t headers_too_large_total = 0;   // 431
  std::uint64_t bodies_over_budget_total = 0;  // 503: body_bytes_in_flight_max reached
};

// At most one log line per interval per source (an attacker's 36,000 connections make a
// handful of lines). Thread-safe; remembers a bounded number of sources.
class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::milliseconds interval) : interval_(interval) {}
  // Whether to log now for `source`; `suppressed` gets how many were skipped since the last.
  bool allow(std::string_view source, std::uint64_t& suppressed);

 private:
  struct Entry {
    std::chrono::steady_clock::time_point last;
    std::uint64_t suppressed = 0;
  };
  std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

class Server {
 public:
  // Binds, listens and starts serving. Errors: unusable TLS identity, address not an IP
  // address or not bindable (in use?), a zero thread or connection count, no handle hook.
  static Result<std::unique_ptr<Server>> start(ServerConfig config, Handlers handlers);
  ~Server();  // stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;  // the bound port
  ServerStats stats() const;
  // Prometheus text for stats(): "lontar_<name>_connections_active" etc.
  std::string metrics() const;
  const ServerConfig& config() const;

  // Replaces the TLS identity for connections accepted from now on (open ones keep theirs).
  // On error the old one stays. An error too for a plain-HTTP server.
  Status reload_identity(net::Identity identity);

  // Graceful stop: stops accepting, closes idle connections, lets every request whose
  // header has arrived finish and its response be written (up to stop_timeout), then joins
  // all threads. Idempotent; call from any thread but a server thread.
  void stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lontar::http
