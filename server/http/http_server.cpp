#include "server/http/http_server.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "server/http/routes.hpp"

namespace lontar::server::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr std::size_t linger_bytes_max = 64 << 20;  // drained from a client whose body was refused
constexpr std::size_t drain_chunk_bytes = 64 << 10;
constexpr int http_version = 11;
constexpr int accept_pause_ms = 100;

class Session;

}  // namespace

struct HttpServer::Impl {
  struct Stats {
    std::atomic<std::uint64_t> connections_total{0};
    std::atomic<std::uint64_t> connections_refused_total{0};
    std::atomic<std::uint64_t> handshake_failures_total{0};
    std::atomic<std::uint64_t> unregistered_keys_total{0};
    std::atomic<std::uint64_t> requests_total{0};
    std::atomic<std::uint64_t> responses_4xx_total{0};
    std::atomic<std::uint64_t> responses_5xx_total{0};
    std::atomic<std::uint64_t> bodies_too_large_total{0};
  };

  LogService& service;
  HttpServerConfig config;
  // The context for new connections; replaced by reload_identity() on the acceptor's
  // strand. Replaced contexts are kept (reloads are rare) because connections made
  // with them may still be in their handshake.
  std::unique_ptr<ssl::context> ctx;
  std::vector<std::unique_ptr<ssl::context>> retired_ctx;
  Stats stats;
  // Declared before the io_context so that sessions destroyed with it can still deregister.
  std::mutex mu;
  std::condition_variable drained;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
  std::atomic<bool> stopping{false};
  std::mutex stop_mu;
  bool stopped = false;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::steady_timer accept_pause;  // after a failed accept (e.g. out of file descriptors)
  asio::thread_pool workers;        // after ioc: its jobs hold work on ioc
  std::vector<std::thread> threads;
  std::uint16_t port = 0;

  Impl(LogService& s, HttpServerConfig c, ssl::context x)
      : service(s),
        config(std::move(c)),
        ctx(std::make_unique<ssl::context>(std::move(x))),
        ioc(static_cast<int>(config.io_threads)),
        acceptor(asio::make_strand(ioc)),
        accept_pause(acceptor.get_executor()),
        workers(config.service_threads) {}

  void remember(Session* s, std::weak_ptr<Session> w) {
    std::lock_guard lock(mu);
    sessions.emplace(s, std::move(w));
  }
  void forget(Session* s) {
    std::lock_guard lock(mu);
    sessions.erase(s);
    if (sessions.empty()) drained.notify_all();
  }
  std::size_t session_count() {
    std::lock_guard lock(mu);
    return sessions.size();
  }

  std::string http_metrics() {
    std::string out;
    auto line = [&out](std::string_view name, std::string_view type, std::string_view help, std::uint64_t v) {
      out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, v);
    };
    line("lontar_http_connections_active", "gauge", "Open client connections.", session_count());
    line("lontar_http_connections_total", "counter", "Connections accepted.", stats.connections_total);
    line("lontar_http_connections_refused_total", "counter", "Connections closed at once: connections_max reached.",
         stats.connections_refused_total);
    line("lontar_http_tls_handshake_failures_total", "counter",
         "TLS handshakes that failed (no client certificate, not TLS 1.3, timeouts).", stats.handshake_failures_total);
    line("lontar_http_unregistered_keys_total", "counter",
         "Connections whose certificate key is not a registered, unrevoked principal.", stats.unregistered_keys_total);
    line("lontar_http_requests_total", "counter", "Requests answered.", stats.requests_total);
    line("lontar_http_responses_4xx_total", "counter", "Requests refused as the client's fault.",
         stats.responses_4xx_total);
    line("lontar_http_responses_5xx_total", "counter", "Requests that failed on the server.",
         stats.responses_5xx_total);
    line("lontar_http_bodies_too_large_total", "counter", "Request bodies refused with 413.",
         stats.bodies_too_large_total);
    return out;
  }

  void accept();
  void on_accept(error_code ec, tcp::socket socket);
  void stop();
};

namespace {

// One client connection: handshake, authenticate once, then requests one at a time.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, HttpServer::Impl& srv)
      : srv_(srv), cfg_(srv.config), stream_(std::move(socket), *srv.ctx) {
    error_code ec;
    // Responses go out in several writes (header, body, TLS records): without this, Nagle's
    // algorithm and the peer's delayed ACK add ~40 ms to many of them.
    beast::get_lowest_layer(stream_).socket().set_option(tcp::no_delay(true), ec);
    auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    peer_ = ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  ~Session() { srv_.forget(this); }

  void run() {
    srv_.remember(this, weak_from_this());
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::handshake, shared_from_this()));
  }

  // On stop(): a connection with no request in flight is closed now.
  void stop_if_idle() {
    if (!busy_) beast::get_lowest_layer(stream_).close();
  }

  asio::any_io_executor executor() { return stream_.get_executor(); }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  // Runs `work` (a service call) on the service threads and then the callable it
  // returns back on this connection's strand.
  template <class Work>
  void in_service(Work work) {
    auto guard = asio::make_work_guard(srv_.ioc);
    asio::post(srv_.workers, [self = shared_from_this(), work = std::move(work), guard = std::move(guard)]() mutable {
      auto then = work();
      asio::post(self->stream_.get_executor(), [self, then = std::move(then)]() mutable { then(); });
    });
  }

  void handshake() {
    lowest().expires_after(cfg_.handshake_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            beast::bind_front_handler(&Session::on_handshake, shared_from_this()));
  }

  void on_handshake(error_code ec) {
    if (ec) {
      ++srv_.stats.handshake_failures_total;
      spdlog::info("http {}: TLS handshake failed: {}", peer_, ec.message());
      return;
    }
    access_.public_without_certificate = cfg_.public_without_certificate;
    auto key = net::peer_public_key(stream_.native_handle());
    if (!key.ok()) {  // anonymous (allowed by config) or not an Ed25519 certificate
      read_request();
      return;
    }
    access_.key = *key;
    in_service([self = shared_from_this(), k = *key] {
      Result<std::optional<Caller>> who = Error{Code::internal, "authenticate threw"};
      try {
        who = self->srv_.service.authenticate(k);
      } catch (const std::exception& e) {
        who = Error{Code::internal, std::string("authenticate threw: ") + e.what()};
      }
      return [self, who = std::move(who)]() mutable { self->on_authenticated(std::move(who)); };
    });
  }

  void on_authenticated(Result<std::optional<Caller>> who) {
    if (!who.ok()) {
      spdlog::warn("http {}: cannot authenticate key {}: {}", peer_, crypto::fingerprint(*access_.key),
                   who.error().message);
      access_.auth_error = std::move(who).error();
    } else if (!who->has_value()) {
      ++srv_.stats.unregistered_keys_total;
      spdlog::info("http {}: key {} is not a registered, unrevoked principal", peer_,
                   crypto::fingerprint(*access_.key));
    } else {
      access_.caller = std::move(**who);
    }
    read_request();
  }

  void read_request() {
    if (srv_.stopping) {
      shutdown();
      return;
    }
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(cfg_.header_bytes_max));
    // The largest body any route takes; the route's own limit is set once the header is in.
    parser_->body_limit(std::max(cfg_.push_body_bytes_max, request_body_bytes_max));
    lowest().expires_after(cfg_.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(error_code ec, std::size_t /*bytes*/) {
    if (ec == bhttp::error::end_of_stream) {
      shutdown();
      return;
    }
    if (ec == bhttp::error::body_limit) {
      busy_ = true;
      remember_request();
      too_large(cfg_.push_body_bytes_max);
      return;
    }
    if (ec == bhttp::error::header_limit) {
      busy_ = true;
      reply(error_reply(431, "the request header is larger than " + std::to_string(cfg_.header_bytes_max) + " bytes"),
            true);
      return;
    }
    if (ec) {
      if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
          ec != bhttp::error::partial_message) {
        busy_ = true;
        reply(error_reply(400, "malformed HTTP request: " + ec.message()), true);
        return;
      }
      spdlog::debug("http {}: connection ends: {}", peer_, ec.message());
      return;
    }
    busy_ = true;
    remember_request();
    const std::size_t limit = body_limit_for(method_, target_, cfg_.push_body_bytes_max);
    if (auto length = parser_->content_length(); length && *length > limit) {
      too_large(limit);
      return;
    }
    parser_->body_limit(limit);
    if (parser_->is_done()) {
      on_request();
      return;
    }
    lowest().expires_after(cfg_.body_timeout);
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_body, shared_from_this()));
  }

  void remember_request() {
    const auto& req = parser_->get();
    method_ = std::string(req.method_string());
    target_ = std::string(req.target());
    keep_alive_requested_ = req.keep_alive();
    started_ = std::chrono::steady_clock::now();
    bytes_in_ = 0;
  }

  void on_body(error_code ec, std::size_t /*bytes*/) {
    if (ec == bhttp::error::body_limit) {
      too_large(body_limit_for(method_, target_, cfg_.push_body_bytes_max));
      return;
    }
    if (ec) {
      spdlog::info("http {}: {} {}: request body not received: {}", peer_, method_, target_, ec.message());
      return;
    }
    on_request();
  }

  void too_large(std::size_t limit) {
    ++srv_.stats.bodies_too_large_total;
    linger_ = true;
    reply(error_reply(413, method_ + " " + target_.substr(0, 128) + ": the body is larger than this route's limit of " +
                               std::to_string(limit) + " bytes; send smaller batches"),
          true);
  }

  void on_request() {
    auto req = parser_->release();
    bytes_in_ = req.body().size();
    in_service([self = shared_from_this(), req = std::move(req)] {
      const auto& ledger = self->srv_.config.ledger;
      Reply r = handle(
          self->srv_.service, self->access_, self->method_, self->target_, req.body(),
          [impl = &self->srv_] { return impl->http_metrics(); }, ledger ? &*ledger : nullptr);
      return [self, r = std::move(r)]() mutable { self->reply(std::move(r), false); };
    });
  }

  void reply(Reply r, bool close_after) {
    ++srv_.stats.requests_total;
    if (r.status >= 500)
      ++srv_.stats.responses_5xx_total;
    else if (r.status >= 400)
      ++srv_.stats.responses_4xx_total;
    status_ = r.status;
    res_.emplace(static_cast<bhttp::status>(r.status), http_version);
    res_->set(bhttp::field::server, "lontar");
    res_->set(bhttp::field::content_type, r.content_type);
    if (!r.allow.empty()) res_->set(bhttp::field::allow, r.allow);
    if (!r.cache_control.empty()) res_->set(bhttp::field::cache_control, r.cache_control);
    res_->body() = std::move(r.body);
    keep_alive_ = !close_after && keep_alive_requested_ && !srv_.stopping;
    res_->keep_alive(keep_alive_);
    res_->prepare_payload();
    lowest().expires_after(cfg_.write_timeout);
    bhttp::async_write(stream_, *res_, beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(error_code ec, std::size_t bytes) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count();
    std::string who = access_.caller ? access_.caller->principal
                      : access_.key  ? "key:" + crypto::fingerprint(*access_.key)
                                     : std::string("-");
    spdlog::info("http {} {} \"{} {}\" {} in={}B out={}B {}ms{}", peer_, who, method_, target_.substr(0, 256), status_,
                 bytes_in_, bytes, ms, ec ? " write failed: " + ec.message() : std::string());
    busy_ = false;
    res_.reset();
    if (ec) return;
    if (linger_) {
      linger();
    } else if (!keep_alive_) {
      shutdown();
    } else {
      read_request();
    }
  }

  // After refusing a body, read and discard what the client still sends (bounded),
  // so that it can finish writing and read our answer instead of a reset.
  void linger() {
    drain_.resize(drain_chunk_bytes);
    drained_bytes_ = 0;
    lowest().expires_after(cfg_.linger_timeout);
    drain();
  }
  void drain() {
    stream_.async_read_some(asio::buffer(drain_), beast::bind_front_handler(&Session::on_drain, shared_from_this()));
  }
  void on_drain(error_code ec, std::size_t n) {
    drained_bytes_ += n;
    if (ec || drained_bytes_ > linger_bytes_max || srv_.stopping) return;
    drain();
  }

  void shutdown() {
    lowest().expires_after(cfg_.shutdown_timeout);
    stream_.async_shutdown(beast::bind_front_handler(&Session::on_shutdown, shared_from_this()));
  }
  void on_shutdown(error_code /*ec*/) {}  // the socket closes with the session

  HttpServer::Impl& srv_;
  const HttpServerConfig& cfg_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> res_;
  Access access_;
  std::string peer_;
  std::string method_;
  std::string target_;
  bool keep_alive_requested_ = false;
  bool keep_alive_ = false;
  bool busy_ = false;  // a request's header has arrived and its response is not yet written
  bool linger_ = false;
  int status_ = 0;
  std::size_t bytes_in_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::vector<char> drain_;
  std::size_t drained_bytes_ = 0;
};

}  // namespace

void HttpServer::Impl::accept() {
  acceptor.async_accept(asio::make_strand(ioc),
                        [this](error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void HttpServer::Impl::on_accept(error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    spdlog::warn("http: accept failed: {}; trying again in {} ms", ec.message(), accept_pause_ms);
    accept_pause.expires_after(std::chrono::milliseconds(accept_pause_ms));
    accept_pause.async_wait([this](error_code wait_ec) {
      if (!wait_ec && !stopping) accept();
    });
    return;
  }
  if (stopping) return;
  if (session_count() >= config.connections_max) {
    ++stats.connections_refused_total;
    spdlog::warn("http: {} connections open (connections_max); closing a new one", config.connections_max);
  } else {
    ++stats.connections_total;
    std::make_shared<Session>(std::move(socket), *this)->run();
  }
  accept();
}

void HttpServer::Impl::stop() {
  std::lock_guard stop_lock(stop_mu);
  if (stopped) return;
  stopped = true;
  stopping = true;
  asio::post(acceptor.get_executor(), [this] {
    error_code ignored;
    acceptor.close(ignored);
    accept_pause.cancel();
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(mu);
    for (auto& [raw, weak] : sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) asio::post(s->executor(), [s] { s->stop_if_idle(); });
  live.clear();
  {
    std::unique_lock lock(mu);
    if (!drained.wait_for(lock, config.stop_timeout, [this] { return sessions.empty(); })) {
      spdlog::warn("http: {} connections still busy after {} ms; closing them", sessions.size(),
                   config.stop_timeout.count());
    }
  }
  ioc.stop();
  for (auto& t : threads) t.join();
  threads.clear();
  workers.join();
  spdlog::info("http: stopped");
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { stop(); }

std::uint16_t HttpServer::port() const { return impl_->port; }
void HttpServer::stop() { impl_->stop(); }

Status HttpServer::reload_identity(net::Identity identity) {
  LONTAR_ASSIGN(ssl::context ctx, net::make_server_context(identity, !impl_->config.public_without_certificate));
  auto fresh = std::make_unique<ssl::context>(std::move(ctx));
  Impl* raw = impl_.get();
  // Sessions are created in on_accept, which runs on the acceptor's strand.
  asio::post(raw->acceptor.get_executor(), [raw, fresh = std::shared_ptr<ssl::context>(std::move(fresh))]() mutable {
    raw->retired_ctx.push_back(std::move(raw->ctx));
    raw->ctx = std::make_unique<ssl::context>(std::move(*fresh));
  });
  spdlog::info("http: TLS certificate reloaded for new connections");
  return {};
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(LogService& service, HttpServerConfig config) {
  if (config.io_threads == 0 || config.service_threads == 0 || config.connections_max == 0) {
    return Error{Code::bad_input, "io_threads, service_threads and connections_max must be at least 1"};
  }
  LONTAR_ASSIGN(ssl::context ctx, net::make_server_context(config.identity, !config.public_without_certificate));
  error_code ec;
  auto address = asio::ip::make_address(config.address, ec);
  if (ec) {
    return Error{Code::bad_input, "listen address '" + config.address +
                                      "' is not an IP address; use e.g. 0.0.0.0 (all) or 127.0.0.1 (this machine)"};
  }
  const std::string where = config.address + ":" + std::to_string(config.port);
  auto impl = std::make_unique<Impl>(service, std::move(config), std::move(ctx));
  tcp::endpoint endpoint(address, impl->config.port);
  auto& acc = impl->acceptor;
  auto fail = [&](const char* step) {
    return Error{Code::io, "cannot listen on " + where + ": " + step + ": " + ec.message() +
                               (ec == asio::error::address_in_use ? "; is another lontar-server running?" : "")};
  };
  if (acc.open(endpoint.protocol(), ec); ec) return fail("open");
  if (acc.set_option(asio::socket_base::reuse_address(true), ec); ec) return fail("reuse_address");
  if (acc.bind(endpoint, ec); ec) return fail("bind");
  if (acc.listen(asio::socket_base::max_listen_connections, ec); ec) return fail("listen");
  impl->port = acc.local_endpoint(ec).port();
  impl->accept();
  Impl* raw = impl.get();
  for (std::size_t i = 0; i < raw->config.io_threads; ++i) raw->threads.emplace_back([raw] { raw->ioc.run(); });
  spdlog::info("http: listening on {}:{} (TLS 1.3, client certificates {})", raw->config.address, raw->port,
               raw->config.public_without_certificate ? "optional for public resources" : "required");
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace lontar::server::http
