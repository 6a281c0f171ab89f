// receipts_fuzz.cpp — libFuzzer target for the receipts bundle reader
// (shared/protocol/receipts.hpp): what `lontar-agent import-bundle` reads from a stick.
// Whatever the bytes, the reader returns a value or an error — and every error but
// an unreadable file is Code::corrupt (import-bundle's exit 5) — with no crash, no
// hang and no undefined behaviour (LONTAR_FUZZ=ON builds it and lontar_core with
// ASan and UBSan).
// Build: cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DLONTAR_FUZZ=ON
//        ninja -C build-fuzz receipts_fuzz
// Run:   mkdir -p /tmp/receipts-corpus && build-fuzz/tests/receipts_fuzz -max_total_time=60
//          -max_len=20000 /tmp/receipts-corpus tests/fuzz/receipts_corpus
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "protocol/receipts.hpp"

using namespace lontar;

namespace {
const std::filesystem::path& scratch() {
  static const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("lontar-receipts-fuzz." + std::to_string(::getpid()));
  return path;
}

crypto::PublicKey seeded_key() {
  Bytes seed(32);
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i);
  return std::move(crypto::PrivateKey::from_seed(seed)).value().public_key();
}

void expect_corrupt(const Error& e) {
  if (e.code != Code::corrupt) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const crypto::PublicKey log_key = seeded_key();
  {
    std::ofstream out(scratch(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto reader = protocol::ReceiptsReader::open(scratch());
  if (!reader.ok()) {
    expect_corrupt(reader.error());
    return 0;
  }
  std::uint64_t batches = 0;
  for (;;) {
    auto next = reader->next();
    if (!next.ok()) {
      expect_corrupt(next.error());
      break;
    }
    if (!*next) {
      if (batches != reader->head().batches) std::abort();  // the end only after every announced batch
      break;
    }
    ++batches;
  }
  (void)reader->signed_by(log_key);
  return 0;
}
