#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <thread>

#include "crypto/crypto.hpp"

using namespace lontar;
using namespace lontar::crypto;

TEST_CASE("SHA-256 matches the FIPS 180-2 vectors") {
  CHECK(to_hex(sha256(as_bytes(""))) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(to_hex(sha256(as_bytes("abc"))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256({as_bytes("a"), as_bytes("bc")}) == sha256(as_bytes("abc")));
  Sha256 h;
  h.update(as_bytes("ab"));
  h.update(as_bytes("c"));
  CHECK(h.finish() == sha256(as_bytes("abc")));
}

TEST_CASE("HMAC-SHA-256 matches RFC 4231 test case 2") {
  CHECK(to_hex(hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("HMAC-SHA-256 keeps matching RFC 4231 when keys alternate and repeat, on any thread") {
  // hmac_sha256 keeps a keyed context per thread for the last key: switching keys,
  // repeating one, an empty key and a key longer than a block must all still be right.
  const Bytes key1(20, 0x0b), key6(131, 0xaa);
  const std::string tc1 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
  const std::string tc2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  const std::string tc6 = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
  const std::string empty = "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad";
  auto run = [&] {
    bool ok = true;
    for (int i = 0; i < 3; ++i) {
      ok = ok && to_hex(hmac_sha256(key1, as_bytes("Hi There"))) == tc1;
      ok = ok && to_hex(hmac_sha256(key1, as_bytes("Hi There"))) == tc1;
      ok = ok && to_hex(hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))) == tc2;
      ok = ok && to_hex(hmac_sha256(key6, as_bytes("Test Using Larger Than Block-Size Key - Hash Key First"))) == tc6;
      ok = ok && to_hex(hmac_sha256(ByteView{}, ByteView{})) == empty;
      ok = ok && to_hex(hmac_sha256(ByteView{}, ByteView{})) == empty;
    }
    return ok;
  };
  CHECK(run());
  bool other_thread = false;
  std::thread t([&] { other_thread = run(); });
  t.join();
  CHECK(other_thread);
}

TEST_CASE("Ed25519 matches RFC 8032 test 1 and verifies only what it signed") {
  auto seed = from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  auto key = PrivateKey::from_seed(*seed);
  REQUIRE(key.ok());
  CHECK(to_hex(key->public_key()) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  Signature sig = key->sign({});
  CHECK(to_hex(sig) ==
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe"
        "24655141438e7a100b");
  CHECK(verify(key->public_key(), {}, sig));
  Bytes msg{1, 2, 3};
  CHECK_FALSE(verify(key->public_key(), msg, sig));
  sig[0] ^= 1;
  CHECK_FALSE(verify(key->public_key(), {}, sig));
}

TEST_CASE("a private key saved with a passphrase loads only with it, and the file is mode 0600") {
  auto dir = std::filesystem::temp_directory_path() / ("lontar-crypto-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto key = PrivateKey::generate();
  REQUIRE(key.ok());
  auto path = dir / "office.key";
  std::filesystem::remove(path);
  REQUIRE(key->save_pem(path, std::string("kelapa muda")).ok());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto wrong = PrivateKey::load_pem(path, std::string("salah"));
  CHECK_FALSE(wrong.ok());
  CHECK(wrong.error().message.find("passphrase") != std::string::npos);
  CHECK_FALSE(PrivateKey::load_pem(path).ok());
  auto right = PrivateKey::load_pem(path, std::string("kelapa muda"));
  REQUIRE(right.ok());
  CHECK(right->public_key() == key->public_key());

  // Never overwrites.
  auto again = key->save_pem(path);
  CHECK_FALSE(again.ok());
  CHECK(again.error().code == Code::conflict);

  auto plain = dir / "plain.key";
  std::filesystem::remove(plain);
  REQUIRE(key->save_pem(plain).ok());
  auto loaded = PrivateKey::load_pem(plain);
  REQUIRE(loaded.ok());
  CHECK(loaded->public_key() == key->public_key());
  std::filesystem::remove_all(dir);
}

TEST_CASE("a missing key file and a non-Ed25519 key are clear errors") {
  auto missing = PrivateKey::load_pem("/nonexistent/office.key");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("/nonexistent/office.key") != std::string::npos);
  CHECK_FALSE(PrivateKey::from_pem("not a pem").ok());
}

TEST_CASE("random bytes differ and fingerprints are grouped") {
  auto a = random_bytes(32);
  auto b = random_bytes(32);
  REQUIRE(a.ok());
  CHECK(*a != *b);
  PublicKey k{};
  CHECK(fingerprint(k).size() == 19);
  CHECK(fingerprint(k)[4] == '-');
}

#include "crypto/x509.hpp"

TEST_CASE("a self-signed certificate carries the principal's Ed25519 key") {
  auto key = PrivateKey::generate();
  REQUIRE(key.ok());
  auto pem = make_self_signed_certificate(*key, "SBY-RUNGKUT", {"localhost", "127.0.0.1"});
  REQUIRE(pem.ok());
  CHECK(pem->find("BEGIN CERTIFICATE") != std::string::npos);
  auto pub = certificate_public_key(*pem);
  REQUIRE(pub.ok());
  CHECK(*pub == key->public_key());
  CHECK_FALSE(certificate_public_key("garbage").ok());
}

TEST_CASE("write_file_atomic replaces a file whole") {
  auto path = std::filesystem::temp_directory_path() / ("lontar-atomic-" + std::to_string(::getpid()));
  REQUIRE(write_file_atomic(path, "first").ok());
  REQUIRE(write_file_atomic(path, "second", 0600).ok());
  CHECK(*read_file(path) == "second");
  CHECK_FALSE(std::filesystem::exists(path.string() + ".tmp"));
  std::filesystem::remove(path);
  CHECK_FALSE(read_file(path).ok());
}
