// https_source.cpp — a Source over the server's HTTPS API (protocol::Client, mutual TLS).
#include <list>
#include <mutex>
#include <thread>

#include "net/client.hpp"
#include "protocol/client.hpp"
#include "source.hpp"

namespace lontar::audit {
namespace {

class HttpsSource final : public Source {
 public:
  explicit HttpsSource(net::ClientConfig config) : config_(std::move(config)) {}

  Result<std::string> checkpoint() override {
    LONTAR_ASSIGN(protocol::Client * c, client());
    return c->checkpoint();
  }

  Result<Bytes> tile(std::string_view path) override {
    LONTAR_ASSIGN(protocol::Client * c, client());
    return c->tile(path, resource_bytes_max);
  }

  std::string describe() const override { return config_.url; }

 private:
  // One client per calling thread (net::Client is not thread-safe): the audit's
  // parallel stage fetches bundles while the sequential stage fetches hash tiles.
  Result<protocol::Client*> client() {
    std::lock_guard lock(mu_);
    auto id = std::this_thread::get_id();
    for (auto& [owner, c] : clients_) {
      if (owner == id) return &c;
    }
    LONTAR_ASSIGN(net::Client c, net::Client::create(config_));
    clients_.emplace_back(id, protocol::Client(std::move(c)));
    return &clients_.back().second;
  }

  net::ClientConfig config_;
  std::mutex mu_;
  std::list<std::pair<std::thread::id, protocol::Client>> clients_;  // list: stable addresses
};

}  // namespace

Result<std::unique_ptr<Source>> make_https_source(const HttpsOptions& options) {
  net::ClientConfig config;
  config.url = options.url;
  config.response_body_bytes_max = resource_bytes_max;
  if (!options.cert_file.empty() || !options.key_file.empty()) {
    if (options.cert_file.empty() || options.key_file.empty()) {
      return Error{Code::bad_input, "give both --cert and --key-file (the auditor's certificate and key), or neither"};
    }
    LONTAR_ASSIGN(config.identity, net::load_identity(options.cert_file, options.key_file));
  }
  if (!options.server_key.empty()) {
    auto key = hash_from_hex(options.server_key);
    if (!key.ok()) {
      return Error{Code::bad_input,
                   "--server-key: " + key.error().message +
                       "; give the server's TLS public key as 64 hex digits (lontar-server init prints it)"};
    }
    config.trust.pinned_key = *key;
  }
  if (!options.ca_file.empty()) {
    LONTAR_ASSIGN(config.trust.ca_pem, net::load_ca_file(options.ca_file));
  }
  if (!config.trust.pinned_key && config.trust.ca_pem.empty()) {
    return Error{Code::bad_input, "give --server-key (the server's pinned TLS key) or --ca (your CA bundle)"};
  }
  // Checks the URL now, so a typo fails before any audit work.
  LONTAR_TRY(net::Client::create(config));
  return std::unique_ptr<Source>(std::make_unique<HttpsSource>(std::move(config)));
}

}  // namespace lontar::audit
