#include <doctest/doctest.h>

#include <string>

#include "note/checkpoint.hpp"
#include "support/examples.hpp"
#include "support/property.hpp"

using namespace lontar;
using namespace lontar::note;
using lontar::test::mentions;
using lontar::test::refusal;

namespace {
constexpr std::string_view origin = "lontar.example/log";

crypto::PrivateKey seeded_key(std::uint8_t first) {
  // Fixed seed so that every vector below is deterministic (Ed25519 signatures are).
  Bytes seed(32);
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(first + i);
  return std::move(crypto::PrivateKey::from_seed(seed)).value();
}

// The RFC 6962 root of the tree over the three leaves "a", "b", "c", written out with
// SHA-256 alone so that the vector does not depend on the Merkle module.
Hash three_leaf_root() {
  const std::uint8_t leaf_prefix[] = {0x00};
  const std::uint8_t node_prefix[] = {0x01};
  auto leaf = [&](std::string_view data) { return crypto::sha256({ByteView(leaf_prefix), as_bytes(data)}); };
  auto node = [&](const Hash& l, const Hash& r) { return crypto::sha256({ByteView(node_prefix), l, r}); };
  return node(node(leaf("a"), leaf("b")), leaf("c"));
}

Checkpoint example_checkpoint() { return Checkpoint{std::string(origin), 3, three_leaf_root(), {}}; }

}  // namespace

TEST_CASE("the spec's example checkpoint parses and formats back to the same bytes") {
  // c2sp.org/tlog-checkpoint, the example at the top of the spec.
  const std::string body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
  auto cp = parse_checkpoint(body);
  REQUIRE(cp.ok());
  CHECK(cp->origin == "example.com/behind-the-sofa");
  CHECK(cp->size == 20852163);
  CHECK(to_base64(cp->root) == "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
  CHECK(cp->extensions.empty());
  CHECK(*format_checkpoint(*cp) == body);

  // Its signature is by a key the spec does not publish: a reader that trusts only
  // our key finds one signature by an unknown key and refuses the note.
  const std::string signed_note =
      body +
      "\n\xE2\x80\x94 example.com/behind-the-sofa "
      "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
  auto key = seeded_key(0);
  auto ours = *Verifier::make("example.com/behind-the-sofa", key.public_key());
  auto opened = open_checkpoint(signed_note, ours, "example.com/behind-the-sofa");
  CHECK(opened.error().code == Code::unauthorized);
  CHECK(mentions(refusal(opened), "found 1 by other keys"));
}

TEST_CASE("a fixed-seed log key signs the FORMAT.md checkpoint vector") {
  // docs/FORMAT.md §5, vector N2 (also computed independently with Python's cryptography).
  auto key = seeded_key(0);
  const Checkpoint cp = example_checkpoint();
  CHECK(to_hex(cp.root) == "36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1");
  auto signed_note = sign_checkpoint(cp, origin, key);
  REQUIRE(signed_note.ok());
  CHECK(*signed_note ==
        "lontar.example/log\n"
        "3\n"
        "NmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=\n"
        "\n"
        "\xE2\x80\x94 lontar.example/log "
        "XAEvCmbv1ntHFgfKeKt0Xt1+l4IVJPl5khow9Qsmmnj2vdl5JJrZqXz9YVKP5o9O7zxbp7snbUFJd0slHIVCYEoVbAU=\n");
  const std::string line = signed_note->substr(signed_note->rfind("\n\n") + 2);
  const auto raw = from_base64(line.substr(line.rfind(' ') + 1, line.size() - line.rfind(' ') - 2));
  REQUIRE(raw.ok());
  CHECK(to_hex(*raw) ==
        "5c012f0a"
        "66efd67b471607ca78ab745edd7e97821524f979921a30f50b269a78f6bdd979"
        "249ad9a97cfd61528fe68f4eef3c5ba7bb276d4149774b251c8542604a156c05");
  CHECK(signed_note->find("\n\n") + 1 == 66);  // the signed text: three lines, 66 bytes
  auto log = Verifier::parse("lontar.example/log+5c012f0a+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");
  REQUIRE(log.ok());
  auto back = open_checkpoint(*signed_note, *log, origin);
  REQUIRE(back.ok());
  CHECK(*back == cp);
}

TEST_CASE("checkpoints with extensions and edge sizes round-trip") {
  auto key = seeded_key(0);
  const Verifier log = *Verifier::make(std::string(origin), key.public_key());
  for (std::uint64_t size : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{10}, UINT64_MAX}) {
    Checkpoint cp = example_checkpoint();
    cp.size = size;
    cp.extensions = {"ext one", "\xE2\x80\x94 looks like a signature but is text"};
    auto signed_note = sign_checkpoint(cp, origin, key);
    REQUIRE(signed_note.ok());
    auto back = open_checkpoint(*signed_note, log, origin);
    REQUIRE(back.ok());
    CHECK(*back == cp);
  }
  CHECK(parse_checkpoint("o\n18446744073709551615\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=\n")->size ==
        UINT64_MAX);
}

TEST_CASE("checkpoint bodies are parsed strictly") {
  const std::string root = "NmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=";
  struct Case {
    std::string body;
    std::string_view reason;
  };
  const Case cases[] = {
      {"o\n3\n" + root, "does not end with a newline"},
      {"o\n3\n", "has 2 lines"},
      {"\n3\n" + root + "\n", "line 1 (origin): is empty"},
      {"o\n\n" + root + "\n", "line 2 (tree size): is empty"},
      {"o\n3\n" + root + "\n\n", "line 4 (extension): is empty"},
      {"o\x10\n3\n" + root + "\n", "line 1 (origin): holds a control character"},  // found by note_fuzz
      {"o\n3\n" + root + "\nx\ty\n", "line 4 (extension): holds a control character"},
      {"o\n03\n" + root + "\n", "leading zero"},
      {"o\n00\n" + root + "\n", "leading zero"},
      {"o\n-1\n" + root + "\n", "not a decimal number"},
      {"o\n+1\n" + root + "\n", "not a decimal number"},
      {"o\n 1\n" + root + "\n", "not a decimal number"},
      {"o\n1.0\n" + root + "\n", "not a decimal number"},
      {"o\n18446744073709551616\n" + root + "\n", "does not fit in 64 bits"},
      {"o\n99999999999999999999\n" + root + "\n", "does not fit in 64 bits"},
      {"o\n123456789012345678901\n" + root + "\n", "at most 20 digits"},
      {"o\n3\n" + root.substr(0, 41) + "\n", "base64"},
      {"o\n3\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsF=\n", "non-canonical"},
      {"o\n3\n" + to_base64(Bytes(31, 7)) + "\n", "is 31 bytes"},
      {"o\n3\n" + to_base64(Bytes(33, 7)) + "\n", "is 33 bytes"},
      {"o\n3\nNmQuc8JUCrEh46a_lUWwokmCzYMOsT080Z3jzmwCHsE=\n", "base64"},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    auto r = parse_checkpoint(c.body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::bad_input);
    CHECK(mentions(r.error().message, c.reason));
  }
  Checkpoint bad = example_checkpoint();
  bad.origin = "";
  CHECK_FALSE(format_checkpoint(bad).ok());
  bad.origin = "two\nlines";
  CHECK_FALSE(format_checkpoint(bad).ok());
  bad = example_checkpoint();
  bad.extensions = {""};
  CHECK_FALSE(format_checkpoint(bad).ok());
}

TEST_CASE("open_checkpoint names a wrong origin, a foreign key or a malformed size") {
  auto key = seeded_key(0);
  const Verifier log = *Verifier::make(std::string(origin), key.public_key());

  // The right key, but a checkpoint of another log.
  Checkpoint other = example_checkpoint();
  other.origin = "other.example/log";
  auto wrong_origin = open_checkpoint(*sign_checkpoint(other, origin, key), log, origin);
  CHECK(wrong_origin.error().code == Code::conflict);
  CHECK(mentions(refusal(wrong_origin), "is for log 'other.example/log', not the expected 'lontar.example/log'"));

  // Signed by another key under the log's name: its key id differs, so it is a
  // signature by an unknown key and nothing trusted signed.
  auto impostor = seeded_key(9);
  auto foreign = open_checkpoint(*sign_checkpoint(example_checkpoint(), origin, impostor), log, origin);
  CHECK(foreign.error().code == Code::unauthorized);
  CHECK(mentions(refusal(foreign), "no signature by a trusted key"));

  // Validly signed, but the size has a leading zero.
  const std::string text = "lontar.example/log\n03\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=\n";
  auto leading_zero = open_checkpoint(*sign_note(text, origin, key), log, origin);
  CHECK(leading_zero.error().code == Code::bad_input);
  CHECK(mentions(refusal(leading_zero), "line 2 (tree size): '03' has a leading zero"));

  // Not a note at all.
  auto bare = open_checkpoint(*format_checkpoint(example_checkpoint()), log, origin);
  CHECK(mentions(refusal(bare), "checkpoint from lontar.example/log: signed note has no blank line"));
}

TEST_CASE("any mutation of a signed checkpoint's bytes makes verification fail") {
  auto key = seeded_key(0);
  const Verifier log = *Verifier::make(std::string(origin), key.public_key());
  const std::string signed_note = *sign_checkpoint(example_checkpoint(), origin, key);
  REQUIRE(open_checkpoint(signed_note, log, origin).ok());
  CHECK(test::property("a flipped, replaced, inserted or deleted byte is caught", [&] {
    std::string changed = signed_note;
    const auto at = *rc::gen::inRange<std::size_t>(0, changed.size());
    switch (*rc::gen::inRange(0, 4)) {
      case 0: {  // flip some bits
        const auto mask = *rc::gen::inRange<int>(1, 256);
        changed[at] = static_cast<char>(changed[at] ^ mask);
        break;
      }
      case 1: {  // replace with a byte a text editor might type
        const char c = *rc::gen::elementOf(std::string("0123456789abzAZ+/=\n -"));
        RC_PRE(c != changed[at]);
        changed[at] = c;
        break;
      }
      case 2:  // insert
        changed.insert(changed.begin() + static_cast<std::ptrdiff_t>(at), *rc::gen::arbitrary<char>());
        break;
      default:  // delete
        changed.erase(at, 1);
        break;
    }
    RC_ASSERT_FALSE(open_checkpoint(changed, log, origin).ok());
  }));
}
