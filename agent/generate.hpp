// generate.hpp — plausible partner lists for the quick start and benchmarks.
//
// Writes a CSV as a social-services office would send it: Indonesian headers,
// Javanese names, NIKs valid for East Java (province 35) whose date part agrees
// with the birth date and sex, dates as DD-MM-YYYY, amounts with thousands dots,
// addresses with commas (so quoted). Deterministic for a given seed; streams,
// holding only the set of NIKs already used.
#pragma once

#include <cstdint>
#include <filesystem>

#include "base/result.hpp"

namespace lontar::agent {

struct GenerateOptions {
  std::filesystem::path out;
  std::uint64_t tagana = 0, tksk = 0, kpm_pkh = 0;  // rows per occupation group
  std::uint64_t seed = 2018;
  std::filesystem::path overlap_from;  // repeat rows of this earlier list...
  std::uint64_t overlap = 0;           // ...this many (people on both lists)
  std::string sponsor = "DINSOS-JATIM";
  std::string coverage_start = "14-05-2018";
};

// Returns the number of data rows written.
Result<std::uint64_t> generate_partner_csv(const GenerateOptions& options);

}  // namespace lontar::agent
