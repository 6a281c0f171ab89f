#include "crypto/x509.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "crypto/openssl_ptr.hpp"

namespace lontar::crypto {

namespace {
Error ossl(const std::string& what) {
  std::string detail = openssl_errors();
  return Error{Code::internal, detail.empty() ? what : what + " (" + detail + ")"};
}

bool is_ip(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}
}  // namespace

Result<std::string> make_self_signed_certificate(EVP_PKEY* key, const CertificateSubject& subject) {
  X509Ptr cert(X509_new());
  if (!cert) return ossl("out of memory");
  auto serial = random_bytes(16);
  if (!serial.ok()) return serial.error();
  (*serial)[0] &= 0x7f;  // positive
  BignumPtr bn(BN_bin2bn(serial->data(), static_cast<int>(serial->size()), nullptr));
  if (!bn || X509_set_version(cert.get(), 2) != 1 || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600) ||  // tolerate a slow clock
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(subject.days) * 24 * 3600) ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return ossl("cannot fill in the certificate");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(subject.common_name.c_str()), -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1) {
    return ossl("cannot name the certificate '" + subject.common_name + "'");
  }
  auto add_extension = [&](int nid, const std::string& value) -> Status {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) return ossl("cannot add the extension '" + value + "'");
    return {};
  };
  if (!subject.alt_names.empty()) {
    std::string san;
    for (const auto& n : subject.alt_names) {
      if (!san.empty()) san += ",";
      san += (is_ip(n) ? "IP:" : "DNS:") + n;
    }
    LONTAR_TRY(add_extension(NID_subject_alt_name, san));
  }
  if (subject.tls_server_only) {
    LONTAR_TRY(add_extension(NID_basic_constraints, "critical,CA:FALSE"));
    LONTAR_TRY(add_extension(NID_ext_key_usage, "serverAuth"));
  }
  const EVP_MD* digest = EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_sign(cert.get(), key, digest) <= 0) return ossl("cannot sign the certificate");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) return ossl("cannot encode the certificate");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Result<std::string> make_self_signed_certificate(const PrivateKey& key, const std::string& common_name,
                                                 const std::vector<std::string>& alt_names, int days) {
  return make_self_signed_certificate(key.native(), CertificateSubject{common_name, alt_names, days, false});
}

Result<PublicKey> certificate_public_key(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return Error{Code::bad_input, "not a PEM certificate (" + openssl_errors() + ")"};
  EVP_PKEY* pkey = X509_get0_pubkey(cert.get());
  if (pkey == nullptr || EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
    return Error{Code::bad_input, "the certificate's key is not Ed25519"};
  }
  PublicKey out{};
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(pkey, out.data(), &len) != 1) return ossl("cannot read the certificate key");
  return out;
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view text, unsigned mode) {
  auto tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Error{Code::io, tmp.string() + ": cannot create: " + std::strerror(errno)};
  std::size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Error{Code::io, tmp.string() + ": cannot write: " + std::strerror(err)};
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return Error{Code::io, tmp.string() + ": cannot flush: " + std::strerror(err)};
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Error{Code::io, path.string() + ": cannot replace: " + std::strerror(errno)};
  }
  // Make the rename itself durable.
  int dfd = ::open(path.parent_path().empty() ? "." : path.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{Code::io, path.string() + ": cannot open: " + std::strerror(errno)};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace lontar::crypto
