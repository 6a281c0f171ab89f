// The real lontar-server under hostile clients (issue 12), over real sockets on loopback:
// strangers' large bodies, a flood of raw TCP connections, oversized headers, malformed
// chunks, and a revoked office on a connection opened before its revocation.
#include "sync/hostile.hpp"

using namespace lontar;
using namespace lontar::test;
using namespace lontar::test::hostile;

TEST_CASE("strangers' 16 MiB push bodies are refused at their headers: 403, and server memory stays near baseline") {
  Server server;
  server.start();
  const auto stranger_key = take(crypto::PrivateKey::generate(), "stranger key");
  const auto stranger = take(net::self_signed_identity(stranger_key, "stranger"), "stranger identity");
  const std::uint64_t baseline_kib = proc_kib(server.pid(), "VmRSS:");
  REQUIRE(baseline_kib > 0);

  constexpr int strangers = 8;
  constexpr std::size_t body_bytes = 16 << 20;
  std::vector<std::string> answers(strangers);
  std::vector<std::thread> threads;
  for (int i = 0; i < strangers; ++i) {
    threads.emplace_back([&, i] {
      RawTls c(stranger, server.port());
      if (!c.connected()) {
        answers[i] = c.error;
        return;
      }
      c.send("POST /v1/push HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
             std::to_string(body_bytes) + "\r\n\r\n");
      const std::string chunk(1 << 20, 'x');
      for (std::size_t sent = 0; sent < body_bytes && c.send(chunk); sent += chunk.size()) {
      }
      answers[i] = c.read_all();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& a : answers) {
    INFO(a.substr(0, 300));
    CHECK(starts_with(a, "HTTP/1.1 403"));
    CHECK(a.find("not registered") != std::string::npos);
  }
  const std::uint64_t peak_kib = proc_kib(server.pid(), "VmHWM:");
  MESSAGE("server resident before: " << baseline_kib / 1024 << " MiB, peak during the attack: " << peak_kib / 1024
                                     << " MiB");
  // Reading the bodies would hold 8 x 16 MiB; refusing at the headers holds none of them.
  INFO("server log:\n" << server.log().substr(0, 4000));
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer's quarantine keeps freed memory resident (up to 256 MiB), so under it the
  // resident-memory bound says nothing: it is checked in the plain build (.ci/run runs both).
  MESSAGE("AddressSanitizer build: the memory bound is checked in the plain build only");
#else
  CHECK(peak_kib < baseline_kib + (32 << 10));
#endif
  // And the server did not read them: at most what it drained.
  CHECK(server.log().find("in=16777216B") == std::string::npos);
}

TEST_CASE(
    "1,100 raw TCP connections from one address do not lock an office out; refusals are counted, "
    "logged rate-limited") {
  raise_fd_limit(4096);  // the server inherits it
  Server server;
  server.start();
  Office office(server, "SBY-RUNGKUT");
  REQUIRE(office.enroll(1).rc == 0);

  asio::io_context ioc;
  std::vector<std::unique_ptr<tcp::socket>> flood;
  for (int i = 0; i < 1100; ++i) {
    auto s = std::make_unique<tcp::socket>(ioc);
    boost::system::error_code ec;
    s->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(server.port())), ec);
    if (!ec) flood.push_back(std::move(s));
  }
  REQUIRE(flood.size() > 1000);
  // Let the flood age past the server's minimum age for eviction (1 s), as a real attacker's would.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto r = office.sync();
  INFO(r.out << r.err);
  CHECK(r.rc == 0);
  const std::string m = metrics_as(office, server);
  CHECK(metric(m, "lontar_http_connections_refused_total") + metric(m, "lontar_http_connections_evicted_total") >=
        1000);
  flood.clear();
  // One line per source per interval, not one per connection.
  const std::string log = server.log();
  CHECK(count_lines(log, "connection refused") + count_lines(log, "closing a new one") <= 5);
}

TEST_CASE("a revoked office is refused on the kept-alive connection it opened before the revocation") {
  Server server;
  server.start();
  Office office(server, "SBY-RUNGKUT");
  RawTls c(office_identity(office), server.port());
  REQUIRE_MESSAGE(c.connected(), c.error);
  REQUIRE(c.send("GET /v1/feed?from=0 HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string first = c.read_response();
  REQUIRE(starts_with(first, "HTTP/1.1 200"));
  auto rv = server.admin({"office", "revoke", "--id", "SBY-RUNGKUT", "--key", office.key_hex, "--reason", "stolen"});
  INFO(rv.out << rv.err);
  REQUIRE(rv.rc == 0);
  REQUIRE(c.send("GET /v1/feed?from=0 HTTP/1.1\r\nHost: x\r\n\r\n"));  // the same connection
  std::string second = c.read_response();
  INFO(second.substr(0, 300));
  CHECK(starts_with(second, "HTTP/1.1 403"));
  CHECK(second.find("revoked") != std::string::npos);
}

TEST_CASE("headers over the limit get a 431 the client receives; a malformed chunk size gets 400") {
  Server server;
  server.start();
  Office office(server, "SBY-RUNGKUT");
  {
    RawTls c(office_identity(office), server.port());
    REQUIRE_MESSAGE(c.connected(), c.error);
    REQUIRE_MESSAGE(c.connected(), c.error);
    c.send("GET /v1/feed?from=0 HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(1 << 20, 'a') + "\r\n\r\n");
    std::string got = c.read_all();
    INFO(got.substr(0, 300));
    CHECK(starts_with(got, "HTTP/1.1 431"));
  }
  {
    RawTls c(office_identity(office), server.port());
    REQUIRE_MESSAGE(c.connected(), c.error);
    REQUIRE_MESSAGE(c.connected(), c.error);
    c.send("POST /v1/push HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
    std::string got = c.read_all();
    INFO(got.substr(0, 300));
    CHECK(starts_with(got, "HTTP/1.1 400"));
  }
}

TEST_CASE("the feed is served Cache-Control: private, no-store") {
  Server server;
  server.start();
  Office office(server, "SBY-RUNGKUT");
  RawTls c(office_identity(office), server.port());
  REQUIRE_MESSAGE(c.connected(), c.error);
  REQUIRE(c.send("GET /v1/feed?from=0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string got = c.read_all();
  REQUIRE(starts_with(got, "HTTP/1.1 200"));
  CHECK(got.find("Cache-Control: private, no-store") != std::string::npos);
}
