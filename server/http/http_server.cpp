#include "server/http/http_server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

#include "http/server.hpp"
#include "server/http/routes.hpp"

namespace lontar::server::http {

namespace {

lontar::http::Response to_response(Reply r) {
  lontar::http::Response out;
  out.status = r.status;
  out.content_type = std::move(r.content_type);
  out.body = std::move(r.body);
  if (!r.allow.empty()) out.fields.emplace_back("Allow", std::move(r.allow));
  if (!r.cache_control.empty()) out.fields.emplace_back("Cache-Control", std::move(r.cache_control));
  return out;
}

}  // namespace

struct HttpServer::Impl {
  LogService& service;
  HttpServerConfig config;
  std::unique_ptr<lontar::http::Server> server;
  std::atomic<lontar::http::Server*> live{nullptr};  // set once started; hooks may run before
  std::atomic<std::uint64_t> unregistered_keys_total{0};
  std::atomic<bool> stopped{false};
  lontar::http::LogLimiter unregistered_log{std::chrono::seconds(10)};

  Impl(LogService& s, HttpServerConfig c) : service(s), config(std::move(c)) {}

  // Who holds `key` now: looked up for every request (a revoked key is refused at once).
  Access access_for(const lontar::http::Peer& peer) {
    Access a;
    a.public_without_certificate = config.public_without_certificate;
    if (!peer.client_key) return a;
    a.key = *peer.client_key;
    Result<std::optional<Caller>> who = Error{Code::internal, "authenticate threw"};
    try {
      who = service.authenticate(*a.key);
    } catch (const std::exception& e) {
      who = Error{Code::internal, std::string("authenticate threw: ") + e.what()};
    }
    if (!who.ok()) {
      spdlog::warn("http {}: cannot authenticate key {}: {}", peer.address, crypto::fingerprint(*a.key),
                   who.error().message);
      a.auth_error = std::move(who).error();
    } else if (who->has_value()) {
      a.caller = std::move(**who);
    }
    return a;
  }

  bool on_connect(const lontar::http::Peer& peer) {
    Access a = access_for(peer);
    if (a.key && !a.caller && !a.auth_error) {
      ++unregistered_keys_total;
      std::uint64_t suppressed = 0;
      if (unregistered_log.allow(peer.address, suppressed)) {
        spdlog::info("http {}: key {} is not a registered, unrevoked principal{}", peer.address,
                     crypto::fingerprint(*a.key),
                     suppressed ? fmt::format(" ({} more such connections not logged)", suppressed) : "");
      }
    }
    return a.caller.has_value();
  }

  lontar::http::Admission on_headers(const lontar::http::Peer& peer, const lontar::http::RequestHead& head) {
    auto access = std::make_shared<Access>(access_for(peer));
    if (auto refusal = check(*access, head.method, head.target)) {
      return lontar::http::Admission::refuse(to_response(std::move(*refusal)));
    }
    lontar::http::Admission ok;
    ok.body_bytes_max = body_limit_for(head.method, head.target, config.push_body_bytes_max);
    ok.context = std::move(access);
    return ok;
  }

  lontar::http::Response on_request(lontar::http::Request& req) {
    auto access = std::static_pointer_cast<const Access>(req.context);
    const auto& ledger = config.ledger;
    Reply r = handle(
        service, *access, req.head.method, req.head.target, req.body, [this] { return http_metrics(); },
        ledger ? &*ledger : nullptr);
    return to_response(std::move(r));
  }

  void on_exchange(const lontar::http::Exchange& x) {
    auto access = std::static_pointer_cast<const Access>(x.context);
    std::string who = access && access->caller ? access->caller->principal
                      : x.peer.client_key      ? "key:" + crypto::fingerprint(*x.peer.client_key)
                                               : std::string("-");
    spdlog::info("http {}:{} {} \"{} {}\" {} in={}B out={}B {}ms", x.peer.address, x.peer.port, who, x.method,
                 x.target.substr(0, 256), x.status, x.bytes_in, x.bytes_out, x.elapsed.count());
  }

  std::string http_metrics() {
    std::string out;
    if (auto* s = live.load()) out = s->metrics();
    out += fmt::format(
        "# HELP lontar_http_unregistered_keys_total Connections whose certificate key is not a registered, "
        "unrevoked principal.\n# TYPE lontar_http_unregistered_keys_total counter\n"
        "lontar_http_unregistered_keys_total {}\n",
        unregistered_keys_total.load());
    return out;
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { stop(); }

std::uint16_t HttpServer::port() const { return impl_->server->port(); }

void HttpServer::stop() {
  if (impl_->stopped.exchange(true)) return;
  impl_->server->stop();  // joins every thread that could call back into impl_
  spdlog::info("http: stopped");
}

Status HttpServer::reload_identity(net::Identity identity) {
  LONTAR_TRY(impl_->server->reload_identity(std::move(identity)));
  spdlog::info("http: TLS certificate reloaded for new connections");
  return {};
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(LogService& service, HttpServerConfig config) {
  if (config.http.io_threads == 0 || config.http.worker_threads == 0 || config.http.connections_max == 0) {
    return Error{Code::bad_input, "io_threads, service_threads and connections_max must be at least 1"};
  }
  auto impl = std::make_unique<Impl>(service, std::move(config));
  const HttpServerConfig& c = impl->config;
  lontar::http::ServerConfig g = c.http;
  g.tls =
      lontar::http::TlsConfig{c.identity, c.public_without_certificate ? lontar::http::ClientCertificates::optional
                                                                       : lontar::http::ClientCertificates::required};
  g.connections_reserved = std::min(g.connections_reserved, g.connections_max - 1);
  g.idle_timeout_scarce = std::min(g.idle_timeout_scarce, g.idle_timeout);
  g.body_bytes_max = std::max(c.push_body_bytes_max, request_body_bytes_max);

  Impl* raw = impl.get();
  lontar::http::Handlers h;
  h.on_connect = [raw](const lontar::http::Peer& p) { return raw->on_connect(p); };
  h.on_headers = [raw](const lontar::http::Peer& p, const lontar::http::RequestHead& head) {
    return raw->on_headers(p, head);
  };
  h.handle = [raw](const lontar::http::Peer&, lontar::http::Request& req) { return raw->on_request(req); };
  h.on_exchange = [raw](const lontar::http::Exchange& x) { raw->on_exchange(x); };
  h.log = [](const std::string& line) { spdlog::info("{}", line); };
  LONTAR_ASSIGN(raw->server, lontar::http::Server::start(std::move(g), std::move(h)));
  raw->live = raw->server.get();
  spdlog::info("http: listening on {}:{} (TLS 1.3, client certificates {})", c.http.address, raw->server->port(),
               c.public_without_certificate ? "optional for public resources" : "required");
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace lontar::server::http
