// TLS contexts and identities (shared/net/tls.hpp), without a network.
#include <doctest/doctest.h>

#include "crypto/x509.hpp"
#include "net/tls.hpp"
#include "support/temp_dir.hpp"

using namespace lontar;

namespace {
crypto::PrivateKey new_key() { return std::move(crypto::PrivateKey::generate()).value(); }
bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("an identity loads from PEM files, an encrypted key with its passphrase only") {
  test::TempDir dir;
  auto key = new_key();
  auto cert = std::move(crypto::make_self_signed_certificate(key, "SBY-RUNGKUT")).value();
  REQUIRE(crypto::write_file_atomic(dir.path() / "tls.crt", cert).ok());
  REQUIRE(key.save_pem(dir.path() / "tls.key", std::string("rahasia")).ok());

  auto with = net::load_identity(dir.path() / "tls.crt", dir.path() / "tls.key", std::string("rahasia"));
  REQUIRE(with.ok());
  CHECK(net::make_server_context(*with).ok());

  auto without = net::load_identity(dir.path() / "tls.crt", dir.path() / "tls.key");
  REQUIRE(without.ok());
  auto ctx = net::make_server_context(*without);
  REQUIRE_FALSE(ctx.ok());
  CHECK(contains(ctx.error().message, "give its passphrase"));

  auto wrong = net::load_identity(dir.path() / "tls.crt", dir.path() / "tls.key", std::string("salah"));
  REQUIRE(wrong.ok());
  CHECK(contains(net::make_server_context(*wrong).error().message, "wrong passphrase"));

  auto missing = net::load_identity(dir.path() / "nope.crt", dir.path() / "tls.key");
  REQUIRE_FALSE(missing.ok());
  CHECK(contains(missing.error().message, "nope.crt"));
}

TEST_CASE("a key that does not belong to the certificate is refused") {
  auto id = std::move(net::self_signed_identity(new_key(), "server")).value();
  id.private_key_pem = std::move(new_key().to_pem()).value();
  auto ctx = net::make_server_context(id);
  REQUIRE_FALSE(ctx.ok());
  CHECK(contains(ctx.error().message, "does not belong to the certificate"));
  CHECK(contains(ctx.error().message, "server TLS identity"));
}

TEST_CASE("a CA file must hold certificates") {
  test::TempDir dir;
  REQUIRE(crypto::write_file_atomic(dir.path() / "ca.pem", "not a certificate\n").ok());
  auto ca = net::load_ca_file(dir.path() / "ca.pem");
  REQUIRE_FALSE(ca.ok());
  CHECK(contains(ca.error().message, "holds no PEM certificate"));
  net::ServerTrust trust;
  trust.ca_pem = "garbage";
  CHECK_FALSE(net::make_client_context(std::nullopt, trust).ok());
}
