// hostile.hpp — hostile clients for the server tests and the soak (issue 12): raw TLS and
// TCP connections that send what real clients never do, and the server's memory.
#pragma once

#include <sys/resource.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <fstream>
#include <thread>

#include "support/take.hpp"
#include "sync/sync_harness.hpp"

namespace lontar::test::hostile {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A field of /proc/PID/status in KiB (VmRSS: resident now, VmHWM: peak resident).
inline std::uint64_t proc_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stoull(line.substr(field.size()));
  }
  return 0;
}

inline void raise_fd_limit(rlim_t want) {
  rlimit rl{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &rl) == 0);
  rl.rlim_cur = std::min(want, rl.rlim_max);
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &rl) == 0);
}

// A blocking TLS client presenting `identity`, for requests the real clients never send.
struct RawTls {
  asio::io_context ioc;
  asio::ssl::context ctx{asio::ssl::context::tls_client};
  std::optional<asio::ssl::stream<tcp::socket>> stream;

  std::string error;  // why connecting failed ("" when connected)

  // Connects and completes the TLS handshake; `error` says why not (never throws, so that
  // attacker threads can use it).
  RawTls(const net::Identity& id, unsigned port) {
    ctx.use_certificate_chain(asio::buffer(id.certificate_chain_pem));
    ctx.use_private_key(asio::buffer(id.private_key_pem), asio::ssl::context::pem);
    ctx.set_verify_mode(asio::ssl::verify_none);
    stream.emplace(ioc, ctx);
    boost::system::error_code ec;
    stream->lowest_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(port)),
                                   ec);
    if (ec) {
      error = "connect: " + ec.message();
      return;
    }
    timeval tv{60, 0};  // a hang guard for the blocking reads below
    ::setsockopt(stream->lowest_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    stream->handshake(asio::ssl::stream_base::client, ec);
    if (ec) error = "handshake: " + ec.message();
  }
  bool connected() const { return error.empty(); }
  // Writes `bytes`; false once the server stopped taking them.
  bool send(std::string_view bytes) {
    boost::system::error_code ec;
    asio::write(*stream, asio::buffer(bytes.data(), bytes.size()), ec);
    return !ec;
  }
  // What the server sent until it closed the connection.
  std::string read_all() {
    std::string out;
    std::array<char, 4096> buf{};
    for (;;) {
      boost::system::error_code ec;
      std::size_t n = stream->read_some(asio::buffer(buf), ec);
      out.append(buf.data(), n);
      if (ec) return out;
    }
  }
  // One response on a kept-alive connection: reads until a whole header and its body are in.
  std::string read_response() {
    std::string out;
    std::array<char, 4096> buf{};
    for (;;) {
      auto end = out.find("\r\n\r\n");
      if (end != std::string::npos) {
        auto cl = out.find("Content-Length: ");
        std::size_t len = cl == std::string::npos ? 0 : std::stoul(out.substr(cl + 16));
        if (out.size() >= end + 4 + len) return out;
      }
      boost::system::error_code ec;
      std::size_t n = stream->read_some(asio::buffer(buf), ec);
      out.append(buf.data(), n);
      if (ec) return out;
    }
  }
};

inline bool starts_with(const std::string& s, std::string_view p) { return s.rfind(p, 0) == 0; }

inline net::Identity office_identity(const Office& office) {
  auto id = net::load_identity(office.agent.data() + "/office-cert.pem", office.agent.data() + "/office-key.pem");
  REQUIRE(id.ok());
  return *id;
}

// The value of a Prometheus line `name value` in `metrics`; -1 if absent.
inline long long metric(const std::string& metrics, const std::string& name) {
  auto at = metrics.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(metrics.substr(at + name.size() + 2));
}

inline std::string metrics_as(const Office& office, const Server& server) {
  auto c = office.client(server);
  auto r = c.get("/metrics");
  REQUIRE(r.ok());
  REQUIRE(r->status == 200);
  return r->body;
}

inline std::size_t count_lines(const std::string& text, std::string_view part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace lontar::test::hostile
