#include "http/server.hpp"

#include <fmt/format.h>
#include <malloc.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <cstdio>
#include <thread>
#include <type_traits>

namespace lontar::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t linger_bytes_max = 64 << 20;  // drained from a client whose request was refused
constexpr std::size_t drain_chunk_bytes = 16 << 10;
constexpr int http_version = 11;
constexpr int accept_pause_ms = 100;
constexpr std::size_t log_sources_max = 4096;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

void log_stderr(const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); }

}  // namespace

std::string_view find_field(const Fields& fields, std::string_view name) {
  for (const auto& [k, v] : fields) {
    if (iequals(k, name)) return v;
  }
  return {};
}

Response text_response(int status, std::string_view message) {
  Response r;
  r.status = status;
  r.body = std::string(message) + "\n";
  return r;
}

bool LogLimiter::allow(std::string_view source, std::uint64_t& suppressed) {
  const auto now = clock::now();
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(source));
  if (it == entries_.end()) {
    if (entries_.size() >= log_sources_max) {
      std::erase_if(entries_, [&](const auto& e) { return now - e.second.last >= interval_; });
      if (entries_.size() >= log_sources_max) entries_.clear();
    }
    entries_.emplace(std::string(source), Entry{now, 0});
    suppressed = 0;
    return true;
  }
  if (now - it->second.last < interval_) {
    ++it->second.suppressed;
    return false;
  }
  suppressed = it->second.suppressed;
  it->second = Entry{now, 0};
  return true;
}

namespace {

class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  virtual ~SessionBase() = default;
  virtual void stop_if_idle() = 0;
  virtual void evict() = 0;
  virtual asio::any_io_executor executor() = 0;
};

}  // namespace

namespace {

// Whether bytes wait on socket `fd` (or it was closed by the peer: then not).
bool has_pending_bytes(int fd) {
  if (fd < 0) return false;
  char c = 0;
  return ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

}  // namespace

struct Server::Impl {
  struct Stats {
    std::atomic<std::uint64_t> connections_total{0}, connections_refused_total{0}, connections_evicted_total{0},
        connections_expired_total{0}, handshake_failures_total{0}, requests_total{0},
        requests_refused_at_headers_total{0}, responses_4xx_total{0}, responses_5xx_total{0}, bodies_too_large_total{0},
        headers_too_large_total{0}, bodies_over_budget_total{0};
  };
  struct Slot {
    std::weak_ptr<SessionBase> session;
    std::string address;
    clock::time_point accepted;
    bool trusted = false;
    bool busy = false;
    bool silent = true;    // no byte received since accept (a flood's raw connection)
    int fd = -1;           // the socket, to look for bytes not yet noticed (see make_room)
    bool evicted = false;  // counted out already; closing
  };

  ServerConfig config;
  Handlers handlers;
  std::unique_ptr<ssl::context> ctx;  // none for plain HTTP; replaced on the acceptor's strand
  std::vector<std::unique_ptr<ssl::context>> retired_ctx;
  Stats stats;
  LogLimiter log_limiter;
  std::atomic<std::uint64_t> body_bytes_in_flight{0};
  // Declared before the io_context so that sessions destroyed with it can still deregister.
  mutable std::mutex mu;
  std::condition_variable drained;
  std::unordered_map<SessionBase*, Slot> sessions;
  std::unordered_map<std::string, std::size_t> untrusted_by_address;
  std::size_t live = 0;       // sessions not evicted
  std::size_t untrusted = 0;  // of which untrusted
  std::atomic<bool> stopping{false};
  std::mutex stop_mu;
  bool stopped = false;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::steady_timer accept_pause;
  asio::steady_timer trim_timer;
  std::uint64_t trimmed_at_total = 0;  // connections_total at the last trim
  asio::thread_pool workers;           // after ioc: its jobs hold work on ioc
  std::vector<std::thread> threads;
  std::uint16_t port = 0;

  Impl(ServerConfig c, Handlers h, std::unique_ptr<ssl::context> x)
      : config(std::move(c)),
        handlers(std::move(h)),
        ctx(std::move(x)),
        log_limiter(config.log_interval),
        ioc(static_cast<int>(config.io_threads)),
        acceptor(asio::make_strand(ioc)),
        accept_pause(acceptor.get_executor()),
        trim_timer(acceptor.get_executor()),
        workers(config.worker_threads) {
    if (!handlers.log) handlers.log = log_stderr;
  }

  void log_line(const std::string& line) {
    try {
      handlers.log(line);
    } catch (...) {  // a log that fails must not take a connection with it
    }
  }

  // Logs `what` about `source` at most once per log_interval.
  void log_limited(std::string_view source, const std::string& what) {
    std::uint64_t suppressed = 0;
    if (!log_limiter.allow(source, suppressed)) return;
    log_line(fmt::format("{} {}: {}{}", config.name, source, what,
                         suppressed ? fmt::format(" ({} more like this not logged)", suppressed) : std::string()));
  }

  void uncount(Slot& s) {
    if (s.evicted) return;
    --live;
    if (!s.trusted) {
      --untrusted;
      auto it = untrusted_by_address.find(s.address);
      if (it != untrusted_by_address.end() && --it->second == 0) untrusted_by_address.erase(it);
    }
  }
  void forget(SessionBase* s) {
    std::lock_guard lock(mu);
    auto it = sessions.find(s);
    if (it == sessions.end()) return;
    uncount(it->second);
    sessions.erase(it);
    if (sessions.empty()) drained.notify_all();
  }
  void set_trusted(SessionBase* s) {
    std::lock_guard lock(mu);
    auto it = sessions.find(s);
    if (it == sessions.end() || it->second.trusted || it->second.evicted) return;
    uncount(it->second);
    it->second.trusted = true;
    ++live;
  }
  void set_busy(SessionBase* s, bool busy) {
    std::lock_guard lock(mu);
    if (auto it = sessions.find(s); it != sessions.end()) it->second.busy = busy;
  }
  void set_spoke(SessionBase* s) {
    std::lock_guard lock(mu);
    if (auto it = sessions.find(s); it != sessions.end()) it->second.silent = false;
  }
  bool scarce() const {
    std::lock_guard lock(mu);
    return live * 4 > config.connections_max * 3;
  }

  // Makes room for a new connection from `address` (the caller holds mu): nothing to do,
  // an idle untrusted session to evict (returned), or refuse (returns false).
  bool make_room(const std::string& address, std::shared_ptr<SessionBase>& victim) {
    const std::size_t untrusted_max = config.connections_max - config.connections_reserved;  // start() checked
    auto by_addr = untrusted_by_address.find(address);
    const bool per_address =
        by_addr != untrusted_by_address.end() && by_addr->second >= config.untrusted_per_address_max;
    const bool overall = live >= config.connections_max || untrusted >= untrusted_max;
    if (!per_address && !overall) return true;
    // The victim: the oldest untrusted connection that has sent nothing since accept, at any
    // age (a client that means to talk sends its first bytes at once: an office arriving
    // amid a flood of silent connections from its own address is not the one closed);
    // else the oldest idle untrusted one at least evict_age_min old.
    const auto now = clock::now();
    Slot* oldest = nullptr;
    Slot* oldest_silent = nullptr;
    for (;;) {
      oldest = oldest_silent = nullptr;
      for (auto& [raw, slot] : sessions) {
        if (slot.trusted || slot.busy || slot.evicted) continue;
        if (per_address && slot.address != address) continue;
        if (slot.silent && (!oldest_silent || slot.accepted < oldest_silent->accepted)) oldest_silent = &slot;
        if (now - slot.accepted < config.evict_age_min) continue;
        if (!oldest || slot.accepted < oldest->accepted) oldest = &slot;
      }
      // Its first bytes may have arrived without its strand having run yet (a loaded server):
      // then it has spoken. (A stale descriptor, of a session closing, is a harmless victim.)
      if (!oldest_silent || !has_pending_bytes(oldest_silent->fd)) break;
      oldest_silent->silent = false;
    }
    if (oldest_silent) oldest = oldest_silent;
    if (!oldest) return false;
    // Evicting an untrusted one frees an untrusted slot and a slot overall.
    victim = oldest->session.lock();
    uncount(*oldest);
    oldest->evicted = true;
    return true;
  }

  ServerStats snapshot() const {
    ServerStats s;
    {
      std::lock_guard lock(mu);
      s.connections_active = live;
      s.connections_untrusted = untrusted;
    }
    s.body_bytes_in_flight = body_bytes_in_flight;
    s.connections_total = stats.connections_total;
    s.connections_refused_total = stats.connections_refused_total;
    s.connections_evicted_total = stats.connections_evicted_total;
    s.connections_expired_total = stats.connections_expired_total;
    s.handshake_failures_total = stats.handshake_failures_total;
    s.requests_total = stats.requests_total;
    s.requests_refused_at_headers_total = stats.requests_refused_at_headers_total;
    s.responses_4xx_total = stats.responses_4xx_total;
    s.responses_5xx_total = stats.responses_5xx_total;
    s.bodies_too_large_total = stats.bodies_too_large_total;
    s.headers_too_large_total = stats.headers_too_large_total;
    s.bodies_over_budget_total = stats.bodies_over_budget_total;
    return s;
  }

  // Reserves `n` bytes of the body budget; false if that would pass it.
  bool reserve_body(std::size_t n) {
    std::uint64_t cur = body_bytes_in_flight.load();
    do {
      if (cur + n > config.body_bytes_in_flight_max) return false;
    } while (!body_bytes_in_flight.compare_exchange_weak(cur, cur + n));
    return true;
  }
  void release_body(std::size_t n) { body_bytes_in_flight -= n; }

  void accept();
  void on_accept(error_code ec, tcp::socket socket);
  void stop();

  // Trims the heap every memory_trim_interval when connections came and went since.
  void trim_later() {
    if (config.memory_trim_interval.count() <= 0) return;
    trim_timer.expires_after(config.memory_trim_interval);
    trim_timer.async_wait([this](error_code ec) {
      if (ec || stopping) return;
      const std::uint64_t total = stats.connections_total + stats.connections_refused_total;
      if (total != trimmed_at_total) {
        trimmed_at_total = total;
        ::malloc_trim(0);
      }
      trim_later();
    });
  }
};

namespace {

template <class Stream>
constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

// One client connection: handshake (TLS), on_connect, then requests one at a time.
template <class Stream>
class Session : public SessionBase {
 public:
  // TLS
  Session(tcp::socket&& socket, Server::Impl& srv, ssl::context& ctx) requires(is_tls<Stream>)
      : srv_(srv), cfg_(srv.config), stream_(std::move(socket), ctx) {
    init();
  }
  // plain
  Session(tcp::socket&& socket, Server::Impl& srv) requires(!is_tls<Stream>)
      : srv_(srv), cfg_(srv.config), stream_(std::move(socket)) {
    init();
  }
  ~Session() override {
    if (reserved_) srv_.release_body(reserved_);
    srv_.forget(this);
  }

  void run() {
    asio::dispatch(stream_.get_executor(), [self = self()] { self->handshake(); });
  }

  void stop_if_idle() override {
    if (!busy_) lowest().close();
  }
  void evict() override {
    if (!busy_) lowest().close();
  }
  asio::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  std::shared_ptr<Session> self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void init() {
    error_code ec;
    // Responses go out in several writes: without this, Nagle's algorithm and the peer's
    // delayed ACK add ~40 ms to many of them.
    lowest().socket().set_option(tcp::no_delay(true), ec);
    auto ep = lowest().socket().remote_endpoint(ec);
    peer_.tls = is_tls<Stream>;
    if (!ec) {
      peer_.address = ep.address().to_string();
      peer_.port = ep.port();
    } else {
      peer_.address = "?";
    }
    who_ = peer_.address + ":" + std::to_string(peer_.port);
  }

  // Runs `work` on the worker threads, then the callable it returns on this connection's strand.
  template <class Work>
  void in_worker(Work work) {
    auto guard = asio::make_work_guard(srv_.ioc);
    asio::post(srv_.workers, [self = self(), work = std::move(work), guard = std::move(guard)]() mutable {
      auto then = work();
      asio::post(self->stream_.get_executor(), [self, then = std::move(then)]() mutable { then(); });
    });
  }

  void set_busy(bool b) {
    busy_ = b;
    srv_.set_busy(this, b);
  }

  // Waits for the client's first bytes (within the handshake timeout for TLS, the idle
  // timeout for plain HTTP): until they come the connection is silent, the first one evicted
  // when its address or the server is at its cap.
  void handshake() {
    silent_timer_.expires_after(is_tls<Stream>  ? cfg_.handshake_timeout
                                : srv_.scarce() ? cfg_.idle_timeout_scarce
                                                : cfg_.idle_timeout);
    silent_timer_.async_wait([self = self()](error_code ec) {
      if (ec) return;  // cancelled: the client spoke (or the connection closed)
      if constexpr (is_tls<Stream>) {
        ++self->srv_.stats.handshake_failures_total;
        self->srv_.log_limited(self->peer_.address, "TLS handshake failed: no bytes within the handshake timeout");
      }
      error_code ignored;
      self->lowest().socket().close(ignored);
    });
    lowest().socket().async_wait(tcp::socket::wait_read, [self = self()](error_code ec) {
      self->silent_timer_.cancel();
      if (ec) return;  // closed: evicted, stopped, or the timeout
      self->srv_.set_spoke(self.get());
      self->start_handshake();
    });
  }

  void start_handshake() {
    if constexpr (is_tls<Stream>) {
      lowest().expires_after(cfg_.handshake_timeout);
      stream_.async_handshake(ssl::stream_base::server, [self = self()](error_code ec) { self->on_handshake(ec); });
    } else {
      on_handshake({});
    }
  }

  void on_handshake(error_code ec) {
    if (ec) {
      ++srv_.stats.handshake_failures_total;
      srv_.log_limited(peer_.address, "TLS handshake failed: " + ec.message());
      return;
    }
    if constexpr (is_tls<Stream>) {
      if (auto key = net::peer_public_key(stream_.native_handle()); key.ok()) peer_.client_key = *key;
    }
    if (!srv_.handlers.on_connect) {
      read_request();
      return;
    }
    lowest().expires_after(cfg_.idle_timeout);  // bounds the wait for a worker too
    in_worker([self = self()] {
      bool trusted = false;
      try {
        trusted = self->srv_.handlers.on_connect(self->peer_);
      } catch (const std::exception& e) {
        self->srv_.log_line(fmt::format("{} {}: on_connect threw: {}", self->cfg_.name, self->who_, e.what()));
      }
      return [self, trusted] {
        if (trusted) self->srv_.set_trusted(self.get());
        self->read_request();
      };
    });
  }

  void read_request() {
    if (srv_.stopping) {
      shutdown();
      return;
    }
    if (clock::now() - accepted_ >= cfg_.connection_lifetime_max) {
      ++srv_.stats.connections_expired_total;
      shutdown();
      return;
    }
    head_ = RequestHead{};
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(cfg_.header_bytes_max));
    // The largest any request may have; each request's own once on_headers has decided.
    parser_->body_limit(cfg_.body_bytes_max);
    lowest().expires_after(srv_.scarce() ? cfg_.idle_timeout_scarce : cfg_.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = self()](error_code ec, std::size_t) { self->on_header(ec); });
  }

  static bool is_parse_error(error_code ec) {
    return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
           ec != bhttp::error::partial_message && ec != bhttp::error::end_of_stream;
  }

  void on_header(error_code ec) {
    if (ec == bhttp::error::end_of_stream) {
      shutdown();
      return;
    }
    if (ec == bhttp::error::header_limit) {
      set_busy(true);
      ++srv_.stats.headers_too_large_total;
      refuse_and_drain(
          text_response(431, "the request header is larger than " + std::to_string(cfg_.header_bytes_max) + " bytes"));
      return;
    }
    if (ec == bhttp::error::body_limit) {  // Content-Length past any route's limit
      set_busy(true);
      head_ = RequestHead{};
      head_.method = std::string(parser_->get().method_string());
      head_.target = std::string(parser_->get().target());
      too_large(cfg_.body_bytes_max);
      return;
    }
    if (ec) {
      if (is_parse_error(ec)) {
        set_busy(true);
        refuse_and_drain(text_response(400, "malformed HTTP request: " + ec.message()));
        return;
      }
      return;  // the client went away or timed out: the session ends
    }
    set_busy(true);
    const auto& req = parser_->get();
    head_ = RequestHead{};
    head_.method = std::string(req.method_string());
    head_.target = std::string(req.target());
    if (auto length = parser_->content_length()) head_.content_length = *length;
    head_.chunked = parser_->chunked();
    for (const auto& f : req) head_.fields.emplace_back(std::string(f.name_string()), std::string(f.value()));
    keep_alive_requested_ = req.keep_alive();
    started_ = clock::now();
    if (!srv_.handlers.on_headers) {
      on_admission(Admission{});
      return;
    }
    lowest().expires_after(cfg_.body_timeout);  // bounds the wait for a worker too
    in_worker([self = self()] {
      Admission a;
      try {
        a = self->srv_.handlers.on_headers(self->peer_, self->head_);
      } catch (const std::exception& e) {
        a = Admission::refuse(text_response(500, std::string("internal error: ") + e.what()));
      }
      return [self, a = std::move(a)]() mutable { self->on_admission(std::move(a)); };
    });
  }

  void on_admission(Admission a) {
    if (a.refusal) {
      ++srv_.stats.requests_refused_at_headers_total;
      if (head_.has_body()) {
        refuse_and_drain(std::move(*a.refusal));
      } else {
        reply(std::move(*a.refusal));
      }
      return;
    }
    context_ = std::move(a.context);
    const std::size_t limit = a.body_bytes_max;
    if (head_.content_length && *head_.content_length > limit) {
      too_large(limit);
      return;
    }
    // The budget holds what this body may grow to: its length, or the route's limit.
    const std::size_t want = head_.content_length ? static_cast<std::size_t>(*head_.content_length)
                             : head_.chunked      ? limit
                                                  : 0;
    if (want > 0 && !srv_.reserve_body(want)) {
      ++srv_.stats.bodies_over_budget_total;
      srv_.log_limited(peer_.address, "request bodies in flight at the server's budget; 503 for " + head_.method + " " +
                                          head_.target.substr(0, 128));
      Response r = text_response(503, "the server is receiving too many request bodies at once; try again in " +
                                          std::to_string(cfg_.retry_after_seconds) + " s");
      r.fields.emplace_back("Retry-After", std::to_string(cfg_.retry_after_seconds));
      refuse_and_drain(std::move(r));
      return;
    }
    reserved_ = want;
    parser_->body_limit(limit);
    if (parser_->is_done()) {
      on_request();
      return;
    }
    lowest().expires_after(cfg_.body_timeout);
    bhttp::async_read(stream_, buffer_, *parser_, [self = self()](error_code ec, std::size_t) { self->on_body(ec); });
  }

  void on_body(error_code ec) {
    if (ec == bhttp::error::body_limit) {
      too_large(parser_->get().body().size());
      return;
    }
    if (ec) {
      if (is_parse_error(ec)) {  // e.g. a malformed chunk size
        refuse_and_drain(text_response(400, "malformed HTTP request body: " + ec.message()));
        return;
      }
      srv_.log_limited(peer_.address, head_.method + " " + head_.target.substr(0, 128) +
                                          ": request body not received: " + ec.message());
      return;
    }
    on_request();
  }

  void too_large(std::size_t limit) {
    ++srv_.stats.bodies_too_large_total;
    refuse_and_drain(text_response(413, head_.method + " " + head_.target.substr(0, 128) +
                                            ": the body is larger than this route's limit of " + std::to_string(limit) +
                                            " bytes; send smaller batches"));
  }

  void on_request() {
    auto req = std::make_shared<Request>();
    req->head = head_;
    req->body = std::move(parser_->get().body());
    req->context = context_;
    parser_.reset();
    bytes_in_ = req->body.size();
    in_worker([self = self(), req] {
      Response r;
      try {
        r = self->srv_.handlers.handle(self->peer_, *req);
      } catch (const std::exception& e) {
        self->srv_.log_line(fmt::format("{} {}: handler threw: {}", self->cfg_.name, self->who_, e.what()));
        r = text_response(500, "internal error");
      }
      req->body.clear();
      req->body.shrink_to_fit();
      return [self, r = std::move(r)]() mutable {
        self->release_reservation();
        self->reply(std::move(r));
      };
    });
  }

  void release_reservation() {
    if (reserved_) srv_.release_body(reserved_);
    reserved_ = 0;
  }

  // Answers, then reads and discards what the client still sends (bounded), so that it can
  // finish writing and read our answer instead of a reset; then closes.
  void refuse_and_drain(Response r) {
    release_reservation();
    linger_ = true;
    r.close = true;
    reply(std::move(r));
  }

  void reply(Response r) {
    ++srv_.stats.requests_total;
    if (r.status >= 500)
      ++srv_.stats.responses_5xx_total;
    else if (r.status >= 400)
      ++srv_.stats.responses_4xx_total;
    status_ = r.status;
    res_.emplace(static_cast<bhttp::status>(r.status), http_version);
    res_->set(bhttp::field::server, "lontar");
    res_->set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.fields) res_->insert(k, v);
    res_->body() = std::move(r.body);
    const bool expired = clock::now() - accepted_ >= cfg_.connection_lifetime_max;
    keep_alive_ = !r.close && keep_alive_requested_ && !srv_.stopping && !expired;
    res_->keep_alive(keep_alive_);
    res_->prepare_payload();
    lowest().expires_after(cfg_.write_timeout);
    bhttp::async_write(stream_, *res_, [self = self()](error_code ec, std::size_t n) { self->on_write(ec, n); });
  }

  void on_write(error_code ec, std::size_t bytes) {
    if (srv_.handlers.on_exchange) {
      try {
        srv_.handlers.on_exchange(
            Exchange{peer_, head_.method, head_.target, status_, bytes_in_, bytes,
                     std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started_), context_});
      } catch (...) {  // an access log that fails must not take a connection with it
      }
    }
    context_.reset();
    set_busy(false);
    res_.reset();
    parser_.reset();
    if (ec) return;
    if (linger_) {
      linger();
    } else if (!keep_alive_) {
      shutdown();
    } else {
      read_request();
    }
  }

  void linger() {
    drain_.resize(drain_chunk_bytes);
    drained_bytes_ = 0;
    buffer_.clear();
    buffer_.shrink_to_fit();
    // The client sees our answer end (for TLS without close_notify: the response carries
    // Content-Length and Connection: close, so nothing is truncated) while we keep reading.
    error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().expires_after(cfg_.linger_timeout);
    drain();
  }
  void drain() {
    stream_.async_read_some(asio::buffer(drain_), [self = self()](error_code ec, std::size_t n) {
      self->drained_bytes_ += n;
      if (ec || self->drained_bytes_ > linger_bytes_max || self->srv_.stopping) return;
      self->drain();
    });
  }

  void shutdown() {
    if constexpr (is_tls<Stream>) {
      lowest().expires_after(cfg_.shutdown_timeout);
      stream_.async_shutdown([self = self()](error_code) {});  // the socket closes with the session
    } else {
      error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  Server::Impl& srv_;
  const ServerConfig& cfg_;
  Stream stream_;
  asio::steady_timer silent_timer_{stream_.get_executor()};
  Peer peer_;
  std::string who_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> res_;
  RequestHead head_;
  std::shared_ptr<const void> context_;
  std::size_t reserved_ = 0;  // bytes of the body budget held
  bool keep_alive_requested_ = false;
  bool keep_alive_ = false;
  bool busy_ = false;  // a request's header has arrived and its response is not yet written
  bool linger_ = false;
  int status_ = 0;
  std::size_t bytes_in_ = 0;
  clock::time_point accepted_ = clock::now();
  clock::time_point started_ = clock::now();
  std::vector<char> drain_;
  std::size_t drained_bytes_ = 0;
};

}  // namespace

void Server::Impl::accept() {
  acceptor.async_accept(asio::make_strand(ioc),
                        [this](error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void Server::Impl::on_accept(error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    log_line(fmt::format("{}: accept failed: {}; trying again in {} ms", config.name, ec.message(), accept_pause_ms));
    accept_pause.expires_after(std::chrono::milliseconds(accept_pause_ms));
    accept_pause.async_wait([this](error_code wait_ec) {
      if (!wait_ec && !stopping) accept();
    });
    return;
  }
  if (stopping) return;
  error_code ep_ec;
  auto ep = socket.remote_endpoint(ep_ec);
  const std::string address = ep_ec ? std::string("?") : ep.address().to_string();
  const int fd = socket.native_handle();
  std::shared_ptr<SessionBase> victim;
  std::shared_ptr<SessionBase> session;
  {
    std::lock_guard lock(mu);
    if (make_room(address, victim)) {
      if (ctx) {
        session = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(std::move(socket), *this, *ctx);
      } else {
        session = std::make_shared<Session<beast::tcp_stream>>(std::move(socket), *this);
      }
      Slot slot{session, address, clock::now()};
      slot.fd = fd;
      sessions.emplace(session.get(), std::move(slot));
      ++live;
      ++untrusted;
      ++untrusted_by_address[address];
    }
  }
  if (victim) {
    ++stats.connections_evicted_total;
    asio::post(victim->executor(), [victim] { victim->evict(); });
  }
  if (!session) {
    ++stats.connections_refused_total;
    log_limited(address, "connection refused: connection caps reached (connections_max, untrusted per address)");
    error_code ignored;
    socket.close(ignored);
  } else {
    ++stats.connections_total;
    if (ctx) {
      std::static_pointer_cast<Session<beast::ssl_stream<beast::tcp_stream>>>(session)->run();
    } else {
      std::static_pointer_cast<Session<beast::tcp_stream>>(session)->run();
    }
  }
  accept();
}

void Server::Impl::stop() {
  std::lock_guard stop_lock(stop_mu);
  if (stopped) return;
  stopped = true;
  stopping = true;
  asio::post(acceptor.get_executor(), [this] {
    error_code ignored;
    acceptor.close(ignored);
    accept_pause.cancel();
    trim_timer.cancel();
  });
  std::vector<std::shared_ptr<SessionBase>> open;
  {
    std::lock_guard lock(mu);
    for (auto& [raw, slot] : sessions) {
      if (auto s = slot.session.lock()) open.push_back(std::move(s));
    }
  }
  for (auto& s : open) asio::post(s->executor(), [s] { s->stop_if_idle(); });
  open.clear();
  {
    std::unique_lock lock(mu);
    if (!drained.wait_for(lock, config.stop_timeout, [this] { return sessions.empty(); })) {
      log_line(fmt::format("{}: {} connections still busy after {} ms; closing them", config.name, sessions.size(),
                           config.stop_timeout.count()));
    }
  }
  ioc.stop();
  for (auto& t : threads) t.join();
  threads.clear();
  workers.join();
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { stop(); }

std::uint16_t Server::port() const { return impl_->port; }
void Server::stop() { impl_->stop(); }
ServerStats Server::stats() const { return impl_->snapshot(); }
const ServerConfig& Server::config() const { return impl_->config; }

std::string Server::metrics() const {
  const ServerStats s = stats();
  const std::string p = "lontar_" + impl_->config.name + "_";
  std::string out;
  auto line = [&](std::string_view name, std::string_view type, std::string_view help, std::uint64_t v) {
    out += fmt::format("# HELP {0}{1} {2}\n# TYPE {0}{1} {3}\n{0}{1} {4}\n", p, name, help, type, v);
  };
  line("connections_active", "gauge", "Open client connections.", s.connections_active);
  line("connections_untrusted", "gauge", "Open connections not (yet) known to be a registered principal's.",
       s.connections_untrusted);
  line("body_bytes_in_flight", "gauge", "Request-body bytes reserved by requests being read or handled.",
       s.body_bytes_in_flight);
  line("connections_total", "counter", "Connections accepted.", s.connections_total);
  line("connections_refused_total", "counter",
       "Connections closed at once: connections_max or the untrusted caps reached.", s.connections_refused_total);
  line("connections_evicted_total", "counter", "Idle untrusted connections closed to make room for new ones.",
       s.connections_evicted_total);
  line("connections_expired_total", "counter", "Connections closed at their maximum lifetime.",
       s.connections_expired_total);
  line("tls_handshake_failures_total", "counter",
       "TLS handshakes that failed (no client certificate, not TLS 1.3, timeouts).", s.handshake_failures_total);
  line("requests_total", "counter", "Requests answered.", s.requests_total);
  line("requests_refused_at_headers_total", "counter", "Requests refused from their headers, body unread.",
       s.requests_refused_at_headers_total);
  line("responses_4xx_total", "counter", "Requests refused as the client's fault.", s.responses_4xx_total);
  line("responses_5xx_total", "counter", "Requests that failed on the server.", s.responses_5xx_total);
  line("bodies_too_large_total", "counter", "Request bodies refused with 413.", s.bodies_too_large_total);
  line("headers_too_large_total", "counter", "Request headers refused with 431.", s.headers_too_large_total);
  line("bodies_over_budget_total", "counter", "Requests refused with 503: request bodies in flight at the budget.",
       s.bodies_over_budget_total);
  return out;
}

namespace {

Result<std::unique_ptr<ssl::context>> make_context(const TlsConfig& tls) {
  LONTAR_ASSIGN(ssl::context ctx,
                net::make_server_context(tls.identity, tls.client_certificates == ClientCertificates::required));
  if (tls.client_certificates == ClientCertificates::none)
    SSL_CTX_set_verify(ctx.native_handle(), SSL_VERIFY_NONE, nullptr);
  return std::make_unique<ssl::context>(std::move(ctx));
}

}  // namespace

Status Server::reload_identity(net::Identity identity) {
  if (!impl_->config.tls)
    return Error{Code::bad_input, "this server serves plain HTTP: there is no TLS identity to reload"};
  TlsConfig tls = *impl_->config.tls;
  tls.identity = std::move(identity);
  LONTAR_ASSIGN(auto fresh, make_context(tls));
  Impl* raw = impl_.get();
  // Sessions are created in on_accept, which runs on the acceptor's strand.
  asio::post(raw->acceptor.get_executor(), [raw, fresh = std::shared_ptr<ssl::context>(std::move(fresh))]() mutable {
    raw->retired_ctx.push_back(std::move(raw->ctx));
    raw->ctx = std::make_unique<ssl::context>(std::move(*fresh));
  });
  return {};
}

Result<std::unique_ptr<Server>> Server::start(ServerConfig config, Handlers handlers) {
  if (config.io_threads == 0 || config.worker_threads == 0 || config.connections_max == 0 ||
      config.untrusted_per_address_max == 0) {
    return Error{Code::bad_input,
                 "io_threads, worker_threads, connections_max and untrusted_per_address_max must be at least 1"};
  }
  if (!handlers.handle) return Error{Code::bad_input, "http::Server needs a handle hook"};
  if (config.connections_reserved >= config.connections_max) {
    return Error{Code::bad_input, fmt::format("connections_reserved ({}) must be less than connections_max ({})",
                                              config.connections_reserved, config.connections_max)};
  }
  std::unique_ptr<ssl::context> ctx;
  if (config.tls) {
    LONTAR_ASSIGN(ctx, make_context(*config.tls));
  }
  error_code ec;
  auto address = asio::ip::make_address(config.address, ec);
  if (ec) {
    return Error{Code::bad_input, "listen address '" + config.address +
                                      "' is not an IP address; use e.g. 0.0.0.0 (all) or 127.0.0.1 (this machine)"};
  }
  const std::string where = config.address + ":" + std::to_string(config.port);
  auto impl = std::make_unique<Impl>(std::move(config), std::move(handlers), std::move(ctx));
  tcp::endpoint endpoint(address, impl->config.port);
  auto& acc = impl->acceptor;
  auto fail = [&](const char* step) {
    return Error{Code::io, "cannot listen on " + where + ": " + step + ": " + ec.message() +
                               (ec == asio::error::address_in_use ? "; is another server running on that port?" : "")};
  };
  if (acc.open(endpoint.protocol(), ec); ec) return fail("open");
  if (acc.set_option(asio::socket_base::reuse_address(true), ec); ec) return fail("reuse_address");
  if (acc.bind(endpoint, ec); ec) return fail("bind");
  if (acc.listen(asio::socket_base::max_listen_connections, ec); ec) return fail("listen");
  impl->port = acc.local_endpoint(ec).port();
  impl->accept();
  impl->trim_later();
  Impl* raw = impl.get();
  for (std::size_t i = 0; i < raw->config.io_threads; ++i) raw->threads.emplace_back([raw] { raw->ioc.run(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

}  // namespace lontar::http
