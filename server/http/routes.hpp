// routes.hpp — what each endpoint of docs/PROTOCOL.md answers, independent of sockets.
//
// The transport (http_server.hpp) reads a request, knows who is calling from the TLS
// client certificate, and hands both here; this file decides access, parses query
// parameters and bodies, calls LogService and turns its Result into a status and body.
// Pure apart from the service calls, so tests and fuzzers can drive it without TLS.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/crypto.hpp"
#include "server/service.hpp"

namespace lontar::server::http {

constexpr std::size_t request_body_bytes_max = 4096;  // every route but push
constexpr std::size_t target_bytes_max = 512;
constexpr std::size_t tile_path_bytes_max = 128;

// Who is on the other end of a connection, decided once after its handshake.
struct Access {
  std::optional<crypto::PublicKey> key;     // the client certificate's key; none for an anonymous client
  std::optional<Caller> caller;             // the registered principal holding `key`
  std::optional<Error> auth_error;          // authenticate() itself failed (the store is unavailable)
  bool public_without_certificate = false;  // serve the public resources to anyone
};

struct Reply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;          // for 405
  std::string cache_control;  // "" for none
};

// What GET /v1/ledger tells clients (docs/PROTOCOL.md): the ledger's name and
// checkpoint verifier key to anyone who may read public resources, and the NIK key
// (rules::person_key) to registered principals only.
struct LedgerInfo {
  std::string origin;
  std::string verifier_key;
  Hash nik_key{};
};

// The HTTP status for an Error code: bad_input 400, unauthorized 403, not_found 404,
// conflict 409, io 503, corrupt and internal 500.
int status_for(Code code);
Reply error_reply(int status, std::string_view message);
Reply error_reply(const Error& error);

// The largest body the route for `method target` accepts; decided from the request
// line before any of the body is read.
std::size_t body_limit_for(std::string_view method, std::string_view target, std::size_t push_body_bytes_max);

// Whether `access` may send `method target` at all (unknown route 404, wrong method 405,
// target too long 414, no registered key 403 or 503...): the refusal, or nullopt. Decided
// from the request's headers, before its body is read; handle() applies it too.
std::optional<Reply> check(const Access& access, std::string_view method, std::string_view target);

// Answers one request. `http_metrics` supplies the transport's own Prometheus lines;
// `ledger` answers /v1/ledger (404 when null).
// Never throws: a failure of the service becomes an error reply.
Reply handle(LogService& service, const Access& access, std::string_view method, std::string_view target,
             std::string_view body, const std::function<std::string()>& http_metrics,
             const LedgerInfo* ledger = nullptr);

}  // namespace lontar::server::http
