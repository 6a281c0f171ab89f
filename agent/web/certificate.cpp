#include "web/certificate.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fmt/format.h>

#include "crypto/crypto.hpp"
#include "crypto/openssl_ptr.hpp"
#include "crypto/x509.hpp"

namespace lontar::agent::web {
namespace {

Error ssl_error(const std::string& what) {
  const std::string detail = crypto::openssl_errors();
  return Error{Code::io, detail.empty() ? what : what + " (" + detail + ")"};
}

// A fresh P-256 key and a self-signed certificate over it, both PEM.
Result<net::Identity> make_identity(const std::string& address) {
  crypto::PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return ssl_error("cannot make an ECDSA P-256 key");
  crypto::CertificateSubject subject{
      "Lontar office page " + address, {"localhost", "127.0.0.1"}, certificate_days, true};
  if (!address.empty() && address != "127.0.0.1") subject.alt_names.insert(subject.alt_names.begin(), address);
  net::Identity id;
  LONTAR_ASSIGN(id.certificate_chain_pem, crypto::make_self_signed_certificate(key.get(), subject));
  crypto::BioPtr kbio(BIO_new(BIO_s_mem()));
  if (!kbio || PEM_write_bio_PrivateKey(kbio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return ssl_error("cannot write the key as PEM");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(kbio.get(), &data);
  id.private_key_pem.assign(data, static_cast<std::size_t>(n));
  return id;
}

}  // namespace

Result<std::string> certificate_fingerprint(const std::string& pem) {
  crypto::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  crypto::X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
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
    LONTAR_TRY(crypto::write_file_atomic(key_path, out.identity.private_key_pem, 0600));
    LONTAR_TRY(crypto::write_file_atomic(cert_path, out.identity.certificate_chain_pem, 0644));
    out.created = true;
  }
  auto fp = certificate_fingerprint(out.identity.certificate_chain_pem);
  if (!fp.ok()) return std::move(fp).error().prefix(cert_path.string());
  out.fingerprint = std::move(*fp);
  return out;
}

}  // namespace lontar::agent::web
