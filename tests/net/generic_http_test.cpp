// The generic HTTP server (shared/http) over plain HTTP on loopback, driven with raw sockets.
#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "http/server.hpp"

using namespace lontar;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A blocking loopback client for requests the real clients will not send.
struct Raw {
  asio::io_context ioc;
  tcp::socket sock{ioc};
  explicit Raw(std::uint16_t port) { sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port)); }
  // Writes what it can of `bytes` (the server may stop reading and close).
  void send(std::string_view bytes) {
    boost::system::error_code ec;
    asio::write(sock, asio::buffer(bytes.data(), bytes.size()), ec);
  }
  // Everything until the server closes the connection (or an error).
  std::string read_all() {
    std::string out;
    std::array<char, 4096> buf{};
    for (;;) {
      boost::system::error_code ec;
      std::size_t n = sock.read_some(asio::buffer(buf), ec);
      out.append(buf.data(), n);
      if (ec) return out;
    }
  }
  // One response on a kept-alive connection: its header and its Content-Length body.
  std::string read_response() {
    std::string out;
    std::array<char, 1> c{};
    boost::system::error_code ec;
    while (out.find("\r\n\r\n") == std::string::npos && !ec) {
      if (sock.read_some(asio::buffer(c), ec) == 1) out += c[0];
    }
    const auto at = out.find("Content-Length: ");
    std::size_t length = at == std::string::npos ? 0 : std::stoul(out.substr(at + 16));
    std::string body(length, '\0');
    asio::read(sock, asio::buffer(body), ec);
    return out + body;
  }
};

bool starts_with(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }

struct Plain {
  std::atomic<int> handled{0};
  std::atomic<std::size_t> largest_body{0};
  std::unique_ptr<http::Server> server;

  explicit Plain(http::ServerConfig cfg = base_config()) {
    http::Handlers h;
    h.on_headers = [](const http::Peer&, const http::RequestHead& head) {
      if (head.target == "/forbidden") return http::Admission::refuse(http::text_response(403, "no"));
      http::Admission a;
      a.body_bytes_max = head.target == "/big" ? (4 << 20) : 1024;
      a.context = std::make_shared<std::string>("ctx:" + head.target);
      return a;
    };
    h.handle = [this](const http::Peer& peer, http::Request& req) {
      ++handled;
      largest_body = std::max(largest_body.load(), req.body.size());
      auto ctx = std::static_pointer_cast<const std::string>(req.context);
      http::Response r;
      r.body = *ctx + " " + req.head.method + " body=" + std::to_string(req.body.size()) + " from " + peer.address;
      r.fields.emplace_back("X-Test", "yes");
      return r;
    };
    h.log = [](const std::string&) {};
    auto s = http::Server::start(std::move(cfg), std::move(h));
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
    server = std::move(s).value();
  }
  static http::ServerConfig base_config() {
    http::ServerConfig c;
    c.name = "test";
    c.linger_timeout = std::chrono::seconds(5);
    c.idle_timeout = std::chrono::seconds(10);
    return c;
  }
  std::uint16_t port() const { return server->port(); }
};

}  // namespace

TEST_CASE("generic server: plain HTTP, the headers hook's context reaches the handler") {
  Plain p;
  Raw c(p.port());
  c.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
  std::string got = c.read_all();
  CHECK(starts_with(got, "HTTP/1.1 200"));
  CHECK(got.find("X-Test: yes") != std::string::npos);
  CHECK(got.find("ctx:/small POST body=5 from 127.0.0.1") != std::string::npos);
}

TEST_CASE("generic server: a refusal from the headers hook is sent without reading the body") {
  Plain p;
  Raw c(p.port());
  // Announce 16 MiB but send only the headers: the answer must come anyway.
  c.send("POST /forbidden HTTP/1.1\r\nHost: x\r\nContent-Length: 16777216\r\n\r\n");
  std::string got = c.read_all();
  CHECK(starts_with(got, "HTTP/1.1 403"));
  CHECK(p.handled == 0);
  CHECK(p.server->stats().requests_refused_at_headers_total == 1);
}

TEST_CASE("generic server: headers over the limit get a 431 that the client actually receives") {
  Plain p;
  Raw c(p.port());
  std::string req = "GET /small HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 << 10, 'a') + "\r\n\r\n";
  c.send(req);
  std::string got = c.read_all();
  CHECK(starts_with(got, "HTTP/1.1 431"));
  CHECK(p.server->stats().headers_too_large_total == 1);
}

TEST_CASE("generic server: a malformed chunk size gets 400") {
  Plain p;
  Raw c(p.port());
  c.send("POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
  std::string got = c.read_all();
  CHECK(starts_with(got, "HTTP/1.1 400"));
  CHECK(p.handled == 0);
}

TEST_CASE("generic server: a body over the admitted limit gets 413; a Content-Length past any limit too") {
  Plain p;
  {
    Raw c(p.port());
    c.send("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n" + std::string(2048, 'x'));
    CHECK(starts_with(c.read_all(), "HTTP/1.1 413"));
  }
  {
    Raw c(p.port());
    c.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n");
    CHECK(starts_with(c.read_all(), "HTTP/1.1 413"));
  }
  CHECK(p.handled == 0);
}

TEST_CASE("generic server: past the body budget a request gets 503 with Retry-After, and later succeeds") {
  auto cfg = Plain::base_config();
  cfg.body_bytes_in_flight_max = 3 << 20;
  Plain p(cfg);
  // One client holds 2 MiB of the budget by announcing it and sending it slowly.
  Raw holder(p.port());
  holder.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\nConnection: close\r\n\r\nabc");
  // Wait until the server has reserved it (a request whose body is being read).
  for (int i = 0; i < 500 && p.server->stats().body_bytes_in_flight == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(p.server->stats().body_bytes_in_flight == 2097152);
  {
    Raw c(p.port());
    c.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n");
    std::string got = c.read_all();
    CHECK(starts_with(got, "HTTP/1.1 503"));
    CHECK(got.find("Retry-After: 2") != std::string::npos);
  }
  holder.send(std::string(2097152 - 3, 'y'));
  CHECK(starts_with(holder.read_all(), "HTTP/1.1 200"));
  CHECK(p.server->stats().body_bytes_in_flight == 0);
  CHECK(p.largest_body == 2097152);
  Raw again(p.port());
  again.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\nConnection: close\r\n\r\n" +
             std::string(2097152, 'z'));
  CHECK(starts_with(again.read_all(), "HTTP/1.1 200"));
}

TEST_CASE("generic server: untrusted connections from one address are capped; the oldest idle is evicted") {
  auto cfg = Plain::base_config();
  cfg.untrusted_per_address_max = 4;
  cfg.evict_age_min = std::chrono::seconds(60);  // nothing old enough to evict: refuse
  Plain p(cfg);
  std::vector<std::unique_ptr<Raw>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<Raw>(p.port()));
    // Each has spoken (a silent one would be evicted at any age) and is idle again.
    held.back()->send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(starts_with(held.back()->read_response(), "HTTP/1.1 200"));
  }
  Raw refused(p.port());
  CHECK(refused.read_all().empty());  // closed at once
  CHECK(p.server->stats().connections_refused_total >= 1);
  CHECK(p.server->metrics().find("lontar_test_connections_refused_total 1") != std::string::npos);
}

TEST_CASE("generic server: past the cap a silent connection is evicted first, whatever its age; one that spoke stays") {
  auto cfg = Plain::base_config();
  cfg.untrusted_per_address_max = 2;
  cfg.evict_age_min = std::chrono::seconds(60);  // no connection is old enough to be evicted by age
  Plain p(cfg);
  Raw talker(p.port());  // an office: it speaks at once, then stays connected
  talker.send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(starts_with(talker.read_response(), "HTTP/1.1 200"));
  Raw silent(p.port());  // a flood's connection: never sends a byte
  for (int i = 0; i < 200 && p.server->stats().connections_active < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Raw newcomer(p.port());
  CHECK(silent.read_all().empty());  // evicted, though young
  newcomer.send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(starts_with(newcomer.read_response(), "HTTP/1.1 200"));
  talker.send("GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(starts_with(talker.read_all(), "HTTP/1.1 200"));
  CHECK(p.server->stats().connections_evicted_total == 1);
  CHECK(p.server->stats().connections_refused_total == 0);
}

TEST_CASE("generic server: a new connection past the cap evicts the oldest idle untrusted one") {
  auto cfg = Plain::base_config();
  cfg.untrusted_per_address_max = 2;
  cfg.evict_age_min = std::chrono::milliseconds(0);
  Plain p(cfg);
  Raw first(p.port());
  for (int i = 0; i < 200 && p.server->stats().connections_active < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Raw second(p.port());
  for (int i = 0; i < 200 && p.server->stats().connections_active < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Raw third(p.port());
  CHECK(first.read_all().empty());  // evicted
  third.send("GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(starts_with(third.read_all(), "HTTP/1.1 200"));
  CHECK(p.server->stats().connections_evicted_total == 1);
}
