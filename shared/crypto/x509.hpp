// x509.hpp — X.509 certificates over Ed25519 keys, for mutual TLS.
// A principal's TLS identity is a certificate whose public key is its registered
// Ed25519 key; the server authenticates clients by that key, not by a CA.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "crypto/crypto.hpp"

namespace lontar::crypto {

constexpr int certificate_days_default = 3650;

// What a self-signed certificate says besides its key.
struct CertificateSubject {
  std::string common_name;              // subject CN (also the issuer: self-signed)
  std::vector<std::string> alt_names;   // subjectAltName: IP literals as IP:, the rest as DNS:
  int days = certificate_days_default;  // valid from a day before now (slow clocks) for `days`
  bool tls_server_only = false;         // basicConstraints critical,CA:FALSE + extendedKeyUsage serverAuth
};

// A self-signed certificate over any OpenSSL key (Ed25519 signs without a digest, other
// keys with SHA-256). Returns PEM.
Result<std::string> make_self_signed_certificate(EVP_PKEY* key, const CertificateSubject& subject);

// A self-signed certificate for `key` with subject CN=`common_name`, valid from now
// for `days`; `dns_names` become subjectAltName DNS entries (and "127.0.0.1"/"::1"
// style entries become IP entries). Returns PEM.
Result<std::string> make_self_signed_certificate(const PrivateKey& key, const std::string& common_name,
                                                 const std::vector<std::string>& alt_names = {},
                                                 int days = certificate_days_default);

// The raw Ed25519 public key inside a PEM certificate; an error if it is not Ed25519.
Result<PublicKey> certificate_public_key(std::string_view pem);

// Writes `text` to `path` atomically (temp file + fsync + rename) with `mode`.
Status write_file_atomic(const std::filesystem::path& path, std::string_view text, unsigned mode = 0644);
// Reads a whole (small) file; the error names the path.
Result<std::string> read_file(const std::filesystem::path& path);

}  // namespace lontar::crypto
