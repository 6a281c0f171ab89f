#include "web/certificate.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

#include <memory>

#include "base/private_file.hpp"
#include "crypto/crypto.hpp"
#include "crypto/x509.hpp"

namespace lontar::agent::web {
namespace {

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

Error ssl_error(const std::string& what) {
  const std::string detail = crypto::openssl_errors();
  return Error{Code::io, detail.empty() ? what : what + " (" + detail + ")"};
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

Status add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return ssl_error("cannot add a certificate extension");
  return {};
}

// A fresh P-256 key and a self-signed certificate over it, both PEM.
Result<net::Identity> make_identity(const std::string& address) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return ssl_error("cannot make an ECDSA P-256 key");
  X509Ptr cert(X509_new());
  if (!cert) return ssl_error("cannot make a certificate");
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return ssl_error("no random bytes");
  serial[0] &= 0x7f;  // a positive serial
  std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (X509_set_version(cert.get(), 2) != 1 || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 3600 * certificate_days) ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return ssl_error("cannot fill in the certificate");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn = "Lontar office page " + address;
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1) {
    return ssl_error("cannot name the certificate");
  }
  std::string alt = "DNS:localhost,IP:127.0.0.1";
  if (!address.empty() && address != "127.0.0.1") alt = "IP:" + address + "," + alt;
  LONTAR_TRY(add_extension(cert.get(), NID_subject_alt_name, alt));
  LONTAR_TRY(add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  LONTAR_TRY(add_extension(cert.get(), NID_ext_key_usage, "serverAuth"));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return ssl_error("cannot sign the certificate");
  net::Identity id;
  BioPtr cbio(BIO_new(BIO_s_mem()));
  BioPtr kbio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(cbio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(kbio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return ssl_error("cannot write the certificate as PEM");
  }
  id.certificate_chain_pem = bio_text(cbio.get());
  id.private_key_pem = bio_text(kbio.get());
  return id;
}

Status write_private(const std::filesystem::path& path, const std::string& text) {
  LONTAR_ASSIGN(std::FILE * f, create_private_file(path, true));
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) return Error{Code::io, path.string() + ": cannot write (disk full?)"};
  return {};
}

}  // namespace

Result<std::string> certificate_fingerprint(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return ssl_error("not a PEM certificate");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md, &n) != 1) return ssl_error("cannot hash the certificate");
  std::string out;
  for (unsigned int i = 0; i < n; ++i) out += fmt::format("{}{:02X}", i ? ":" : "", md[i]);
  return out;
}

Result<WebCertificate> office_certificate(const std::filesystem::path& data_dir, const std::string& address) {
  const auto cert_path = data_dir / certificate_file;
  const auto key_path = data_dir / certificate_key_file;
  WebCertificate out;
  std::error_code ec;
  const bool have_cert = std::filesystem::exists(cert_path, ec);
  const bool have_key = std::filesystem::exists(key_path, ec);
  if (have_cert != have_key) {
    return Error{Code::bad_input,
                 fmt::format("{} is there but {} is not: remove the one left (a new certificate is then made, "
                             "and the desks check its new fingerprint)",
                             (have_cert ? cert_path : key_path).string(), (have_cert ? key_path : cert_path).string())};
  }
  if (have_cert) {
    auto id = net::load_identity(cert_path, key_path);
    if (!id.ok()) return std::move(id).error();
    out.identity = std::move(*id);
  } else {
    LONTAR_ASSIGN(out.identity, make_identity(address));
    LONTAR_TRY(write_private(key_path, out.identity.private_key_pem));
    LONTAR_TRY(crypto::write_file_atomic(cert_path, out.identity.certificate_chain_pem, 0644));
    out.created = true;
  }
  auto fp = certificate_fingerprint(out.identity.certificate_chain_pem);
  if (!fp.ok()) return std::move(fp).error().prefix(cert_path.string());
  out.fingerprint = std::move(*fp);
  return out;
}

}  // namespace lontar::agent::web
