// server_cli.hpp — running the real lontar-server (and lontar-agent) commands from
// the server and operations tests, and a client that speaks as a given key.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "crypto/crypto.hpp"
#include "net/client.hpp"
#include "server/log_fixture.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace lontar::test {

// Runs `binary` (lontar-server by default) with `args` to its exit; its output goes
// to numbered files in `tmp`.
inline Run run(const TempDir& tmp, std::vector<std::string> args, const char* binary = LONTAR_SERVER_BIN) {
  static int n = 0;
  args.insert(args.begin(), binary);
  ++n;
  Spawn how{tmp.path() / ("out" + std::to_string(n)), tmp.path() / ("err" + std::to_string(n))};
  how.env["LONTAR_OPERATOR"] = "ani";
  return run_process(args, how);
}

// A mutual-TLS client with a self-signed certificate over `key`, pinning the log key `pin`.
inline net::Client client_for(const std::string& url, const crypto::PrivateKey& key, const crypto::PublicKey& pin) {
  net::ClientConfig c;
  c.url = url;
  c.identity = take(net::self_signed_identity(key, "test"), "identity");
  c.trust.pinned_key = pin;
  return take(net::Client::create(std::move(c)), "client");
}

}  // namespace lontar::test
