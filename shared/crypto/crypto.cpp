#include "crypto/crypto.hpp"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace lontar::crypto {

std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

namespace {
Error ossl_error(Code code, const std::string& what) {
  std::string detail = openssl_errors();
  return Error{code, detail.empty() ? what : what + " (" + detail + ")"};
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
}  // namespace

// The SHA-256 implementation, fetched once: with OpenSSL 3, passing EVP_sha256()
// makes every EVP_DigestInit_ex fetch it again from the provider (a lock and a
// lookup per hash), which showed in the server's profile of every hash.
namespace {
const EVP_MD* sha256_md() {
  static EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) std::abort();
    return m;
  }();
  return md;
}
}  // namespace

Hash sha256(ByteView data) { return sha256({data}); }

Hash sha256(std::initializer_list<ByteView> parts) {
  Sha256 h;
  for (auto p : parts) h.update(p);
  return h.finish();
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, sha256_md(), nullptr) != 1) std::abort();
}
Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }
Sha256::Sha256(Sha256&& o) noexcept : ctx_(o.ctx_) { o.ctx_ = nullptr; }
Sha256& Sha256::operator=(Sha256&& o) noexcept {
  std::swap(ctx_, o.ctx_);
  return *this;
}
void Sha256::update(ByteView data) {
  if (!data.empty() && EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1) std::abort();
}
Hash Sha256::finish() {
  Hash out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1 || len != out.size()) std::abort();
  return out;
}

// HMAC-SHA-256 with a keyed context kept per thread for the last key used. The
// ledger keys every NIK with the same key, and the one-shot HMAC() fetched the
// MAC and the digest from the provider, allocated a context and hashed the key
// pads on every call: about 20,000 instructions for a 16-byte NIK, the largest
// single cost of judging an enrollment. Re-initialising a keyed context with no
// key restarts it from the saved pads (OpenSSL's documented HMAC re-init).
namespace {
EVP_MAC* hmac_mac() {
  static EVP_MAC* mac = [] {
    EVP_MAC* m = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (m == nullptr) std::abort();
    return m;
  }();
  return mac;
}

class KeyedHmac {
 public:
  KeyedHmac() = default;
  KeyedHmac(const KeyedHmac&) = delete;
  KeyedHmac& operator=(const KeyedHmac&) = delete;
  ~KeyedHmac() {
    EVP_MAC_CTX_free(ctx_);
    if (!key_.empty()) OPENSSL_cleanse(key_.data(), key_.size());
  }

  Hash mac(ByteView key, ByteView data) {
    if (ctx_ == nullptr || key.size() != key_.size() || !std::equal(key.begin(), key.end(), key_.begin())) {
      rekey(key);
    } else if (EVP_MAC_init(ctx_, nullptr, 0, nullptr) != 1) {
      std::abort();
    }
    Hash out;
    std::size_t len = 0;
    if ((!data.empty() && EVP_MAC_update(ctx_, data.data(), data.size()) != 1) ||
        EVP_MAC_final(ctx_, out.data(), &len, out.size()) != 1 || len != out.size()) {
      std::abort();
    }
    return out;
  }

 private:
  void rekey(ByteView key) {
    if (ctx_ == nullptr && (ctx_ = EVP_MAC_CTX_new(hmac_mac())) == nullptr) std::abort();
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    // A null key pointer would mean "re-init with the old key": give an empty key a real address.
    static const unsigned char empty = 0;
    if (EVP_MAC_init(ctx_, key.empty() ? &empty : key.data(), key.size(), params) != 1) std::abort();
    if (!key_.empty()) OPENSSL_cleanse(key_.data(), key_.size());
    key_.assign(key.begin(), key.end());
  }

  EVP_MAC_CTX* ctx_ = nullptr;
  Bytes key_;
};
}  // namespace

Hash hmac_sha256(ByteView key, ByteView data) {
  thread_local KeyedHmac keyed;
  return keyed.mac(key, data);
}

Result<Bytes> random_bytes(std::size_t n) {
  Bytes out(n);
  if (n > 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    return ossl_error(Code::internal, "the random number generator failed");
  }
  return out;
}

void PrivateKey::Free::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

Result<PrivateKey> PrivateKey::generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) return ossl_error(Code::internal, "Ed25519 key generation failed");
  return PrivateKey(key);
}

Result<PrivateKey> PrivateKey::from_seed(ByteView seed) {
  if (seed.size() != 32) {
    return Error{Code::bad_input, "an Ed25519 seed is 32 bytes, got " + std::to_string(seed.size())};
  }
  EVP_PKEY* key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size());
  if (key == nullptr) return ossl_error(Code::bad_input, "invalid Ed25519 seed");
  return PrivateKey(key);
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem, const std::optional<std::string>& passphrase) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return ossl_error(Code::internal, "out of memory");
  // An empty passphrase for an encrypted key must fail, not prompt on the terminal.
  std::string pass = passphrase.value_or("");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, pass.data());
  if (key == nullptr) {
    return ossl_error(Code::bad_input, passphrase
                                           ? "cannot read the private key: wrong passphrase or not a PEM key"
                                           : "cannot read the private key (if it is encrypted, give its passphrase)");
  }
  if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    return Error{Code::bad_input, "the private key is not an Ed25519 key"};
  }
  return PrivateKey(key);
}

Result<PrivateKey> PrivateKey::load_pem(const std::filesystem::path& path,
                                        const std::optional<std::string>& passphrase) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{Code::io, path.string() + ": cannot open key file: " + std::strerror(errno)};
  std::stringstream ss;
  ss << in.rdbuf();
  auto key = from_pem(ss.str(), passphrase);
  if (!key.ok()) return std::move(key).error().prefix(path.string());
  return key;
}

Result<std::string> PrivateKey::to_pem(const std::optional<std::string>& passphrase) const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return ossl_error(Code::internal, "out of memory");
  int rc = 0;
  if (passphrase) {
    rc = PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), EVP_aes_256_cbc(), passphrase->data(),
                                       static_cast<int>(passphrase->size()), nullptr, nullptr);
  } else {
    rc = PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  }
  if (rc != 1) return ossl_error(Code::internal, "cannot encode the private key as PEM");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Status PrivateKey::save_pem(const std::filesystem::path& path, const std::optional<std::string>& passphrase) const {
  LONTAR_ASSIGN(std::string pem, to_pem(passphrase));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error{errno == EEXIST ? Code::conflict : Code::io,
                 path.string() + ": cannot create key file: " + std::strerror(errno)};
  }
  const char* p = pem.data();
  std::size_t left = pem.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return Error{Code::io, path.string() + ": cannot write key file: " + std::strerror(err)};
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Error{Code::io, path.string() + ": cannot flush key file: " + std::strerror(errno)};
  }
  return {};
}

PublicKey PrivateKey::public_key() const {
  PublicKey out{};
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(key_.get(), out.data(), &len) != 1 || len != out.size()) std::abort();
  return out;
}

Signature PrivateKey::sign(ByteView message) const {
  Signature sig{};
  std::size_t len = sig.size();
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_.get()) == 1 &&
            EVP_DigestSign(ctx, sig.data(), &len, message.data(), message.size()) == 1 && len == sig.size();
  EVP_MD_CTX_free(ctx);
  if (!ok) std::abort();  // signing with a valid key cannot fail but for memory
  return sig;
}

bool verify(const PublicKey& key, ByteView message, const Signature& signature) {
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, key.data(), key.size());
  if (pkey == nullptr) {
    ERR_clear_error();
    return false;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey) == 1 &&
            EVP_DigestVerify(ctx, signature.data(), signature.size(), message.data(), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  ERR_clear_error();
  return ok;
}

std::string fingerprint(const PublicKey& key) {
  std::string hex = to_hex(sha256(key)).substr(0, 16);
  return hex.substr(0, 4) + "-" + hex.substr(4, 4) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4);
}

}  // namespace lontar::crypto
