// HTTPS server and client over real TLS on loopback, with an in-memory LogService.
#include <doctest/doctest.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <thread>

#include "crypto/x509.hpp"
#include "encoding/encoding.hpp"
#include "net/client.hpp"
#include "net/fake_service.hpp"
#include "server/http/http_server.hpp"

using namespace lontar;
using server::http::HttpServer;
using server::http::HttpServerConfig;
namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

crypto::PrivateKey new_key() { return std::move(crypto::PrivateKey::generate()).value(); }

net::Identity identity_for(const crypto::PrivateKey& key, const std::string& name,
                           const std::vector<std::string>& alt_names = {}) {
  return std::move(net::self_signed_identity(key, name, alt_names)).value();
}

Bytes batch_bytes(const std::string& principal, const std::vector<std::uint64_t>& seqs) {
  chain::Batch b;
  b.principal = principal;
  for (auto seq : seqs) {
    chain::Entry e;
    e.principal = principal;
    e.seq = seq;
    e.payload = {1, 2, 3};
    b.entries.push_back(e);
  }
  b.seal.principal = principal;
  b.seal.last_seq = seqs.empty() ? 0 : seqs.back();
  return std::move(encoding::encode(b)).value();
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// A server on a free loopback port with an office, an auditor and an admin registered.
struct Fixture {
  test::FakeService service;
  crypto::PrivateKey server_key = new_key();
  crypto::PrivateKey office = new_key();
  crypto::PrivateKey auditor = new_key();
  crypto::PrivateKey admin = new_key();
  crypto::PrivateKey stranger = new_key();
  std::unique_ptr<HttpServer> server;

  Fixture() {
    service.add("SBY-RUNGKUT", domain::Role::office, office.public_key());
    service.add("AUDIT-PUSAT", domain::Role::auditor, auditor.public_key());
    service.add("ADMIN", domain::Role::admin, admin.public_key());
  }

  HttpServerConfig config() const {
    HttpServerConfig c;
    c.http.port = 0;
    c.identity = identity_for(server_key, "lontar-server", {"127.0.0.1", "localhost"});
    c.http.io_threads = 2;
    c.http.worker_threads = 8;
    c.http.handshake_timeout = std::chrono::seconds(5);
    c.http.idle_timeout = std::chrono::seconds(5);
    c.http.linger_timeout = std::chrono::seconds(5);
    c.http.stop_timeout = std::chrono::seconds(20);
    return c;
  }
  void start(HttpServerConfig c) {
    auto s = HttpServer::start(service, std::move(c));
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
    server = std::move(s).value();
  }
  void start() { start(config()); }

  std::string url() const { return "https://127.0.0.1:" + std::to_string(server->port()); }

  net::ClientConfig client_config(const crypto::PrivateKey* who) const {
    net::ClientConfig c;
    c.url = url();
    if (who != nullptr) c.identity = identity_for(*who, "principal");
    c.trust.pinned_key = server_key.public_key();
    c.connect_timeout = c.handshake_timeout = c.io_timeout = std::chrono::seconds(20);
    return c;
  }
  net::Client client(const crypto::PrivateKey* who) const {
    return std::move(net::Client::create(client_config(who))).value();
  }
};

// A raw TLS connection for what the Client will not do (old TLS versions, stalling).
struct RawTls {
  asio::io_context ioc;
  asio::ssl::context ctx{asio::ssl::context::tls_client};
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream;

  RawTls(const net::Identity& id, int max_version) {
    SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
    ctx.use_certificate_chain(asio::buffer(id.certificate_chain_pem));
    ctx.use_private_key(asio::buffer(id.private_key_pem), asio::ssl::context::pem);
    ctx.set_verify_mode(asio::ssl::verify_none);
    stream.emplace(ioc, ctx);
  }
  boost::system::error_code connect_and_handshake(std::uint16_t port) {
    boost::system::error_code ec;
    beast::get_lowest_layer(*stream).connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (ec) return ec;
    stream->handshake(asio::ssl::stream_base::client, ec);
    return ec;
  }
  // Reads until the server closes the connection or `patience` passes (then: timeout).
  boost::system::error_code read_until_closed(std::chrono::seconds patience) {
    boost::system::error_code result = asio::error::would_block;
    beast::get_lowest_layer(*stream).expires_after(patience);
    std::array<char, 4096> buf{};
    std::function<void(boost::system::error_code, std::size_t)> on_read = [&](boost::system::error_code ec,
                                                                              std::size_t) {
      if (ec) {
        result = ec;
        return;
      }
      stream->async_read_some(asio::buffer(buf), on_read);
    };
    stream->async_read_some(asio::buffer(buf), on_read);
    ioc.restart();
    ioc.run();
    return result;
  }
};

std::uint16_t free_port() {
  asio::io_context ioc;
  asio::ip::tcp::acceptor a(ioc, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

}  // namespace

TEST_CASE("an office with a registered key gets answers over one kept-alive mutual-TLS connection") {
  Fixture f;
  f.start();
  auto c = f.client(&f.office);

  auto head = c.get("/v1/offices/SBY-RUNGKUT/head");
  REQUIRE_MESSAGE(head.ok(), (head.ok() ? "" : head.error().message));
  CHECK(head->status == 200);
  CHECK(head->content_type == "application/json");
  Hash h{};
  h.fill(0xab);
  CHECK(head->body == "{\"principal\":\"SBY-RUNGKUT\",\"seq\":3,\"head\":\"" + to_hex(h) + "\"}\n");
  CHECK(c.server_key() == std::optional(f.server_key.public_key()));

  auto push = c.post("/v1/push", batch_bytes("SBY-RUNGKUT", {1, 2, 3}));
  REQUIRE(push.ok());
  REQUIRE(push->status == 200);
  auto resp = encoding::decode<protocol::PushResponse>(push->bytes(), "push response");
  REQUIRE(resp.ok());
  REQUIRE(resp->receipts.size() == 3);
  CHECK(resp->receipts[2].seq == 3);
  CHECK(resp->receipts[2].leaf_index == 103);

  auto feed = c.get("/v1/feed?from=10&limit=5");
  REQUIRE(feed.ok());
  REQUIRE(feed->status == 200);
  auto page = encoding::decode<protocol::FeedPage>(feed->bytes(), "feed page");
  REQUIRE(page.ok());
  CHECK(page->tree_size == 15);
  CHECK(page->items.at(0).leaf_index == 10);
  // DESIGN.md's `after=<index>`: the last leaf already held, so the page starts one later.
  auto after = c.get("/v1/feed?after=9&limit=5");
  REQUIRE(after.ok());
  REQUIRE(after->status == 200);
  auto after_page = encoding::decode<protocol::FeedPage>(after->bytes(), "feed page");
  REQUIRE(after_page.ok());
  CHECK(after_page->items.at(0).leaf_index == 10);

  auto proof = c.get("/v1/proof/inclusion?index=2&size=9");
  REQUIRE(proof.ok());
  REQUIRE(proof->status == 200);
  CHECK(encoding::decode<protocol::Proof>(proof->bytes(), "proof")->size == 9);

  auto cp = c.get("/checkpoint");
  REQUIRE(cp.ok());
  CHECK(cp->body == f.service.checkpoint());

  auto metrics = c.get("/metrics");
  REQUIRE(metrics.ok());
  CHECK(contains(metrics->body, "lontar_tree_size 5\n"));
  CHECK(contains(metrics->body, "lontar_pushes_total 1\n"));
  // Every request above travelled over the first connection; the key's standing was looked
  // up at the handshake and again for every request (so that a revocation takes effect at once).
  CHECK(contains(metrics->body, "lontar_http_connections_total 1\n"));
  CHECK(f.service.authentications > 5);
}

TEST_CASE("a client without a certificate is refused during TLS") {
  Fixture f;
  f.start();
  auto c = f.client(nullptr);
  auto r = c.get("/healthz");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::io);
  CHECK(contains(r.error().message, "client certificate"));
  CHECK(f.service.authentications == 0);
}

TEST_CASE("an unregistered key gets 403 naming its fingerprint and what to do") {
  Fixture f;
  f.start();
  auto c = f.client(&f.stranger);
  auto r = c.get("/v1/offices/SBY-RUNGKUT/head");
  REQUIRE(r.ok());
  CHECK(r->status == 403);
  CHECK(contains(r->body, crypto::fingerprint(f.stranger.public_key())));
  CHECK(contains(r->body, "not registered"));
  CHECK(contains(r->body, "ask the server's admin"));
  auto err = c.call("GET", "/healthz");
  REQUIRE_FALSE(err.ok());
  CHECK(err.error().code == Code::unauthorized);
}

TEST_CASE("a server whose key is not the pinned one is refused before any request is sent") {
  Fixture f;
  f.start();
  auto cfg = f.client_config(&f.office);
  auto other = new_key();
  cfg.trust.pinned_key = other.public_key();
  auto c = std::move(net::Client::create(cfg)).value();
  auto r = c.get("/healthz");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::pin_mismatch);
  CHECK(contains(r.error().message, "server certificate key does not match the pinned key"));
  CHECK(contains(r.error().message, crypto::fingerprint(f.server_key.public_key())));
  CHECK(contains(r.error().message, crypto::fingerprint(other.public_key())));
  CHECK(f.service.authentications == 0);
}

TEST_CASE("a server certificate is accepted by CA only when the CA signed it and it names the host") {
  Fixture f;
  auto cfg = f.config();
  f.start(cfg);
  auto cc = f.client_config(&f.office);
  cc.trust.pinned_key.reset();
  cc.trust.ca_pem = cfg.identity.certificate_chain_pem;  // a self-signed certificate is its own CA
  auto ok = std::move(net::Client::create(cc)).value().get("/healthz");
  REQUIRE_MESSAGE(ok.ok(), (ok.ok() ? "" : ok.error().message));
  CHECK(ok->status == 200);

  cc.trust.ca_pem = identity_for(new_key(), "someone-else", {"127.0.0.1"}).certificate_chain_pem;
  auto wrong_ca = std::move(net::Client::create(cc)).value().get("/healthz");
  REQUIRE_FALSE(wrong_ca.ok());
  CHECK(contains(wrong_ca.error().message, "does not verify against the CA file"));

  Fixture g;
  auto gcfg = g.config();
  gcfg.identity = identity_for(g.server_key, "lontar-server", {"lontar.example.org"});
  g.start(gcfg);
  auto gc = g.client_config(&g.office);
  gc.trust.pinned_key.reset();
  gc.trust.ca_pem = gcfg.identity.certificate_chain_pem;
  auto wrong_host = std::move(net::Client::create(gc)).value().get("/healthz");
  REQUIRE_FALSE(wrong_host.ok());
  CHECK(contains(wrong_host.error().message, "does not name the host '127.0.0.1'"));
}

TEST_CASE("a client configured with neither a pin nor a CA is refused at creation") {
  net::ClientConfig c;
  c.url = "https://127.0.0.1:8443";
  auto r = net::Client::create(c);
  REQUIRE_FALSE(r.ok());
  CHECK(contains(r.error().message, "no way to recognise the server"));
  c.url = "http://127.0.0.1:8443";
  c.trust.pinned_key = crypto::PublicKey{};
  CHECK(contains(net::Client::create(c).error().message, "must start with https://"));
}

TEST_CASE("a TLS 1.2 client cannot complete a handshake") {
  Fixture f;
  f.start();
  RawTls raw(identity_for(f.office, "office"), TLS1_2_VERSION);
  auto ec = raw.connect_and_handshake(f.server->port());
  CHECK(ec);
  CHECK(f.service.authentications == 0);
}

TEST_CASE("a body over the route's limit gets 413 and the client can carry on") {
  Fixture f;
  auto cfg = f.config();
  cfg.push_body_bytes_max = 64 << 10;
  f.start(cfg);
  auto c = f.client(&f.office);
  std::string big(200 << 10, 'x');
  auto r = c.request("POST", "/v1/push", big);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r->status == 413);
  CHECK(contains(r->body, std::to_string(64 << 10)));

  // GET routes take tiny bodies only.
  auto g = c.request("GET", "/healthz", std::string(8192, 'y'));
  REQUIRE(g.ok());
  CHECK(g->status == 413);

  auto after = c.get("/healthz");
  REQUIRE(after.ok());
  CHECK(after->status == 200);
  CHECK(f.service.pushes == 0);
}

TEST_CASE("a client that stalls mid-request is disconnected by the server's timeout") {
  Fixture f;
  auto cfg = f.config();
  cfg.http.idle_timeout = std::chrono::milliseconds(300);
  f.start(cfg);
  RawTls raw(identity_for(f.office, "office"), TLS1_3_VERSION);
  REQUIRE_FALSE(raw.connect_and_handshake(f.server->port()));
  std::string partial = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  asio::write(*raw.stream, asio::buffer(partial));
  auto ec = raw.read_until_closed(std::chrono::seconds(30));
  CHECK(ec != beast::error::timeout);  // the server hung up first
  CHECK(ec);
}

TEST_CASE("a connection that never starts TLS is closed by the handshake timeout") {
  Fixture f;
  auto cfg = f.config();
  cfg.http.handshake_timeout = std::chrono::milliseconds(300);
  f.start(cfg);
  asio::io_context ioc;
  beast::tcp_stream s(ioc);
  s.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), f.server->port()));
  s.expires_after(std::chrono::seconds(30));
  std::array<char, 16> buf{};
  boost::system::error_code result = asio::error::would_block;
  s.async_read_some(asio::buffer(buf), [&](boost::system::error_code ec, std::size_t) { result = ec; });
  ioc.run();
  CHECK(result == asio::error::eof);
}

TEST_CASE("a malformed batch gets 400 naming the problem") {
  Fixture f;
  f.start();
  auto c = f.client(&f.office);
  Bytes junk = {0x01, 0xe8, 0x03, 0, 0, 0, 0, 0, 0};  // principal length 1000
  auto r = c.post("/v1/push", junk);
  REQUIRE(r.ok());
  CHECK(r->status == 400);
  CHECK(contains(r->body, "push batch: field 'principal' claims 1000 bytes"));

  auto truncated = batch_bytes("SBY-RUNGKUT", {1, 2});
  truncated.resize(truncated.size() - 5);
  r = c.post("/v1/push", truncated);
  REQUIRE(r.ok());
  CHECK(r->status == 400);
  CHECK(contains(r->body, "truncated"));
  CHECK(f.service.pushes == 0);
}

TEST_CASE("service errors, bad parameters and wrong methods map to their statuses") {
  Fixture f;
  f.start();
  auto office = f.client(&f.office);
  auto status_of = [](net::Client& c, std::string_view method, std::string_view target, std::string_view body = {}) {
    auto r = c.request(method, target, body);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    return std::pair<int, std::string>(r->status, r->body);
  };
  CHECK(status_of(office, "GET", "/v1/offices/NOPE/head").first == 404);
  CHECK(status_of(office, "GET", "/v1/offices/bad%20id/head").first == 400);
  CHECK(status_of(office, "POST", "/v1/push", as_chars(batch_bytes("SBY-RUNGKUT", {999}))).first == 409);
  auto foreign = status_of(office, "POST", "/v1/push", as_chars(batch_bytes("SBY-DARMO", {1})));
  CHECK(foreign.first == 403);
  CHECK(contains(foreign.second, "'SBY-DARMO'"));
  CHECK(status_of(office, "GET", "/v1/proof/inclusion?index=9&size=9").first == 400);
  auto missing = status_of(office, "GET", "/v1/proof/consistency?old=1");
  CHECK(missing.first == 400);
  CHECK(contains(missing.second, "'new' is required"));
  auto unknown = status_of(office, "GET", "/v1/feed?from=1&since=2");
  CHECK(unknown.first == 400);
  CHECK(contains(unknown.second, "unknown query parameter 'since'"));
  auto both = status_of(office, "GET", "/v1/feed?from=1&after=2");
  CHECK(both.first == 400);
  CHECK(contains(both.second, "exactly one of 'from'"));
  CHECK(status_of(office, "GET", "/v1/feed").first == 400);
  CHECK(status_of(office, "GET", "/v1/feed?after=18446744073709551615").first == 400);
  CHECK(status_of(office, "GET", "/v1/feed?from=x").first == 400);
  CHECK(status_of(office, "GET", "/v1/feed?from=1&limit=0").first == 400);
  CHECK(status_of(office, "GET", "/v1/feed?from=1&from=2").first == 400);
  CHECK(status_of(office, "GET", "/v1/push").first == 405);
  CHECK(status_of(office, "GET", "/nothing/here").first == 404);
  CHECK(status_of(office, "GET", "/tile/9/999").first == 404);
  CHECK(status_of(office, "GET", "/tile/0/000").first == 200);
}

TEST_CASE("roles: auditors cannot push, offices cannot read entry bundles") {
  Fixture f;
  f.start();
  auto office = f.client(&f.office);
  auto auditor = f.client(&f.auditor);
  auto admin = f.client(&f.admin);
  auto bundle_office = office.get("/tile/entries/000");
  REQUIRE(bundle_office.ok());
  CHECK(bundle_office->status == 403);
  CHECK(contains(bundle_office->body, "personal data"));
  CHECK(auditor.get("/tile/entries/000")->status == 200);
  CHECK(admin.get("/tile/entries/000")->status == 200);
  auto push = auditor.post("/v1/push", batch_bytes("AUDIT-PUSAT", {1}));
  REQUIRE(push.ok());
  CHECK(push->status == 403);
  CHECK(admin.post("/v1/push", batch_bytes("ADMIN", {1}))->status == 200);
}

TEST_CASE("with public resources allowed, anonymous clients read checkpoints and hash tiles only") {
  Fixture f;
  auto cfg = f.config();
  cfg.public_without_certificate = true;
  f.start(cfg);
  auto anon = f.client(nullptr);
  CHECK(anon.get("/checkpoint")->status == 200);
  CHECK(anon.get("/healthz")->status == 200);
  CHECK(anon.get("/tile/0/000")->status == 200);
  auto bundle = anon.get("/tile/entries/000");
  REQUIRE(bundle.ok());
  CHECK(bundle->status == 403);
  auto feed = anon.get("/v1/feed?from=0");
  REQUIRE(feed.ok());
  CHECK(feed->status == 403);
  CHECK(contains(feed->body, "needs a client certificate"));
  // A registered office still gets everything.
  CHECK(f.client(&f.office).get("/v1/feed?from=0")->status == 200);
}

TEST_CASE("concurrent clients are all answered") {
  Fixture f;
  f.start();
  constexpr int clients = 8;
  constexpr int requests_each = 20;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&] {
      auto c = f.client(&f.office);
      for (int j = 0; j < requests_each; ++j) {
        auto r = c.post("/v1/push", batch_bytes("SBY-RUNGKUT", {static_cast<std::uint64_t>(j + 1)}));
        if (r.ok() && r->status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == clients * requests_each);
  CHECK(f.service.pushes == clients * requests_each);
}

TEST_CASE("stop() lets pushes in flight finish and then refuses new connections") {
  Fixture f;
  f.start();
  f.service.hold();
  constexpr int in_flight = 3;
  std::atomic<int> answered{0};
  std::vector<std::thread> pushers;
  for (int i = 0; i < in_flight; ++i) {
    pushers.emplace_back([&] {
      auto c = f.client(&f.office);
      auto r = c.post("/v1/push", batch_bytes("SBY-RUNGKUT", {1}));
      if (r.ok() && r->status == 200) ++answered;
    });
  }
  f.service.wait_for_waiting(in_flight);
  auto idle = f.client(&f.office);
  REQUIRE(idle.get("/healthz").ok());  // an idle keep-alive connection, closed by stop()
  const auto port = f.server->port();
  std::thread stopper([&] { f.server->stop(); });
  // Once the listener is closed, stop() is under way; only then let the pushes finish.
  auto probe_cfg = f.client_config(&f.office);
  probe_cfg.connect_timeout = std::chrono::seconds(5);
  for (int attempt = 0; attempt < 2000; ++attempt) {
    auto probe = std::move(net::Client::create(probe_cfg)).value();
    auto r = probe.get("/healthz");
    if (!r.ok() && contains(r.error().message, "connection refused")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  f.service.release();
  for (auto& t : pushers) t.join();
  stopper.join();
  CHECK(answered == in_flight);
  auto late = f.client(&f.office).get("/healthz");
  REQUIRE_FALSE(late.ok());
  CHECK(contains(late.error().message, "cannot connect to https://127.0.0.1:" + std::to_string(port) +
                                           ": connection refused; is lontar-server running?"));
}

TEST_CASE("a client says plainly when nothing listens") {
  net::ClientConfig c;
  c.url = "https://127.0.0.1:" + std::to_string(free_port());
  c.trust.pinned_key = crypto::PublicKey{};
  auto r = std::move(net::Client::create(c)).value().get("/healthz");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "cannot connect to " + c.url + ": connection refused; is lontar-server running?");
}

TEST_CASE("a client reconnects by itself after the server closed its idle connection") {
  Fixture f;
  auto cfg = f.config();
  cfg.http.idle_timeout = std::chrono::milliseconds(200);
  f.start(cfg);
  auto c = f.client(&f.office);
  REQUIRE(c.get("/healthz").ok());
  // Wait until the server has certainly dropped the connection.
  RawTls witness(identity_for(f.office, "office"), TLS1_3_VERSION);
  REQUIRE_FALSE(witness.connect_and_handshake(f.server->port()));
  witness.read_until_closed(std::chrono::seconds(30));
  auto again = c.get("/healthz");
  REQUIRE_MESSAGE(again.ok(), (again.ok() ? "" : again.error().message));
  CHECK(again->status == 200);
}

TEST_CASE("connections beyond connections_max are closed at once and counted") {
  Fixture f;
  auto cfg = f.config();
  cfg.http.connections_max = 1;
  f.start(cfg);
  auto first = f.client(&f.office);
  REQUIRE(first.get("/healthz").ok());
  auto second = f.client(&f.office).get("/healthz");
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == Code::io);
  auto metrics = first.get("/metrics");
  REQUIRE(metrics.ok());
  CHECK(contains(metrics->body, "lontar_http_connections_refused_total 1\n"));
}

TEST_CASE("entry bundles and feed pages are served private, no-store; full hash tiles public, immutable") {
  Fixture f;
  f.start();
  auto header_of = [&](const crypto::PrivateKey& who, const std::string& target) {
    RawTls raw(identity_for(who, "principal"), TLS1_3_VERSION);
    REQUIRE(!raw.connect_and_handshake(f.server->port()));
    namespace bhttp = beast::http;
    bhttp::request<bhttp::empty_body> req(bhttp::verb::get, target, 11);
    req.set(bhttp::field::host, "x");
    bhttp::write(*raw.stream, req);
    beast::flat_buffer buf;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(*raw.stream, buf, res);
    CHECK(res.result_int() == 200);
    return std::string(res[bhttp::field::cache_control]);
  };
  CHECK(header_of(f.auditor, "/tile/entries/000") == "private, no-store");
  CHECK(header_of(f.office, "/v1/feed?from=0") == "private, no-store");
  CHECK(header_of(f.office, "/tile/0/000") == "public, max-age=31536000, immutable");
}
