// regency.hpp — Indonesia's province and regency/city codes (kode wilayah).
//
// The table is data/regencies.csv (Permendagri 72/2019, the codes a NIK carries),
// compiled into the program. Partners write a regency as its code ("3578",
// "35.78") or its name ("Kota Surabaya", "Kab. Sidoarjo", "KAB SIDOARJO",
// "Sidoarjo"); parse_regency() turns either into the 4-digit code.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace lontar::agent {

struct Regency {
  std::string code;  // 2 digits for a province, 4 for a regency or city
  std::string name;  // "Kota Surabaya", "Kabupaten Sidoarjo", "Provinsi Jawa Timur"
};

// Every row of the table, provinces and regencies, in the file's order.
std::span<const Regency> regency_table();

// The name of a 2- or 4-digit code, if the table has it.
std::optional<std::string_view> region_name(std::string_view code);

// The 4-digit code of a regency or city given by code or name, matched case-,
// space- and punctuation-insensitively; "Kab."/"Kabupaten"/"Kota"/"Kotamadya"/
// "Kodya" may be written or left out. A name that fits several regencies (Malang
// is a regency and a city) is taken as the one of `nik_regency` (the NIK's
// digits 1-4) when that is among them, else the error lists them all.
Result<std::string> parse_regency(std::string_view text, std::string_view nik_regency);

}  // namespace lontar::agent
