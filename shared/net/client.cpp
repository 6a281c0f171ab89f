#include "net/client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>

namespace lontar::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr int http_version = 11;
constexpr const char* user_agent = "lontar/0.1";

struct Url {
  std::string host;
  std::string port;
};

Result<Url> parse_url(std::string_view url) {
  constexpr std::string_view scheme = "https://";
  auto bad = [&](const std::string& why) {
    return Error{Code::bad_input, "server URL '" + std::string(url) + "': " + why +
                                      "; write it as https://host:port, e.g. https://lontar.example.org:8443"};
  };
  if (url.substr(0, scheme.size()) != scheme) return bad("must start with https://");
  std::string_view rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return bad("must not have a path");
  Url out;
  std::string_view port = "443";
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    auto close = rest.find(']');
    if (close == std::string_view::npos) return bad("unclosed '['");
    out.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("expected ':' after ']'");
      port = rest.substr(1);
    }
  } else {
    auto colon = rest.rfind(':');
    out.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port = rest.substr(colon + 1);
  }
  if (out.host.empty()) return bad("no host");
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535) {
    return bad("port '" + std::string(port) + "' is not a number from 1 to 65535");
  }
  out.port = std::string(port);
  return out;
}

bool is_ip_address(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// What a TLS or transport failure most likely means, for people.
std::string hint(const error_code& ec) {
  std::string text = ec.message();
  if (text.find("certificate required") != std::string::npos) {
    return text + "; the server requires a client certificate: configure this principal's certificate and key";
  }
  if (text.find("protocol version") != std::string::npos || text.find("unsupported protocol") != std::string::npos) {
    return text + "; both sides must speak TLS 1.3";
  }
  if (ec == asio::error::connection_refused) return "connection refused; is lontar-server running?";
  if (ec == beast::error::timeout) return "timed out";
  return text;
}

beast::string_view bsv(std::string_view s) { return {s.data(), s.size()}; }

long long to_ms(std::chrono::milliseconds d) { return static_cast<long long>(d.count()); }

}  // namespace

Error response_error(const Response& response, std::string_view what) {
  Code code = Code::io;
  switch (response.status) {
    case 400:
    case 413:
      code = Code::bad_input;
      break;
    case 401:
    case 403:
      code = Code::unauthorized;
      break;
    case 404:
      code = Code::not_found;
      break;
    case 409:
      code = Code::conflict;
      break;
    default:
      break;
  }
  std::string text = response.body;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (response.content_type.rfind("text/", 0) != 0) text = "(" + std::to_string(response.body.size()) + " bytes)";
  return Error{code, std::string(what) + ": the server answered " + std::to_string(response.status) + ": " + text};
}

struct Client::Impl {
  ClientConfig config;
  Url url;
  asio::io_context ioc{1};
  ssl::context ctx;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
  std::optional<crypto::PublicKey> server_key;

  Impl(ClientConfig c, Url u, ssl::context x) : config(std::move(c)), url(std::move(u)), ctx(std::move(x)) {}

  // Runs the event loop until the operations started by `start` complete.
  template <class Start>
  error_code run(Start&& start) {
    error_code result = asio::error::would_block;
    start([&result](error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  void drop() {
    if (stream) {
      error_code ignored;
      beast::get_lowest_layer(*stream).socket().close(ignored);
    }
    stream.reset();
    buffer.clear();
    server_key.reset();
  }

  Status connect() {
    drop();
    const std::string where = config.url;
    tcp::resolver resolver(ioc);
    tcp::resolver::results_type endpoints;
    error_code ec = asio::error::would_block;
    resolver.async_resolve(url.host, url.port, [&](error_code e, tcp::resolver::results_type r) {
      ec = e;
      endpoints = std::move(r);
    });
    ioc.restart();
    ioc.run_for(config.connect_timeout);
    if (ec == asio::error::would_block) {
      resolver.cancel();
      ioc.restart();
      ioc.run();
      return Error{Code::io, "cannot connect to " + where + ": looking up '" + url.host + "' took longer than " +
                                 std::to_string(to_ms(config.connect_timeout)) + " ms; check the DNS and network"};
    }
    if (ec) {
      return Error{Code::io, "cannot connect to " + where + ": cannot find host '" + url.host + "' (" + ec.message() +
                                 "); check the server address"};
    }
    stream.emplace(ioc, ctx);
    auto& tcp_stream = beast::get_lowest_layer(*stream);
    tcp_stream.expires_after(config.connect_timeout);
    ec = run([&](auto handler) { tcp_stream.async_connect(endpoints, handler); });
    if (ec) {
      drop();
      if (ec == beast::error::timeout) {
        return Error{Code::io, "cannot connect to " + where + ": no answer within " +
                                   std::to_string(to_ms(config.connect_timeout)) +
                                   " ms; check the address, the firewall and the network"};
      }
      return Error{Code::io, "cannot connect to " + where + ": " + hint(ec)};
    }
    tcp_stream.socket().set_option(tcp::no_delay(true), ec);  // no Nagle delay between request parts
    if (!is_ip_address(url.host)) SSL_set_tlsext_host_name(stream->native_handle(), url.host.c_str());
    ServerVerifier verifier(config.trust, url.host);
    stream->set_verify_callback(verifier);
    tcp_stream.expires_after(config.handshake_timeout);
    ec = run([&](auto handler) { stream->async_handshake(ssl::stream_base::client, handler); });
    if (ec) {
      drop();
      if (auto why = verifier.failure()) return std::move(why->prefix(where));
      if (ec == beast::error::timeout) {
        return Error{Code::io, "TLS handshake with " + where + " did not finish within " +
                                   std::to_string(to_ms(config.handshake_timeout)) +
                                   " ms; is this port really lontar-server's HTTPS port?"};
      }
      return Error{Code::io, "TLS handshake with " + where + " failed: " + hint(ec)};
    }
    // The verifier checked the pin during the handshake; check the result once more.
    auto key = peer_public_key(stream->native_handle());
    if (config.trust.pinned_key && (!key.ok() || *key != *config.trust.pinned_key)) {
      drop();
      return Error{Code::pin_mismatch, where + ": server certificate key does not match the pinned key " +
                                           crypto::fingerprint(*config.trust.pinned_key)};
    }
    if (key.ok()) server_key = *key;
    return {};
  }

  // One attempt on the current connection. `fresh` is false when the connection was reused.
  Result<Response> exchange(const http::request<http::string_body>& req, bool& retryable) {
    retryable = false;
    auto& tcp_stream = beast::get_lowest_layer(*stream);
    const std::string what = std::string(req.method_string()) + " " + config.url + std::string(req.target());
    tcp_stream.expires_after(config.io_timeout);
    error_code ec = run([&](auto handler) { http::async_write(*stream, req, handler); });
    if (ec) {
      retryable = ec != beast::error::timeout;
      drop();
      if (ec == beast::error::timeout) {
        return Error{Code::io, what + ": sending the request took longer than " +
                                   std::to_string(to_ms(config.io_timeout)) + " ms; the network may be too slow"};
      }
      return Error{Code::io, what + ": cannot send the request: " + hint(ec)};
    }
    http::response_parser<http::string_body> parser;
    parser.header_limit(response_header_bytes_max);
    parser.body_limit(config.response_body_bytes_max);
    tcp_stream.expires_after(config.io_timeout);
    ec = run([&](auto handler) { http::async_read(*stream, buffer, parser, handler); });
    if (ec) {
      retryable = !parser.got_some() && ec != beast::error::timeout;
      drop();
      if (ec == beast::error::timeout) {
        return Error{Code::io, what + ": no complete response within " + std::to_string(to_ms(config.io_timeout)) +
                                   " ms; the server may be overloaded or the network slow; try again"};
      }
      if (ec == http::error::body_limit) {
        return Error{Code::io, what + ": the response is larger than the limit of " +
                                   std::to_string(config.response_body_bytes_max) + " bytes"};
      }
      return Error{Code::io, what + ": cannot read the response: " + hint(ec)};
    }
    auto msg = parser.release();
    Response out;
    out.status = static_cast<int>(msg.result_int());
    out.content_type = std::string(msg[http::field::content_type]);
    out.body = std::move(msg.body());
    if (!msg.keep_alive()) drop();
    return out;
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Result<Client> Client::create(ClientConfig config) {
  LONTAR_ASSIGN(Url url, parse_url(config.url));
  LONTAR_ASSIGN(ssl::context ctx, make_client_context(config.identity, config.trust));
  return Client(std::make_unique<Impl>(std::move(config), std::move(url), std::move(ctx)));
}

Result<Response> Client::request(std::string_view method, std::string_view target, std::string_view body,
                                 std::string_view content_type) {
  Impl& m = *impl_;
  http::verb verb = http::string_to_verb(bsv(method));
  if (verb == http::verb::unknown) return Error{Code::internal, "unknown HTTP method " + std::string(method)};
  http::request<http::string_body> req{verb, std::string(target), http_version};
  req.set(http::field::host, m.url.host + ":" + m.url.port);
  req.set(http::field::user_agent, user_agent);
  if (!body.empty() || verb == http::verb::post) req.set(http::field::content_type, bsv(content_type));
  req.body() = std::string(body);
  req.keep_alive(true);
  req.prepare_payload();
  // A reused keep-alive connection may have been closed by the server meanwhile;
  // then one fresh attempt follows. Every request of the protocol is idempotent.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = m.stream.has_value();
    if (!reused) LONTAR_TRY(m.connect());
    bool retryable = false;
    auto res = m.exchange(req, retryable);
    if (res.ok() || !(reused && retryable)) return res;
  }
  return Error{Code::internal, "unreachable"};
}

Result<Response> Client::call(std::string_view method, std::string_view target, std::string_view body,
                              std::string_view content_type) {
  LONTAR_ASSIGN(Response res, request(method, target, body, content_type));
  if (!res.ok()) return response_error(res, std::string(method) + " " + std::string(target));
  return res;
}

std::optional<crypto::PublicKey> Client::server_key() const { return impl_->server_key; }
void Client::close() { impl_->drop(); }
const std::string& Client::url() const { return impl_->config.url; }

}  // namespace lontar::net
