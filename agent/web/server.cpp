#include "web/server.hpp"

#include <fmt/format.h>

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <csignal>
#include <mutex>
#include <thread>

#include "http/server.hpp"

namespace lontar::agent::web {
namespace {

namespace h = lontar::http;

volatile std::sig_atomic_t signalled = 0;
extern "C" void on_signal(int) { signalled = 1; }

// shared/http's request as the Beast message WebApp takes, and back.
Request to_beast(const h::Request& in) {
  Request req;
  req.method_string(in.head.method);
  req.target(in.head.target);
  req.version(11);
  for (const auto& [name, value] : in.head.fields) req.insert(name, value);
  req.body() = in.body;
  return req;
}

h::Response from_beast(Response& res) {
  h::Response out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(res[http::field::content_type]);
  for (const auto& f : res) {
    const auto name = f.name();
    if (name == http::field::content_type || name == http::field::content_length || name == http::field::connection ||
        name == http::field::server) {
      continue;
    }
    out.fields.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }
  out.body = std::move(res.body());
  out.close = !res.keep_alive();
  return out;
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
  auto addr = boost::asio::ip::make_address(host, ec);
  if (ec) return Error{Code::bad_input, "--listen " + text + ": '" + host + "' is not an IP address"};
  if (addr.is_unspecified() || addr.is_multicast()) {
    return Error{Code::bad_input, "--listen " + text +
                                      ": give this computer's own address on the office network (e.g. "
                                      "192.168.1.10:8443, see `ip addr`), the one the desks will type"};
  }
  l.address = addr.to_string();
  l.loopback = addr.is_loopback();
  return l;
}

Status serve(WebApp& app, const Listen& listen, const std::optional<net::Identity>& tls,
             const std::function<void(std::uint16_t)>& on_listening, const std::atomic<bool>& stop) {
  if (!listen.loopback && !tls) {
    return Error{Code::bad_input, "--listen " + listen.address + ": a LAN address is served over TLS only"};
  }
  h::ServerConfig cfg;
  cfg.name = "web";
  cfg.address = listen.address;
  cfg.port = listen.port;
  if (tls) cfg.tls = h::TlsConfig{*tls, h::ClientCertificates::none};
  cfg.io_threads = 1;
  cfg.worker_threads = 4;
  cfg.connections_max = connections_max;
  cfg.untrusted_per_address_max = connections_max;
  cfg.header_bytes_max = header_bytes_max;
  cfg.body_bytes_max = upload_bytes_max;
  cfg.body_bytes_in_flight_max = 2 * upload_bytes_max;
  cfg.stop_timeout = std::chrono::seconds(10);

  std::mutex app_mutex;  // the app shares one SQLite connection: one request at a time
  h::Handlers hooks;
  hooks.on_headers = [&app](const h::Peer&, const h::RequestHead& head) {
    h::Admission a;
    // Only a signed-in clerk may send a partner list's bytes; everything else is a small form.
    a.body_bytes_max = app.body_limit(head.method, head.target, std::string(head.header("Cookie")));
    return a;
  };
  hooks.handle = [&app, &app_mutex](const h::Peer&, h::Request& in) {
    const Request req = to_beast(in);
    Response res = [&] {
      std::lock_guard lock(app_mutex);
      return app.handle(req);
    }();
    return from_beast(res);
  };
  auto server = h::Server::start(cfg, hooks);
  if (!server.ok()) {
    return Error{Code::io, fmt::format("cannot serve on {}:{}: {} (another program on that port? try "
                                       "--listen {}:0 for any free port)",
                                       listen.address, listen.port, server.error().message,
                                       listen.address.find(':') == std::string::npos ? listen.address
                                                                                     : "[" + listen.address + "]")};
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  on_listening((*server)->port());
  while (!stop.load() && !signalled) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  (*server)->stop();
  app.stop();  // an import in progress is rolled back (nothing of it was committed)
  return {};
}

}  // namespace lontar::agent::web
