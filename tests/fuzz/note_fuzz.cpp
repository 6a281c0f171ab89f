// note_fuzz.cpp — libFuzzer target for the signed-note and checkpoint parsers.
// Whatever the bytes, the parsers return a value or an error: no crash, no hang,
// no undefined behaviour (LONTAR_FUZZ=ON builds it and lontar_core with ASan and UBSan).
// Build: cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DLONTAR_FUZZ=ON && ninja -C build-fuzz note_fuzz
// Run:   build-fuzz/tests/note_fuzz -max_total_time=60 -max_len=20000
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "note/checkpoint.hpp"
#include "note/note.hpp"

using namespace lontar;

namespace {
crypto::PrivateKey seeded_key() {
  Bytes seed(32);
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i);
  return std::move(crypto::PrivateKey::from_seed(seed)).value();
}

struct Fixture {
  crypto::PrivateKey key = seeded_key();
  note::Verifier log = *note::Verifier::make("lontar.example/log", key.public_key());
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Fixture fixture;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // The input as a signed note and as a signed checkpoint from our log.
  auto opened = note::open_note(input, std::span(&fixture.log, 1));
  if (opened.ok() && opened->verified.empty()) std::abort();  // open must not succeed unsigned
  (void)note::open_checkpoint(input, fixture.log, "lontar.example/log");

  // The input as a bare checkpoint body: what parses must format back to the same bytes.
  auto cp = note::parse_checkpoint(input);
  if (cp.ok()) {
    auto text = note::format_checkpoint(*cp);
    if (!text.ok() || *text != input) std::abort();
  }

  // The input as key strings and a key name.
  auto verifier = note::Verifier::parse(input);
  if (verifier.ok() && note::Verifier::parse(verifier->to_string())->id() != verifier->id()) std::abort();
  (void)note::Signer::parse(input);
  (void)note::check_key_name(input);
  return 0;
}
