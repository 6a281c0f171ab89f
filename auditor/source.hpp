// source.hpp — where the auditor reads the log from.
//
// A Source serves the C2SP tlog-tiles resources of one log: the signed checkpoint
// and the tiles ("tile/<L>/<N>[.p/<W>]", "tile/entries/<N>[.p/<W>]"). Two kinds:
// a directory written by `lontar-server export` (an offline copy) and a server
// over HTTPS with mutual TLS. The auditor trusts neither: everything a Source
// returns is checked against the signed checkpoint and recomputed hashes.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "merkle/tiles.hpp"
#include "protocol/protocol.hpp"

namespace lontar::audit {

// Named limits for what a Source may return.
using protocol::checkpoint_bytes_max;                                 // one signed checkpoint note
constexpr std::size_t resource_bytes_max = merkle::bundle_bytes_max;  // the largest: a full entry bundle

class Source {
 public:
  virtual ~Source() = default;
  // The latest signed checkpoint note, as served.
  virtual Result<std::string> checkpoint() = 0;
  // A tile or entry bundle by its C2SP path. Code::not_found when absent.
  virtual Result<Bytes> tile(std::string_view path) = 0;
  // "dir /path" or "https://host:port" — for messages.
  virtual std::string describe() const = 0;
};

// A directory in C2SP tlog-tiles layout: <dir>/checkpoint, <dir>/tile/...
std::unique_ptr<Source> make_dir_source(std::filesystem::path dir);

struct HttpsOptions {
  std::string url;         // "https://host[:port]"
  std::string cert_file;   // the auditor's client certificate (PEM); needed for entry bundles
  std::string key_file;    // its private key (PEM)
  std::string server_key;  // the server's TLS key, 64 hex digits, pinned; or ""
  std::string ca_file;     // an organisation's CA bundle; or "" (one of the two is required)
};
// A server over HTTPS with mutual TLS (GET /checkpoint, /tile/...), through
// net::Client. Safe to call from two threads (one connection each). Errors name
// the option that is wrong.
Result<std::unique_ptr<Source>> make_https_source(const HttpsOptions& options);

}  // namespace lontar::audit
