// client.hpp — a synchronous HTTPS client for agents, auditors and admin commands.
//
// One Client holds one keep-alive connection to one server and reuses it for every
// request; it reconnects by itself when the server has closed an idle connection.
// Every step has a deadline (connect, handshake, each write and read) and every
// response body a size limit, so a call never hangs and never allocates without bound.
// Not thread-safe: use one Client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "net/tls.hpp"

namespace lontar::net {

constexpr auto connect_timeout_default = std::chrono::seconds(10);
constexpr auto handshake_timeout_default = std::chrono::seconds(10);
constexpr auto io_timeout_default = std::chrono::seconds(60);  // one request write or one response read
constexpr std::size_t response_body_bytes_max_default = 64 << 20;
constexpr std::size_t response_header_bytes_max = 16 << 10;

struct ClientConfig {
  std::string url;                   // "https://host[:port]" (port 443 when omitted)
  std::optional<Identity> identity;  // the principal's certificate and key (none: anonymous)
  ServerTrust trust;                 // pin and/or CA: at least one
  std::chrono::milliseconds connect_timeout = connect_timeout_default;
  std::chrono::milliseconds handshake_timeout = handshake_timeout_default;
  std::chrono::milliseconds io_timeout = io_timeout_default;
  std::size_t response_body_bytes_max = response_body_bytes_max_default;
};

struct Response {
  int status = 0;
  std::string content_type;
  std::string body;  // bytes as received (binary for cereal bodies)

  bool ok() const { return status >= 200 && status < 300; }
  ByteView bytes() const { return as_bytes(body); }
};

// The Error a non-2xx response stands for: 400/413 bad_input, 401/403 unauthorized,
// 404 not_found, 409 conflict, others io; the message holds the server's text.
Error response_error(const Response& response, std::string_view what);

class Client {
 public:
  // Checks the URL and builds the TLS context; does not connect yet.
  static Result<Client> create(ClientConfig config);
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request and returns the response, whatever its status. Connects (or
  // reconnects) as needed. Errors are transport failures only, each saying what to check.
  Result<Response> request(std::string_view method, std::string_view target, std::string_view body = {},
                           std::string_view content_type = "application/octet-stream");
  Result<Response> get(std::string_view target) { return request("GET", target); }
  Result<Response> post(std::string_view target, ByteView body,
                        std::string_view content_type = "application/octet-stream") {
    return request("POST", target, as_chars(body), content_type);
  }

  // Like request(), but a non-2xx status is an Error too (response_error).
  Result<Response> call(std::string_view method, std::string_view target, std::string_view body = {},
                        std::string_view content_type = "application/octet-stream");

  // The server's certificate key on the current connection (after a request).
  std::optional<crypto::PublicKey> server_key() const;
  // Closes the connection (a later request reconnects).
  void close();
  const std::string& url() const;

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lontar::net
