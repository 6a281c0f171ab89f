#include <doctest/doctest.h>

#include "encoding/encoding.hpp"
#include "support/property.hpp"

using namespace lontar;
namespace enc = lontar::encoding;

namespace {
enum class Color : std::uint8_t { red = 1, green = 2 };
bool valid_color(Color c) { return c == Color::red || c == Color::green; }

struct Sample {
  std::uint32_t number = 0;
  std::string name;
  Hash digest{};
  bool active = false;
  Color color = Color::red;
  std::optional<std::int64_t> amount;
  std::optional<std::string> note;
  std::vector<std::uint32_t> tags;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(number, enc::bounded(name, 8, "name"), digest, enc::flag(active, "active"),
       enc::checked(color, valid_color, "color"), enc::optional(amount, "amount"), enc::optional(note, 4, "note"));
    // vector of bounded strings: wrap each element.
    ar(enc::bounded(tags, 3, "tags"));
  }
};
}  // namespace

TEST_CASE("portable binary layout is the documented one") {
  Sample s;
  s.number = 0x01020304;
  s.name = "ab";
  s.digest.fill(0xee);
  s.active = true;
  s.color = Color::green;
  s.amount = -2;
  auto bytes = enc::encode(s);
  REQUIRE(bytes.ok());
  std::string expect =
      "01"        // endianness flag: little endian
      "04030201"  // uint32 LE
      "0200000000000000"
      "6162"                    // uint64 length + bytes
      + std::string(64, 'e') +  // 32 raw bytes
      "01"                      // flag
      "02"                      // enum
      "01"
      "feffffffffffffff"   // optional present + int64 LE
      "00"                 // optional absent
      "0000000000000000";  // empty vector
  CHECK(to_hex(*bytes) == expect);
  auto back = enc::decode<Sample>(*bytes, "sample");
  REQUIRE(back.ok());
  CHECK(back->number == s.number);
  CHECK(back->name == "ab");
  CHECK(back->amount == -2);
  CHECK_FALSE(back->note.has_value());
}

TEST_CASE("decoding refuses lengths beyond a field's limit before allocating") {
  Sample s;
  auto bytes = *enc::encode(s);
  // name length claims 2^62 bytes.
  bytes[5 + 7] = 0x40;
  auto r = enc::decode<Sample>(bytes, "sample");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("field 'name'") != std::string::npos);
  CHECK(r.error().message.find("sample") == 0);
}

TEST_CASE("encoding refuses a field over its limit") {
  Sample s;
  s.name = "much too long";
  auto r = enc::encode(s);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("'name'") != std::string::npos);
}

TEST_CASE("truncated input, trailing bytes, bad flags and unknown enums are errors") {
  Sample s;
  s.name = "x";
  auto bytes = *enc::encode(s);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    CHECK_FALSE(enc::decode<Sample>(ByteView(bytes).first(n), "sample").ok());
  }
  Bytes longer = bytes;
  longer.push_back(0);
  auto trailing = enc::decode<Sample>(longer, "sample");
  REQUIRE_FALSE(trailing.ok());
  CHECK(trailing.error().message.find("unexpected bytes") != std::string::npos);

  Bytes bad_flag = bytes;
  bad_flag[1 + 4 + 8 + 1 + 32] = 2;
  CHECK_FALSE(enc::decode<Sample>(bad_flag, "sample").ok());
  Bytes bad_enum = bytes;
  bad_enum[1 + 4 + 8 + 1 + 32 + 1] = 9;
  auto e = enc::decode<Sample>(bad_enum, "sample");
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().message.find("'color'") != std::string::npos);
  Bytes big_endian = bytes;
  big_endian[0] = 0;
  CHECK_FALSE(enc::decode<Sample>(big_endian, "sample").ok());
}

TEST_CASE("decoding random bytes never crashes") {
  CHECK(test::property("decode(any bytes) returns a value or an error", [](const std::vector<std::uint8_t>& b) {
    auto r = enc::decode<Sample>(b, "sample");
    if (r.ok()) RC_ASSERT(r->name.size() <= 8);
  }));
}
