// tls.hpp — TLS 1.3 contexts for mutual TLS between principals and the server.
//
// Identity is a key, not a name. A principal (office, auditor, admin) presents a
// certificate whose public key is its registered Ed25519 key; the server accepts any
// certificate during the handshake (TLS already proves the client holds the private
// key) and then decides who the caller is from that key alone (LogService::authenticate).
//
// The client trusts the server in one or both of two ways:
//   - by pin: the server certificate's Ed25519 public key must equal an expected key
//     (the server's TLS key, printed by `lontar-server init`; it is a key of its own,
//     separate from the log's checkpoint-signing key, so that certificates can be
//     replaced or issued by an organisation's CA without touching the log key);
//   - by CA: the chain must verify against an organisation's own CA certificates and
//     the certificate must name the host (issue 6).
// When both are configured both must hold. A check that fails aborts the handshake
// before the client sends its own certificate.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "crypto/crypto.hpp"

typedef struct ssl_st SSL;

namespace lontar::net {

namespace ssl = boost::asio::ssl;

// A certificate chain (leaf first) and its private key, both PEM.
struct Identity {
  std::string certificate_chain_pem;
  std::string private_key_pem;
  std::optional<std::string> passphrase;  // for an encrypted private key
};

// Reads an identity from PEM files; errors name the file.
Result<Identity> load_identity(const std::filesystem::path& certificate_file, const std::filesystem::path& key_file,
                               const std::optional<std::string>& passphrase = std::nullopt);

// A fresh identity for `key`: a self-signed certificate with CN=`common_name`.
Result<Identity> self_signed_identity(const crypto::PrivateKey& key, const std::string& common_name,
                                      const std::vector<std::string>& alt_names = {});

// A TLS 1.3-only server context presenting `identity`. When `client_certificate_required`
// the handshake fails without a client certificate; otherwise a client may connect
// anonymously (the HTTP layer then serves it public resources only). Any client
// certificate is accepted in the handshake: authorization is by its key.
Result<ssl::context> make_server_context(const Identity& identity, bool client_certificate_required = true);

// How a client recognises the real server.
struct ServerTrust {
  std::optional<crypto::PublicKey> pinned_key;  // the server certificate's Ed25519 key
  std::string ca_pem;                           // an organisation's CA certificates (PEM, may hold several)
};

// Reads a CA bundle for ServerTrust::ca_pem.
Result<std::string> load_ca_file(const std::filesystem::path& ca_file);

// A TLS 1.3-only client context presenting `identity` (none: connect without a
// certificate, which only an anonymous-capable server accepts). Requires `trust`
// to pin a key or name a CA. Verification itself is per connection (ServerVerifier).
Result<ssl::context> make_client_context(const std::optional<Identity>& identity, const ServerTrust& trust);

// The handshake verification callback for one client connection to `host`.
// Copies share state, so the caller can read why a handshake was refused.
class ServerVerifier {
 public:
  ServerVerifier(ServerTrust trust, std::string host);
  bool operator()(bool preverified, ssl::verify_context& ctx) const;
  // Why the last refusal happened, if one did: Code::pin_mismatch naming both keys
  // when the server's key is not the pinned one, Code::unauthorized for a CA or
  // host name failure.
  std::optional<Error> failure() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// The Ed25519 public key of the peer's certificate after a completed handshake;
// an error if the peer sent no certificate or its key is not Ed25519.
Result<crypto::PublicKey> peer_public_key(const SSL* ssl);

}  // namespace lontar::net
