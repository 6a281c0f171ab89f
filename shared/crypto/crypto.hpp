// crypto.hpp — SHA-256, Ed25519 and secure randomness over OpenSSL 3 EVP.
// Keys are values (raw 32-byte public keys, an owning private key handle).
// Every failure carries OpenSSL's own error text.
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.hpp"

typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace lontar::crypto {

// SHA-256 of `data`.
Hash sha256(ByteView data);
// SHA-256 of the concatenation of `parts`, without copying them together.
Hash sha256(std::initializer_list<ByteView> parts);

// Incremental SHA-256 for streams.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(ByteView data);
  Hash finish();  // the object may not be updated afterwards

 private:
  EVP_MD_CTX* ctx_;
};

// HMAC-SHA-256 of `data` under `key` (used for the keyed NIK hash of redacted views).
Hash hmac_sha256(ByteView key, ByteView data);

// `n` bytes from OpenSSL's CSPRNG.
Result<Bytes> random_bytes(std::size_t n);

using PublicKey = std::array<std::uint8_t, 32>;
using Signature = std::array<std::uint8_t, 64>;

// An Ed25519 private key. Move-only; the key material lives inside OpenSSL.
class PrivateKey {
 public:
  static Result<PrivateKey> generate();
  // From the 32-byte RFC 8032 seed.
  static Result<PrivateKey> from_seed(ByteView seed);
  // Reads a PKCS#8 PEM file; `passphrase` decrypts an encrypted one.
  static Result<PrivateKey> load_pem(const std::filesystem::path& path,
                                     const std::optional<std::string>& passphrase = std::nullopt);
  static Result<PrivateKey> from_pem(std::string_view pem, const std::optional<std::string>& passphrase = std::nullopt);

  // Writes PKCS#8 PEM with file mode 0600 (AES-256-CBC encrypted when a
  // passphrase is given). Refuses to overwrite an existing file.
  Status save_pem(const std::filesystem::path& path, const std::optional<std::string>& passphrase = std::nullopt) const;
  Result<std::string> to_pem(const std::optional<std::string>& passphrase = std::nullopt) const;

  PublicKey public_key() const;
  Signature sign(ByteView message) const;
  // Borrowed handle for TLS certificate code; owned by this object.
  EVP_PKEY* native() const { return key_.get(); }

 private:
  struct Free {
    void operator()(EVP_PKEY* k) const;
  };
  explicit PrivateKey(EVP_PKEY* key) : key_(key) {}
  std::unique_ptr<EVP_PKEY, Free> key_;
};

// True when `signature` is a valid Ed25519 signature of `message` by `key`.
bool verify(const PublicKey& key, ByteView message, const Signature& signature);

// Short human fingerprint of a public key: first 16 hex digits of SHA-256(key),
// grouped in fours ("3f2a-9c01-77de-0b41"). For reading aloud over the phone.
std::string fingerprint(const PublicKey& key);

// The text of OpenSSL's error queue (and clears it); "" if empty.
std::string openssl_errors();

}  // namespace lontar::crypto
