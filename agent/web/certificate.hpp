// certificate.hpp — the office's own TLS certificate for the web page on a LAN.
//
// `lontar-agent serve --listen 192.168.1.10:8443` (any address that is not loopback)
// serves HTTPS with a certificate the office makes for itself on first use: an ECDSA
// P-256 key (what every browser accepts; the office's Ed25519 signing key is not used,
// browsers refuse Ed25519 server certificates) and a self-signed certificate naming the
// listen address, valid ten years. Both live in the data folder: web-tls.key (0600) and
// web-tls.crt. No CA vouches for it, so each desk's browser warns once: the clerk compares
// the SHA-256 fingerprint the browser shows with the one `serve` printed (and
// `serve --show-certificate` prints) before accepting it.
#pragma once

#include <filesystem>
#include <string>

#include "base/result.hpp"
#include "net/tls.hpp"

namespace lontar::agent::web {

constexpr std::string_view certificate_file = "web-tls.crt";
constexpr std::string_view certificate_key_file = "web-tls.key";
constexpr int certificate_days = 3650;

struct WebCertificate {
  net::Identity identity;
  std::string fingerprint;  // SHA-256 of the certificate (DER), "AB:CD:...", as browsers show it
  bool created = false;     // made just now
};

// Loads the office's web certificate from `data_dir`, or makes it (naming `address`
// and 127.0.0.1/localhost) when there is none. Errors name the file.
Result<WebCertificate> office_certificate(const std::filesystem::path& data_dir, const std::string& address);

// The SHA-256 fingerprint of the first certificate in `pem`.
Result<std::string> certificate_fingerprint(const std::string& pem);

}  // namespace lontar::agent::web
