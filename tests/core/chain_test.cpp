#include <doctest/doctest.h>

#include "chain/chain.hpp"
#include "chain/verify_hashed.hpp"
#include "support/property.hpp"

using namespace lontar;
using namespace lontar::chain;

namespace {
crypto::PrivateKey office_key() {
  // Fixed seed so that every vector below is deterministic (Ed25519 signatures are).
  Bytes seed(32);
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i);
  return std::move(crypto::PrivateKey::from_seed(seed)).value();
}

domain::Payload void_payload(std::uint64_t seq) {
  domain::EntryVoid v;
  v.target_principal = "SBY-RUNGKUT";
  v.target_seq = seq;
  v.reason = "salah ketik";
  return v;
}

std::vector<Entry> make_chain(int n) {
  std::vector<Entry> out;
  Hash prev{};
  for (int i = 1; i <= n; ++i) {
    auto e = make_entry("SBY-RUNGKUT", static_cast<std::uint64_t>(i), prev, 1526860800000 + i, "clerk-01",
                        void_payload(static_cast<std::uint64_t>(i)));
    REQUIRE(e.ok());
    prev = entry_hash(*e);
    out.push_back(std::move(e).value());
  }
  return out;
}
}  // namespace

TEST_CASE("entry, seal and leaf encodings match the FORMAT.md vectors") {
  auto entries = make_chain(1);
  const Entry& e = entries[0];
  auto bytes = encoding::encode(e);
  REQUIRE(bytes.ok());
  // docs/FORMAT.md §3, vector C1.
  CHECK(to_hex(*bytes) ==
        "01"  // little-endian flag
        "01"  // version
        "0b00000000000000"
        "5342592d52554e474b5554"                                            // principal "SBY-RUNGKUT"
        "0100000000000000"                                                  // seq 1
        "0000000000000000000000000000000000000000000000000000000000000000"  // prev
        "01e0fe7f63010000"                                                  // recorded_at_ms 1526860800001
        "0800000000000000"
        "636c65726b2d3031"  // operator "clerk-01"
        "0f00"              // kind 15 = entry.void
        "2f00000000000000"  // payload length 47
        "01"
        "0b00000000000000"
        "5342592d52554e474b5554"
        "0100000000000000"
        "0b00000000000000"
        "73616c6168206b6574696b");  // payload (EntryVoid)
}

TEST_CASE("the entry hash is domain-separated SHA-256 of the encoding") {
  auto entries = make_chain(1);
  auto bytes = *encoding::encode(entries[0]);
  Bytes input(entry_hash_domain.begin(), entry_hash_domain.end());
  append(input, bytes);
  CHECK(entry_hash(entries[0]) == crypto::sha256(input));
  CHECK(entry_hash_of_bytes(bytes) == entry_hash(entries[0]));
}

TEST_CASE("the entry hash taken over an entry leaf's bytes is the hash of the entry it carries") {
  auto entries = make_chain(2);
  const Bytes entry = *encoding::encode(entries[1]);
  for (const domain::Verdict& v : {domain::Verdict{}, domain::Verdict{domain::Outcome::flagged, {{"x", "yz"}}}}) {
    const Bytes leaf = *encoding::encode(entry_leaf(entries[1], v));
    CHECK(entry_hash_in_leaf(leaf, entry.size()) == entry_hash(entries[1]));
    CHECK(entry_hash_in_leaf(leaf, entry.size()) != entry_hash(entries[0]));
    CHECK(entry_hash_in_leaf(leaf, entry.size() - 1) != entry_hash(entries[1]));   // the size decides the bytes
    CHECK(!entry_hash_in_leaf(ByteView(leaf).first(entry.size()), entry.size()));  // too short
  }
  CHECK(!entry_hash_in_leaf(Bytes{0x01, 0x01}, 0));
}

TEST_CASE("a sealed run of entries verifies, and the seal signs only its own fields") {
  auto key = office_key();
  auto entries = make_chain(5);
  Seal seal = make_seal("SBY-RUNGKUT", 5, entry_hash(entries.back()), 1526860900000, key);
  CHECK(seal_signature_valid(seal));
  CHECK(verify_run(entries, 0, Hash{}, &seal).ok());
  // A continuation verifies against the earlier head.
  CHECK(verify_run(std::span(entries).subspan(2), 2, entry_hash(entries[1]), &seal).ok());

  Seal later = seal;
  later.sealed_at_ms += 1;
  CHECK_FALSE(seal_signature_valid(later));
  auto bad = verify_run(entries, 0, Hash{}, &later);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == Code::unauthorized);
}

TEST_CASE("verify_run with the caller's entry hashes judges as verify_run, and trusts those hashes") {
  auto key = office_key();
  auto entries = make_chain(5);
  std::vector<Hash> hashes;
  for (const auto& e : entries) hashes.push_back(entry_hash_of_bytes(*encoding::encode(e)));
  Seal seal = make_seal("SBY-RUNGKUT", 5, hashes.back(), 1526860900000, key);
  CHECK(verify_run(entries, hashes, 0, Hash{}, &seal).ok());
  CHECK(verify_run(std::span(entries).subspan(2), std::span(hashes).subspan(2), 2, hashes[1], &seal).ok());
  // A wrong hash breaks the next link, as a changed entry would.
  auto wrong = hashes;
  wrong[1][0] ^= 1;
  auto bad = verify_run(entries, wrong, 0, Hash{}, &seal);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == verify_run(std::span(entries).subspan(2), 2, wrong[1], nullptr).error().message);
  CHECK(bad.error().message.find("seq 3") != std::string::npos);
  CHECK_FALSE(verify_run(entries, std::span(hashes).first(4), 0, Hash{}, &seal).ok());
}

TEST_CASE("verify_run names the seq of a gap, a broken link or a foreign entry") {
  auto key = office_key();
  auto entries = make_chain(4);
  Seal seal = make_seal("SBY-RUNGKUT", 4, entry_hash(entries.back()), 0, key);

  auto gap = entries;
  gap.erase(gap.begin() + 1);
  auto r1 = verify_run(gap, 0, Hash{}, &seal);
  REQUIRE_FALSE(r1.ok());
  CHECK(r1.error().message.find("expected seq 2, found 3") != std::string::npos);

  auto broken = entries;
  broken[2].operator_id = "clerk-02";
  auto r2 = verify_run(broken, 0, Hash{}, &seal);
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.error().message.find("seq 4: previous-hash link") != std::string::npos);

  auto foreign = entries;
  foreign[0].principal = "SBY-DARMO";
  auto r3 = verify_run(foreign, 0, Hash{}, &seal);
  REQUIRE_FALSE(r3.ok());
  CHECK(r3.error().message.find("belongs to SBY-DARMO") != std::string::npos);

  // The last entry changed: every link holds but the seal's head does not.
  auto last = entries;
  last[3].recorded_at_ms += 1;
  auto r4 = verify_run(last, 0, Hash{}, &seal);
  REQUIRE_FALSE(r4.ok());
  CHECK(r4.error().message.find("different head hash") != std::string::npos);
}

TEST_CASE("batches and leaves round-trip and reject trailing or truncated bytes") {
  auto key = office_key();
  Batch b;
  b.principal = "SBY-RUNGKUT";
  b.entries = make_chain(3);
  b.seal = make_seal("SBY-RUNGKUT", 3, entry_hash(b.entries.back()), 0, key);
  auto bytes = encoding::encode(b);
  REQUIRE(bytes.ok());
  auto back = encoding::decode<Batch>(*bytes, "push batch");
  REQUIRE(back.ok());
  CHECK(back->entries.size() == 3);
  CHECK(entry_hash(back->entries[2]) == b.seal.head);
  CHECK(verify_run(back->entries, 0, Hash{}, &back->seal).ok());
  CHECK_FALSE(encoding::decode<Batch>(ByteView(*bytes).first(bytes->size() - 1), "push batch").ok());

  domain::Verdict v{domain::Outcome::flagged, {{"above_schedule", "paid 30,000,000; schedule allows 24,000,000"}}};
  Leaf l = entry_leaf(b.entries[0], v);
  auto lb = encoding::encode(l);
  REQUIRE(lb.ok());
  auto lback = encoding::decode<Leaf>(*lb, "leaf");
  REQUIRE(lback.ok());
  CHECK(lback->verdict == v);
  CHECK(entry_hash(lback->entry) == entry_hash(b.entries[0]));
  Leaf s = seal_leaf(b.seal);
  auto sb = *encoding::encode(s);
  CHECK(sb[1] == 2);
  auto sback = encoding::decode<Leaf>(sb, "leaf");
  REQUIRE(sback.ok());
  CHECK(seal_signature_valid(sback->seal));
  sb[1] = 3;
  CHECK_FALSE(encoding::decode<Leaf>(sb, "leaf").ok());
}

TEST_CASE("any change to any entry of a sealed run is detected") {
  auto key = office_key();
  auto entries = make_chain(6);
  Seal seal = make_seal("SBY-RUNGKUT", 6, entry_hash(entries.back()), 0, key);
  CHECK(test::property("a flipped payload byte breaks the run", [&] {
    auto copy = entries;
    auto i = *rc::gen::inRange<std::size_t>(0, copy.size());
    auto j = *rc::gen::inRange<std::size_t>(0, copy[i].payload.size());
    auto bit = *rc::gen::inRange(0, 8);
    copy[i].payload[j] ^= static_cast<std::uint8_t>(1 << bit);
    RC_ASSERT_FALSE(verify_run(copy, 0, Hash{}, &seal).ok());
  }));
}
