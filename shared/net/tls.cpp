#include "net/tls.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/ssl/host_name_verification.hpp>
#include <cstring>
#include <mutex>

#include "crypto/openssl_ptr.hpp"
#include "crypto/x509.hpp"

namespace lontar::net {

namespace {

using crypto::BioPtr;
using crypto::PkeyPtr;
using crypto::X509Ptr;

constexpr std::size_t chain_certificates_max = 16;
constexpr std::size_t ca_certificates_max = 256;
constexpr unsigned char session_id_context[] = "lontar";

Error tls_error(const std::string& what) {
  std::string detail = crypto::openssl_errors();
  return Error{Code::bad_input, detail.empty() ? what : what + " (" + detail + ")"};
}

BioPtr memory_bio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Every PEM certificate in `pem`, in order, at most `max`.
Result<std::vector<X509Ptr>> read_certificates(const std::string& pem, std::size_t max, const char* what) {
  BioPtr bio = memory_bio(pem);
  std::vector<X509Ptr> out;
  while (true) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (cert == nullptr) break;
    out.emplace_back(cert);
    if (out.size() > max) {
      return Error{Code::bad_input, std::string(what) + " holds more than " + std::to_string(max) + " certificates"};
    }
  }
  crypto::openssl_errors();  // the end of input leaves a "no start line" error
  if (out.empty()) return Error{Code::bad_input, std::string(what) + " holds no PEM certificate"};
  return out;
}

int passphrase_callback(char* buf, int size, int /*rwflag*/, void* user) {
  const auto* pass = static_cast<const std::string*>(user);
  if (pass == nullptr || pass->size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buf, pass->data(), pass->size());
  return static_cast<int>(pass->size());
}

Status use_identity(SSL_CTX* ctx, const Identity& identity) {
  LONTAR_ASSIGN(auto chain, read_certificates(identity.certificate_chain_pem, chain_certificates_max, "certificate"));
  if (SSL_CTX_use_certificate(ctx, chain.front().get()) != 1) return tls_error("cannot use the certificate");
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx, chain[i].get()) != 1) return tls_error("cannot add a chain certificate");
  }
  BioPtr bio = memory_bio(identity.private_key_pem);
  std::string empty;
  void* pass = identity.passphrase ? const_cast<std::string*>(&*identity.passphrase) : &empty;
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_callback, pass));
  if (!key) {
    return tls_error(identity.passphrase ? "cannot read the private key (wrong passphrase?)"
                                         : "cannot read the private key (is it encrypted? give its passphrase)");
  }
  if (X509_check_private_key(chain.front().get(), key.get()) != 1) {
    return tls_error("the private key does not belong to the certificate; give the key the certificate was made for");
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) return tls_error("cannot use the private key");
  return {};
}

Status tls13_only(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1) return tls_error("cannot require TLS 1.3");
  return {};
}

// Authorization is by key (LogService::authenticate), so any certificate will do;
// the handshake still proves that the client holds the certificate's private key.
int accept_any_certificate(int /*preverified*/, X509_STORE_CTX* /*ctx*/) { return 1; }

Result<crypto::PublicKey> ed25519_key(X509* cert) {
  EVP_PKEY* pkey = X509_get0_pubkey(cert);
  if (pkey == nullptr || EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
    return Error{Code::unauthorized, "the certificate's key is not Ed25519"};
  }
  crypto::PublicKey out{};
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(pkey, out.data(), &len) != 1 || len != out.size()) {
    return tls_error("cannot read the certificate's Ed25519 key");
  }
  return out;
}

}  // namespace

Result<Identity> load_identity(const std::filesystem::path& certificate_file, const std::filesystem::path& key_file,
                               const std::optional<std::string>& passphrase) {
  Identity id;
  LONTAR_ASSIGN(id.certificate_chain_pem, crypto::read_file(certificate_file));
  LONTAR_ASSIGN(id.private_key_pem, crypto::read_file(key_file));
  id.passphrase = passphrase;
  return id;
}

Result<Identity> self_signed_identity(const crypto::PrivateKey& key, const std::string& common_name,
                                      const std::vector<std::string>& alt_names) {
  Identity id;
  LONTAR_ASSIGN(id.certificate_chain_pem, crypto::make_self_signed_certificate(key, common_name, alt_names));
  LONTAR_ASSIGN(id.private_key_pem, key.to_pem());
  return id;
}

Result<ssl::context> make_server_context(const Identity& identity, bool client_certificate_required) {
  ssl::context ctx(ssl::context::tls_server);
  SSL_CTX* native = ctx.native_handle();
  LONTAR_TRY(tls13_only(native));
  if (auto st = use_identity(native, identity); !st.ok()) return std::move(st).error().prefix("server TLS identity");
  int mode = SSL_VERIFY_PEER | (client_certificate_required ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
  SSL_CTX_set_verify(native, mode, accept_any_certificate);
  SSL_CTX_set_session_id_context(native, session_id_context, sizeof session_id_context - 1);
  return ctx;
}

Result<std::string> load_ca_file(const std::filesystem::path& ca_file) {
  LONTAR_ASSIGN(std::string pem, crypto::read_file(ca_file));
  if (auto certs = read_certificates(pem, ca_certificates_max, ca_file.c_str()); !certs.ok()) return certs.error();
  return pem;
}

Result<ssl::context> make_client_context(const std::optional<Identity>& identity, const ServerTrust& trust) {
  if (!trust.pinned_key && trust.ca_pem.empty()) {
    return Error{Code::bad_input,
                 "no way to recognise the server: give its key (the fingerprint `lontar-server init` printed) "
                 "or the organisation's CA file"};
  }
  ssl::context ctx(ssl::context::tls_client);
  SSL_CTX* native = ctx.native_handle();
  LONTAR_TRY(tls13_only(native));
  if (identity) {
    if (auto st = use_identity(native, *identity); !st.ok()) return std::move(st).error().prefix("client TLS identity");
  }
  if (!trust.ca_pem.empty()) {
    LONTAR_ASSIGN(auto cas, read_certificates(trust.ca_pem, ca_certificates_max, "CA file"));
    X509_STORE* store = SSL_CTX_get_cert_store(native);
    for (auto& c : cas) {
      if (X509_STORE_add_cert(store, c.get()) != 1) return tls_error("cannot add a CA certificate");
    }
  }
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
  return ctx;
}

struct ServerVerifier::State {
  ServerTrust trust;
  std::string host;
  mutable std::mutex mu;
  std::optional<Error> failure;

  bool refuse(Code code, std::string why) {
    std::lock_guard lock(mu);
    failure = Error{code, std::move(why)};
    return false;
  }
};

ServerVerifier::ServerVerifier(ServerTrust trust, std::string host) : state_(std::make_shared<State>()) {
  state_->trust = std::move(trust);
  state_->host = std::move(host);
}

bool ServerVerifier::operator()(bool preverified, ssl::verify_context& vctx) const {
  X509_STORE_CTX* sctx = vctx.native_handle();
  const int depth = X509_STORE_CTX_get_error_depth(sctx);
  if (!state_->trust.ca_pem.empty()) {
    if (!preverified) {
      return state_->refuse(Code::unauthorized,
                            std::string("the server certificate does not verify against the CA file (") +
                                X509_verify_cert_error_string(X509_STORE_CTX_get_error(sctx)) + " at depth " +
                                std::to_string(depth) + ")");
    }
    if (depth == 0 && !ssl::host_name_verification(state_->host)(true, vctx)) {
      return state_->refuse(Code::unauthorized, "the server certificate does not name the host '" + state_->host +
                                                    "'; connect by a name the certificate lists");
    }
  }
  if (state_->trust.pinned_key && depth == 0) {
    X509* cert = X509_STORE_CTX_get_current_cert(sctx);
    auto key = cert ? ed25519_key(cert) : Result<crypto::PublicKey>(Error{Code::unauthorized, "no certificate"});
    const auto& want = *state_->trust.pinned_key;
    if (!key.ok()) {
      return state_->refuse(Code::pin_mismatch, "server certificate key does not match the pinned key " +
                                                    crypto::fingerprint(want) + ": " + key.error().message);
    }
    if (*key != want) {
      return state_->refuse(
          Code::pin_mismatch,
          "server certificate key does not match the pinned key: the server presented " + crypto::fingerprint(*key) +
              " but " + crypto::fingerprint(want) +
              " is pinned; if the server's TLS key was replaced on purpose, pin the new key its "
              "admin gives you, otherwise do not continue: someone may be intercepting the connection");
    }
  }
  return true;
}

std::optional<Error> ServerVerifier::failure() const {
  std::lock_guard lock(state_->mu);
  return state_->failure;
}

Result<crypto::PublicKey> peer_public_key(const SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return Error{Code::unauthorized, "the peer sent no certificate"};
  return ed25519_key(cert);
}

}  // namespace lontar::net
