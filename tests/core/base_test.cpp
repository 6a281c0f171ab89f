#include <doctest/doctest.h>

#include "base/bytes.hpp"
#include "support/property.hpp"

using namespace lontar;

TEST_CASE("hex round-trips and rejects bad digits") {
  Bytes b{0x00, 0x7f, 0xff, 0x10};
  CHECK(to_hex(b) == "007fff10");
  CHECK(*from_hex("007FFF10") == b);
  CHECK_FALSE(from_hex("0g").ok());
  CHECK_FALSE(from_hex("abc").ok());
  CHECK(from_hex("0g").error().message.find("position 1") != std::string::npos);
}

TEST_CASE("base64 matches the RFC 4648 test vectors") {
  // RFC 4648 §10.
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    CHECK(to_base64(as_bytes(plain[i])) == coded[i]);
    auto back = from_base64(coded[i]);
    REQUIRE(back.ok());
    CHECK(as_chars(*back) == plain[i]);
  }
}

TEST_CASE("base64 decoding is strict") {
  CHECK_FALSE(from_base64("Zg=").ok());       // length
  CHECK_FALSE(from_base64("Z===").ok());      // too much padding
  CHECK_FALSE(from_base64("Zh==").ok());      // non-zero pad bits
  CHECK_FALSE(from_base64("Zm9v\n").ok());    // whitespace
  CHECK_FALSE(from_base64("Zg==Zg==").ok());  // padding in the middle
}

TEST_CASE("base64 round-trips any bytes") {
  CHECK(test::property("decode(encode(b)) == b", [](const std::vector<std::uint8_t>& b) {
    auto back = from_base64(to_base64(b));
    RC_ASSERT(back.ok());
    RC_ASSERT(*back == b);
  }));
}
