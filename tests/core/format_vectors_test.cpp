// The vectors of docs/FORMAT.md that no module test already recomputes. Each test
// names its vector; the expected bytes were also computed independently (Python's
// hashlib and cryptography) from the rules the document states.
#include <doctest/doctest.h>

#include <string>

#include "chain/chain.hpp"
#include "domain/domain.hpp"
#include "protocol/protocol.hpp"

using namespace lontar;

namespace {
crypto::PrivateKey office_key() {
  // Fixed seed 00 01 .. 1f, as in chain_test.cpp: Ed25519 signatures are deterministic.
  Bytes seed(32);
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i);
  return std::move(crypto::PrivateKey::from_seed(seed)).value();
}

// The entry of vector C1: SBY-RUNGKUT's first entry, voiding its own seq 1.
chain::Entry c1_entry() {
  domain::EntryVoid v;
  v.target_principal = "SBY-RUNGKUT";
  v.target_seq = 1;
  v.reason = "salah ketik";
  return std::move(chain::make_entry("SBY-RUNGKUT", 1, Hash{}, 1526860800001, "clerk-01", v)).value();
}

constexpr std::string_view c1_hex =
    "0101"
    "0b000000000000005342592d52554e474b5554"
    "0100000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "01e0fe7f63010000"
    "0800000000000000636c65726b2d3031"
    "0f00"
    "2f00000000000000010b000000000000005342592d52554e474b555401000000000000000b0000000000000073616c6168206b6574696b";

std::string hex_of(const auto& value) { return to_hex(encoding::encode(value).value()); }
}  // namespace

TEST_CASE("FORMAT.md §2 vector P1: a Tagana volunteer's participant.enroll payload") {
  domain::ParticipantEnroll e;
  e.nik = "3578121703850002";
  e.name = "Agus Setiawan";
  e.birth_date = {1985, 3, 17};
  e.sex = domain::Sex::male;
  e.regency_code = "3578";
  e.occupation = "TAGANA";
  e.sponsor = "DINSOS-JATIM";
  e.declared_income = 1'500'000;
  e.programmes = domain::programme_bit(domain::Programme::jkk) | domain::programme_bit(domain::Programme::jkm);
  e.coverage_start = {2018, 5, 1};
  e.heirs = {domain::Heir{"Sri Wahyuni", "spouse", ""}};
  e.phone = "081234567890";
  e.address = "Jl. Rungkut Asri 5, Surabaya";
  REQUIRE(domain::validate(e).ok());
  auto bytes = domain::encode_payload(e);
  REQUIRE(bytes.ok());
  CHECK(bytes->size() == 215);
  // One line per field, as in the document.
  // clang-format off
  CHECK(to_hex(*bytes) ==
        "01"
        "1000000000000000" "33353738313231373033383530303032"
        "0d00000000000000" "4167757320536574696177616e"
        "c1070311"
        "01"
        "0400000000000000" "33353738"
        "0600000000000000" "544147414e41"
        "0c00000000000000" "44494e534f532d4a4154494d"
        "60e3160000000000"
        "03"
        "e2070501"
        "0100000000000000"
        "0b00000000000000" "5372692057616879756e69"
        "0600000000000000" "73706f757365"
        "0000000000000000"
        "0c00000000000000" "303831323334353637383930"
        "1c00000000000000" "4a6c2e2052756e676b7574204173726920352c205375726162617961");
  // clang-format on
}

TEST_CASE("FORMAT.md §2 vectors P3 and P4: participant.update v1 and v2") {
  // clang-format off
  const std::string p3 =
      "01"
      "1000000000000000" "33353738313231373033383530303032"
      "01" "0c00000000000000" "303831323939393938383838"
      "00"
      "00"
      "0000000000000000";
  const std::string p4 =
      "01"
      "1000000000000000" "33353738313231373033383530303032"
      "00"
      "00"
      "00"
      "0000000000000000"
      "02"
      "01" "0d00000000000000" "4167757320536574696177616e"
      "01" "c1070311"
      "01" "0400000000000000" "544b534b";
  // clang-format on
  domain::ParticipantUpdate v1;
  v1.nik = "3578121703850002";
  v1.phone = "081299998888";
  REQUIRE(domain::validate(v1).ok());
  CHECK_FALSE(v1.is_v2());
  auto b1 = domain::encode_payload(v1);
  REQUIRE(b1.ok());
  CHECK(b1->size() == 56);
  CHECK(to_hex(*b1) == p3);

  domain::ParticipantUpdate v2;
  v2.nik = "3578121703850002";
  v2.name = "Agus Setiawan";
  v2.birth_date = domain::Date{1985, 3, 17};
  v2.occupation = "TKSK";
  REQUIRE(domain::validate(v2).ok());
  auto b2 = domain::encode_payload(v2);
  REQUIRE(b2.ok());
  CHECK(b2->size() == 77);
  CHECK(to_hex(*b2) == p4);

  // Both decode to what was encoded, and re-encode to the same bytes.
  for (const auto& [hex, want] : {std::pair{p3, v1}, std::pair{p4, v2}}) {
    const Bytes bytes = from_hex(hex).value();
    auto decoded = domain::decode_payload(domain::EntryKind::participant_update, bytes);
    REQUIRE(decoded.ok());
    const auto& u = std::get<domain::ParticipantUpdate>(*decoded);
    CHECK(u.nik == want.nik);
    CHECK(u.phone == want.phone);
    CHECK(u.name == want.name);
    CHECK(u.birth_date == want.birth_date);
    CHECK(u.occupation == want.occupation);
    CHECK(domain::encode_payload(*decoded).value() == bytes);
  }

  // A v2 part that corrects nothing, another version byte, and bytes after field 9 are refused.
  const std::string v1_part = p4.substr(0, 2 * 36);
  for (const std::string& bad :
       {v1_part + "02" + "00" + "00" + "00", v1_part + "03" + p4.substr(2 * 37), p4 + "00", v1_part + "02" + "01"}) {
    auto decoded = domain::decode_payload(domain::EntryKind::participant_update, from_hex(bad).value());
    CHECK_FALSE(decoded.ok());
  }
}

TEST_CASE("FORMAT.md §3 vector C2: the entry hash of C1") {
  const chain::Entry e = c1_entry();
  REQUIRE(hex_of(e) == c1_hex);  // C1 itself is checked field by field in chain_test.cpp
  CHECK(to_hex(chain::entry_hash(e)) == "a922fd1d1c61627a18b4ea212443c349f97102d962bed852b7aec7a2be7fd56c");
}

TEST_CASE("FORMAT.md §3 vector C3: the seal over C1, its signed message and signature") {
  const auto key = office_key();
  const chain::Entry e = c1_entry();
  const chain::Seal seal = chain::make_seal("SBY-RUNGKUT", 1, chain::entry_hash(e), 1526860800500, key);
  CHECK(to_hex(seal.key) == "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
  // clang-format off
  CHECK(to_hex(chain::seal_message(seal)) ==
        "6c6f6e7461722f7365616c2f76310a"                                    // "lontar/seal/v1\n"
        "01"                                                                // little-endian flag
        "0b00000000000000" "5342592d52554e474b5554"                        // principal
        "0100000000000000"                                                  // last_seq 1
        "a922fd1d1c61627a18b4ea212443c349f97102d962bed852b7aec7a2be7fd56c"  // head = C2
        "f4e1fe7f63010000"                                                  // sealed_at_ms 1526860800500
        "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"); // key
  // clang-format on
  CHECK(to_hex(seal.signature) ==
        "fa941c82d0c94426d7ea5ef293fb675a6bea7ac71fb388198f35c44a3418f14d"
        "94f9f63386bb6c902707778e25f5945e080bef10ddae6cf4bf8a22d69f246e09");
  // The encoded seal is the signed fields (without the domain) followed by the signature.
  const std::string message_hex = to_hex(chain::seal_message(seal));
  const std::string domain_hex = to_hex(as_bytes(chain::seal_signature_domain));
  CHECK(hex_of(seal) == message_hex.substr(domain_hex.size()) + to_hex(seal.signature));
}

TEST_CASE("FORMAT.md §3: nested structs are written inline, with one flag byte for the whole encoding") {
  const auto key = office_key();
  const chain::Entry e = c1_entry();
  const std::string entry_fields = std::string(c1_hex.substr(2));  // C1 without its flag byte
  const chain::Seal seal = chain::make_seal("SBY-RUNGKUT", 1, chain::entry_hash(e), 1526860800500, key);
  const std::string seal_fields = hex_of(seal).substr(2);

  // Leaf of an entry: flag, type 1, the entry's fields, the verdict (outcome, reasons).
  const std::string flag = "01";
  domain::Verdict accepted{domain::Outcome::accepted, {}};
  const std::string no_reasons = "0000000000000000";
  CHECK(hex_of(chain::entry_leaf(e, accepted)) == flag + "01" + entry_fields + "01" + no_reasons);
  domain::Verdict flagged{domain::Outcome::flagged, {{"x", "yz"}}};
  const std::string one_reason =
      std::string("0100000000000000") + "0100000000000000" + "78" + "0200000000000000" + "797a";
  CHECK(hex_of(chain::entry_leaf(e, flagged)) == flag + "01" + entry_fields + "03" + one_reason);
  // Leaf of a seal: flag, type 2, the seal's fields.
  CHECK(hex_of(chain::seal_leaf(seal)) == flag + "02" + seal_fields);
  // Batch: flag, principal, entry count, each entry's fields, the seal's fields.
  chain::Batch batch{"SBY-RUNGKUT", {e}, seal};
  const std::string principal = std::string("0b00000000000000") + "5342592d52554e474b5554";
  CHECK(hex_of(batch) == flag + principal + "0100000000000000" + entry_fields + seal_fields);
}

TEST_CASE("PROTOCOL.md §2 vector F1: a feed page holding one withheld item is the index and the form only") {
  protocol::FeedPage page;
  protocol::FeedItem item;
  item.leaf_index = 5;
  item.form = protocol::FeedForm::withheld;
  item.leaf = Bytes{1, 2, 3};  // not sent: a withheld item carries nothing else
  page.items.push_back(item);
  page.tree_size = 6;
  constexpr std::string_view f1_hex =
      "01"                 // cereal portable binary: little-endian
      "0100000000000000"   // items: 1
      "0500000000000000"   // leaf_index 5
      "03"                 // form 3: withheld
      "0600000000000000";  // tree_size 6
  CHECK(hex_of(page) == f1_hex);
  auto back = encoding::decode<protocol::FeedPage>(from_hex(f1_hex).value(), "feed");
  REQUIRE(back.ok());
  REQUIRE(back->items.size() == 1);
  CHECK(back->items[0].leaf_index == 5);
  CHECK(back->items[0].form == protocol::FeedForm::withheld);
  CHECK(back->items[0].leaf.empty());
  CHECK(back->tree_size == 6);
  // Form 4 is no form: refused, naming the field.
  auto bad = encoding::decode<protocol::FeedPage>(
      from_hex("0101000000000000000500000000000000040600000000000000").value(), "feed");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("form") != std::string::npos);
}
