// ledger_test.cpp — the JSON bodies of /v1/ledger and /v1/offices/<id>/head
// (shared/protocol/ledger.hpp): one encoder, one decoder, and what the decoder refuses.
#include <doctest/doctest.h>

#include "protocol/ledger.hpp"

using namespace lontar;

TEST_CASE("a /v1/ledger body round-trips with and without the caller's part, byte for byte as documented") {
  protocol::Ledger ledger{"lontar.example/jatim \"x\"", "lontar.example/jatim+0123abcd+AAAA", std::nullopt};
  const std::string anonymous = protocol::encode_json(ledger);
  CHECK(anonymous ==
        "{\"origin\":\"lontar.example/jatim \\\"x\\\"\",\"verifier_key\":\"lontar.example/jatim+0123abcd+AAAA\"}\n");
  auto back = protocol::decode_ledger(anonymous);
  REQUIRE(back.ok());
  CHECK(back->origin == ledger.origin);
  CHECK_FALSE(back->caller.has_value());

  Hash nik{};
  nik[0] = 0xab;
  ledger.caller = protocol::Ledger::Caller{"SBY-RUNGKUT", domain::Role::office, nik};
  const std::string registered = protocol::encode_json(ledger);
  CHECK(registered.find(",\"principal\":\"SBY-RUNGKUT\",\"role\":\"office\",\"nik_key\":\"ab00") != std::string::npos);
  back = protocol::decode_ledger(registered);
  REQUIRE(back.ok());
  REQUIRE(back->caller.has_value());
  CHECK(back->caller->principal == "SBY-RUNGKUT");
  CHECK(back->caller->role == domain::Role::office);
  CHECK(back->caller->nik_key == nik);
}

TEST_CASE("the /v1/ledger decoder reads any well-formed JSON and names what is wrong") {
  // Whitespace, member order, escapes and unknown members, as another implementation may write them.
  auto other = protocol::decode_ledger(
      "{ \"future\": [1, {\"x\": null}],\n  \"verifier_key\" : \"k\", \"origin\": \"o\\u00e9\" }");
  REQUIRE(other.ok());
  CHECK(other->origin == "o\xC3\xA9");
  CHECK(other->verifier_key == "k");

  auto not_json = protocol::decode_ledger("{\"origin\":\"o\",");
  REQUIRE_FALSE(not_json.ok());
  CHECK(not_json.error().code == Code::corrupt);
  auto missing = protocol::decode_ledger("{\"origin\":\"o\"}");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("'verifier_key' is missing") != std::string::npos);
  auto wrong_type = protocol::decode_ledger("{\"origin\":1,\"verifier_key\":\"k\"}");
  REQUIRE_FALSE(wrong_type.ok());
  CHECK(wrong_type.error().message.find("'origin' is not a string") != std::string::npos);
  auto bad_key = protocol::decode_ledger(
      "{\"origin\":\"o\",\"verifier_key\":\"k\",\"principal\":\"P\",\"role\":\"office\",\"nik_key\":\"00\"}");
  REQUIRE_FALSE(bad_key.ok());
  CHECK(bad_key.error().message.find("'nik_key' is not 64 hex digits") != std::string::npos);
  auto bad_role = protocol::decode_ledger(
      "{\"origin\":\"o\",\"verifier_key\":\"k\",\"principal\":\"P\",\"role\":\"king\",\"nik_key\":\"00\"}");
  REQUIRE_FALSE(bad_role.ok());
  CHECK(bad_role.error().message.find("'role'") != std::string::npos);
  CHECK_FALSE(protocol::decode_ledger("[1,2]").ok());
  CHECK_FALSE(protocol::decode_ledger(std::string(protocol::json_body_bytes_max + 1, ' ')).ok());
}

TEST_CASE("an office head round-trips; a negative or fractional seq is refused") {
  Hash h{};
  h[31] = 7;
  const protocol::OfficeHead head{"SBY-RUNGKUT", 12, h};
  const std::string body = protocol::encode_json(head);
  CHECK(body == "{\"principal\":\"SBY-RUNGKUT\",\"seq\":12,\"head\":\"" + to_hex(h) + "\"}\n");
  auto back = protocol::decode_office_head(body);
  REQUIRE(back.ok());
  CHECK(back->seq == 12);
  CHECK(back->head == h);
  CHECK_FALSE(protocol::decode_office_head("{\"principal\":\"P\",\"seq\":-1,\"head\":\"" + to_hex(h) + "\"}").ok());
  CHECK_FALSE(protocol::decode_office_head("{\"principal\":\"P\",\"seq\":1.5,\"head\":\"" + to_hex(h) + "\"}").ok());
}
