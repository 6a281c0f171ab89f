// export_file_fuzz.cpp — libFuzzer target for the office export file reader
// (shared/protocol/export_file.hpp): what `lontar-server import` reads from a stick.
// Whatever the bytes, the reader returns a value or an error: no crash, no hang, no
// undefined behaviour (LONTAR_FUZZ=ON builds it and lontar_core with ASan and UBSan);
// and a file it accepts is exactly what its header announces.
// Build: cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DLONTAR_FUZZ=ON
//        ninja -C build-fuzz export_file_fuzz
// Run:   mkdir -p /tmp/export-corpus && build-fuzz/tests/export_file_fuzz -max_total_time=60
//          -max_len=20000 /tmp/export-corpus tests/fuzz/export_corpus
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "protocol/export_file.hpp"

using namespace lontar;

namespace {
// The readers take a path: each input is written to one scratch file per process.
const std::filesystem::path& scratch() {
  static const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("lontar-export-fuzz." + std::to_string(::getpid()));
  return path;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream out(scratch(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  // Batch by batch, as the second pass of an import reads it.
  auto reader = protocol::ExportReader::open(scratch());
  if (reader.ok()) {
    const auto& h = reader->header();
    if (h.office.empty() || h.first_seq == 0 || h.first_seq > h.last_seq || h.batches == 0) std::abort();
    for (std::uint64_t n = 1;; ++n) {
      auto next = reader->next();
      if (!next.ok() || !*next) break;
      if ((*next)->index != n) std::abort();
    }
  }
  // Whole, as the first pass checks it: what it accepts matches its header.
  auto contents = protocol::check_export(scratch());
  if (contents.ok()) {
    if (!reader.ok()) std::abort();
    const auto& h = reader->header();
    if (contents->distinct != h.batches || contents->batches.empty()) std::abort();
    if (contents->batches.front().first_seq != h.first_seq) std::abort();
    if (contents->keys.empty()) std::abort();
  }
  return 0;
}
