#include <doctest/doctest.h>

#include <string>

#include "note/note.hpp"
#include "support/examples.hpp"
#include "support/property.hpp"

using namespace lontar;
using namespace lontar::note;
using lontar::test::mentions;
using lontar::test::refusal;

namespace {
// The vectors of Go's golang.org/x/mod/sumdb/note tests (the reference reader of signed notes).
constexpr std::string_view peter_signer_key =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view peter_verifier_key = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view enoch_verifier_key = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
constexpr std::string_view go_text =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr std::string_view peter_sig =
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
constexpr std::string_view enoch_sig =
    "\xE2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

crypto::PrivateKey seeded_key(std::uint8_t first) {
  // Fixed seed so that every vector below is deterministic (Ed25519 signatures are).
  Bytes seed(32);
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(first + i);
  return std::move(crypto::PrivateKey::from_seed(seed)).value();
}

Verifier verifier(std::string_view key) { return std::move(Verifier::parse(key)).value(); }

std::string go_note(std::string_view sigs) { return std::string(go_text) + "\n" + std::string(sigs); }

}  // namespace

TEST_CASE("Go's signer key signs Go's example note to the same bytes") {
  auto signer = Signer::parse(peter_signer_key);
  REQUIRE(signer.ok());
  CHECK(signer->name == "PeterNeumann");
  auto v = Verifier::make(signer->name, signer->key.public_key());
  REQUIRE(v.ok());
  CHECK(v->to_string() == peter_verifier_key);
  CHECK(v->id() == 0xc74f20a3);
  auto signed_note = sign_note(go_text, signer->name, signer->key);
  REQUIRE(signed_note.ok());
  CHECK(*signed_note == go_note(peter_sig));
}

TEST_CASE("Go's doubly signed note opens with one, both or neither of its keys") {
  const Verifier peter = verifier(peter_verifier_key);
  const Verifier enoch = verifier(enoch_verifier_key);
  const std::string msg = go_note(std::string(peter_sig) + std::string(enoch_sig));

  const Verifier only_peter[] = {peter};
  auto one = open_note(msg, only_peter);
  REQUIRE(one.ok());
  CHECK(one->text == go_text);
  REQUIRE(one->verified.size() == 1);
  CHECK(one->verified[0].name == "PeterNeumann");
  CHECK(one->verified[0].id == 0xc74f20a3);
  CHECK(one->unknown_signatures == 1);

  const Verifier both[] = {peter, enoch};
  auto two = open_note(msg, both);
  REQUIRE(two.ok());
  REQUIRE(two->verified.size() == 2);
  CHECK(two->verified[1].name == "EnochRoot");
  CHECK(two->verified[1].id == 0xaf0cfe78);
  CHECK(two->unknown_signatures == 0);

  auto none = open_note(msg, {});
  CHECK(none.error().code == Code::unauthorized);
  CHECK(mentions(refusal(none), "no signature by a trusted key"));
}

TEST_CASE("the key id is the first four bytes of SHA-256(name, newline, 0x01, key)") {
  auto key = seeded_key(0);
  const crypto::PublicKey pub = key.public_key();
  Bytes input{'l', 'o', 'g', '\n', 0x01};
  append(input, pub);
  const Hash h = crypto::sha256(input);
  CHECK(key_id("log", pub) == (KeyId{h[0]} << 24 | KeyId{h[1]} << 16 | KeyId{h[2]} << 8 | KeyId{h[3]}));
}

TEST_CASE("a fixed-seed key gives the FORMAT.md verifier key and signature line") {
  // docs/FORMAT.md §5, vector N1 (also computed independently with Python's cryptography).
  auto key = seeded_key(0);
  auto v = Verifier::make("lontar.example/log", key.public_key());
  REQUIRE(v.ok());
  CHECK(to_hex(v->public_key()) == "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8");
  CHECK(v->to_string() == "lontar.example/log+5c012f0a+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");
  auto back = Verifier::parse(v->to_string());
  REQUIRE(back.ok());
  CHECK(back->public_key() == key.public_key());
}

TEST_CASE("verifier keys are parsed strictly") {
  CHECK(Verifier::parse(peter_verifier_key).ok());
  // Every proper substring and every single-byte change is refused (as in Go's tests).
  const std::string vkey(peter_verifier_key);
  for (std::size_t i = 0; i <= vkey.size(); ++i) {
    for (std::size_t j = i + 1; j <= vkey.size(); ++j) {
      if (i == 0 && j == vkey.size()) continue;
      CHECK_FALSE(Verifier::parse(vkey.substr(i, j - i)).ok());
    }
  }
  for (std::size_t i = 0; i < vkey.size(); ++i) {
    std::string changed = vkey;
    ++changed[i];
    INFO(changed);
    CHECK_FALSE(Verifier::parse(changed).ok());
  }
  // A key of the wrong length and an unknown algorithm, each with a key id that matches.
  // (Go's base64 accepts this one's padding bits; ours refuses them as non-canonical.)
  CHECK_FALSE(Verifier::parse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==").ok());
  CHECK(mentions(refusal(Verifier::parse("PeterNeumann+00000000+" + to_base64(Bytes(34, 1)))), "32 bytes after"));
  CHECK(mentions(refusal(Verifier::parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")),
                 "only Ed25519"));
  CHECK(mentions(refusal(Verifier::parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")),
                 "does not match the key"));
  // Upper-case hex is accepted, as Go's strconv.ParseUint does.
  CHECK(Verifier::parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").ok());
}

TEST_CASE("signer keys are parsed strictly") {
  const std::string skey(peter_signer_key);
  for (std::size_t i = 0; i < skey.size(); ++i) {
    std::string changed = skey;
    ++changed[i];
    INFO(changed);
    CHECK_FALSE(Signer::parse(changed).ok());
  }
  CHECK_FALSE(Signer::parse(skey.substr(12)).ok());  // without PRIVATE+KEY+
}

TEST_CASE("key names may not be empty or hold '+' or any Unicode space") {
  CHECK(check_key_name("example.com/log42").ok());
  CHECK(check_key_name("quasimodo.example/salvatore").ok());
  CHECK(check_key_name("jak\xC3\xA0rta").ok());  // non-ASCII letters are fine
  // Each ends in 'z' so that the hex escapes before it stop where they should.
  for (std::string_view bad :
       {"", "a+b", "a b", "a\tb", "a\nb", "a\xC2\xA0z", "a\xE3\x80\x80z", "a\xE2\x80\xA8z", "a\xFFz", "a\xC0\xAFz"}) {
    INFO(bad);
    CHECK_FALSE(check_key_name(bad).ok());
  }
  auto key = seeded_key(0);
  CHECK_FALSE(Verifier::make("bad name", key.public_key()).ok());
  CHECK_FALSE(sign_note("text\n", "bad+name", key).ok());
}

TEST_CASE("sign_note round-trips any valid text, and refuses what could not be opened") {
  auto key = seeded_key(0);
  auto v = *Verifier::make("lontar.example/log", key.public_key());
  const Verifier known[] = {v};
  for (std::string_view text : {"\n", "one line\n", "two\nlines\n", "ends with a blank line\n\n",
                                "\n\nstarts with blank lines\n", "caf\xC3\xA9 \xE2\x80\x94 dash\n"}) {
    INFO(text);
    auto msg = sign_note(text, v.name(), key);
    REQUIRE(msg.ok());
    auto opened = open_note(*msg, known);
    REQUIRE(opened.ok());
    CHECK(opened->text == text);
  }
  CHECK(mentions(refusal(sign_note("", v.name(), key)), "end with a newline"));
  CHECK(mentions(refusal(sign_note("no newline", v.name(), key)), "end with a newline"));
  CHECK(mentions(refusal(sign_note("tab\there\n", v.name(), key)), "control character"));
  CHECK(mentions(refusal(sign_note("bad \xFF utf-8\n", v.name(), key)), "UTF-8"));
  CHECK(mentions(refusal(sign_note(std::string(note_bytes_max, 'x') + "\n", v.name(), key)), "limit"));
}

TEST_CASE("malformed notes are refused with a reason") {
  const Verifier peter = verifier(peter_verifier_key);
  const Verifier known[] = {peter};
  const std::string good = go_note(peter_sig);
  REQUIRE(open_note(good, known).ok());

  struct Case {
    std::string message;
    std::string_view reason;
  };
  const std::string sig(peter_sig);
  const Case cases[] = {
      {std::string(go_text), "no blank line"},              // no signatures at all
      {std::string(go_text) + "\n", "no signature lines"},  // blank line, then nothing
      {std::string(go_text) + sig, "no blank line"},        // missing blank line
      {good.substr(0, good.size() - 1), "does not end with a newline"},
      {"\x01" + good, "control character"},
      {"\xFF" + good, "UTF-8"},
      {std::string(go_text) + "\n" + "\xE2\x80\x94 Bad Name " + sig.substr(sig.find("x08g")), "base64"},
      {good + "Unexpected line.\n", "em dash"},
      {std::string(go_text) + "\n- PeterNeumann " + sig.substr(sig.find("x08g")), "em dash"},
      {std::string(go_text) + "\n\xE2\x80\x94 PeterNeumann\n", "no space"},
      {std::string(go_text) + "\n\xE2\x80\x94 PeterNeumann x08go/ZJ!\n", "base64"},
      {std::string(go_text) + "\n\xE2\x80\x94 PeterNeumann x08go/ZJkuBS9UG\n", "base64"},
      {std::string(go_text) + "\n\xE2\x80\x94 PeterNeumann x08goA==\n", "4-byte key id"},
      {std::string(go_text) + "\n\xE2\x80\x94 PeterNeumann x08gow==\n", "4-byte key id"},
  };
  for (const Case& c : cases) {
    INFO(c.message);
    auto r = open_note(c.message, known);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::bad_input);
    CHECK(mentions(r.error().message, c.reason));
  }
}

TEST_CASE("a wrong key id, another key's signature or a changed text is not accepted") {
  const Verifier peter = verifier(peter_verifier_key);
  const Verifier known[] = {peter};
  const std::string sig(peter_sig);

  // A wrong key id makes the line a signature by an unknown key: ignored, so nothing verifies.
  std::string wrong_id = go_note(sig);
  wrong_id.replace(wrong_id.find("x08g"), 4, "xxxx");
  auto r1 = open_note(wrong_id, known);
  CHECK(r1.error().code == Code::unauthorized);
  CHECK(mentions(refusal(r1), "found 1 by other keys"));

  // Another key's signature under Peter's name and key id.
  auto mallory = seeded_key(7);
  Bytes forged{0xc7, 0x4f, 0x20, 0xa3};  // Peter's key id
  append(forged, mallory.sign(as_bytes(go_text)));
  auto r2 = open_note(go_note("\xE2\x80\x94 PeterNeumann " + to_base64(forged) + "\n"), known);
  CHECK(r2.error().code == Code::unauthorized);
  CHECK(mentions(refusal(r2), "does not verify"));

  // The right signature over a changed text.
  std::string changed = go_note(sig);
  changed[0] = 'i';
  auto r3 = open_note(changed, known);
  CHECK(r3.error().code == Code::unauthorized);
  CHECK(mentions(refusal(r3), "line 4"));
}

TEST_CASE("a known key signing twice is refused; unknown keys are ignored however often they sign") {
  const Verifier peter = verifier(peter_verifier_key);
  const Verifier known[] = {peter};
  const std::string sig(peter_sig);
  const std::string enoch(enoch_sig);
  auto twice = open_note(go_note(sig + enoch + sig), known);
  CHECK(twice.error().code == Code::bad_input);
  CHECK(mentions(refusal(twice), "line 6: key PeterNeumann+c74f20a3 signs a second time"));

  auto unknown_twice = open_note(go_note(sig + enoch + enoch), known);
  REQUIRE(unknown_twice.ok());
  CHECK(unknown_twice->verified.size() == 1);
  CHECK(unknown_twice->unknown_signatures == 2);

  // The same key listed twice among the trusted keys is a configuration error.
  const Verifier twice_known[] = {peter, peter};
  CHECK(mentions(refusal(open_note(go_note(sig), twice_known)), "twice"));
}

TEST_CASE("notes over the size limit or with too many signatures are refused") {
  const Verifier peter = verifier(peter_verifier_key);
  const Verifier known[] = {peter};
  const std::string enoch(enoch_sig);
  std::string many = std::string(peter_sig);
  for (std::size_t i = 1; i < signatures_max; ++i) many += enoch;
  CHECK(open_note(go_note(many), known).ok());  // exactly signatures_max lines
  CHECK(mentions(refusal(open_note(go_note(many + enoch), known)), "more than 100 signatures"));

  const std::string filler(note_bytes_max, 'x');
  auto big = open_note(filler + "\n" + go_note(peter_sig), known);
  CHECK(mentions(refusal(big), "more than the limit of 16384"));
}

TEST_CASE("any single-byte change to a signed note makes it fail to open") {
  auto key = seeded_key(0);
  const Verifier v = *Verifier::make("lontar.example/log", key.public_key());
  const Verifier known[] = {v};
  const std::string msg =
      *sign_note("lontar.example/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", v.name(), key);
  CHECK(test::property("a changed byte breaks the note", [&] {
    std::string changed = msg;
    const auto at = *rc::gen::inRange<std::size_t>(0, changed.size());
    const auto mask = *rc::gen::inRange<int>(1, 256);
    changed[at] = static_cast<char>(changed[at] ^ mask);
    RC_ASSERT_FALSE(open_note(changed, known).ok());
  }));
}
