#include "web/server.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <csignal>
#include <mutex>
#include <thread>

namespace lontar::agent::web {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

volatile std::sig_atomic_t signalled = 0;
extern "C" void on_signal(int) { signalled = 1; }

void set_timeouts(tcp::socket& s) {
  timeval tv{socket_timeout_s, 0};
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void serve_connection(WebApp& app, std::mutex& app_mutex, tcp::socket socket) {
  set_timeouts(socket);
  beast::flat_buffer buffer;
  for (int n = 0; n < requests_per_connection_max; ++n) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(header_bytes_max);
    parser.body_limit(body_bytes_max);
    beast::error_code ec;
    http::read(socket, buffer, parser, ec);
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      Response res{http::status::payload_too_large, 11};
      res.set(http::field::content_type, "text/plain");
      res.set(http::field::connection, "close");
      res.body() = "request too large\n";
      res.prepare_payload();
      http::write(socket, res, ec);
      return;
    }
    if (ec) return;  // closed, timed out or garbled: nothing to answer
    Response res = [&] {
      std::lock_guard lock(app_mutex);  // one request at a time touches the store
      return app.handle(parser.get());
    }();
    const bool keep = res.keep_alive();
    http::write(socket, res, ec);
    if (ec || !keep) break;
  }
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

Result<Listen> parse_listen(const std::string& text) {
  Listen l;
  std::string host;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Error{Code::bad_input, "--listen " + text + ": write [::1]:PORT"};
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return Error{Code::bad_input, "--listen " + text + ": write ADDRESS:PORT"};
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  try {
    std::size_t used = 0;
    const unsigned long p = std::stoul(port, &used);
    if (used != port.size() || p > 65535) throw std::out_of_range("port");
    l.port = static_cast<std::uint16_t>(p);
  } catch (...) {
    return Error{Code::bad_input, "--listen " + text + ": the port must be 0..65535"};
  }
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return Error{Code::bad_input, "--listen " + text + ": '" + host + "' is not an IP address"};
  if (!addr.is_loopback()) {
    return Error{Code::bad_input,
                 "--listen " + text +
                     ": only loopback (127.0.0.1, ::1) for now; a LAN address needs TLS with the office's certificate, "
                     "which this version's web server does not do yet"};
  }
  l.address = addr.to_string();
  return l;
}

Status serve(WebApp& app, const Listen& listen, const std::function<void(std::uint16_t)>& on_listening,
             const std::atomic<bool>& stop) {
  asio::io_context io;
  tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  const tcp::endpoint ep(asio::ip::make_address(listen.address), listen.port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error{Code::io, fmt::format("cannot listen on {}:{}: {} (another program on that port? try "
                                       "--listen 127.0.0.1:0 for any free port)",
                                       listen.address, listen.port, ec.message())};
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  on_listening(acceptor.local_endpoint().port());
  // A browser opens several connections at once (and keeps some idle), so each
  // connection gets its own thread; the app itself runs one request at a time.
  std::mutex app_mutex;
  std::atomic<int> open{0};
  while (!stop.load() && !signalled) {
    pollfd p{acceptor.native_handle(), POLLIN, 0};
    const int ready = ::poll(&p, 1, 1000);
    if (ready <= 0) continue;
    tcp::socket socket(io);
    acceptor.accept(socket, ec);
    if (ec) continue;
    if (open.load() >= connections_max) continue;  // closes it: the browser retries
    ++open;
    std::thread([&app, &app_mutex, &open, s = std::move(socket)]() mutable {
      serve_connection(app, app_mutex, std::move(s));
      --open;
    }).detach();
  }
  // Let connections in flight finish (each is bounded by the socket timeouts).
  for (int i = 0; i < 10 * socket_timeout_s && open.load() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return {};
}

}  // namespace lontar::agent::web
