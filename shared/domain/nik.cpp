// nik.cpp — the NIK (Nomor Induk Kependudukan): structure and agreement with a person.
#include <fmt/format.h>

#include <cassert>

#include "domain/domain.hpp"
#include "domain/text.hpp"

namespace lontar::domain {

namespace {
constexpr std::size_t nik_digits = 16;
constexpr unsigned province_min = 11;  // Aceh
constexpr unsigned province_max = 94;
constexpr unsigned female_day_offset = 40;

// The numeric value of nik[pos, pos + n); requires digits only.
unsigned part(std::string_view nik, std::size_t pos, std::size_t n) {
  unsigned v = 0;
  for (char c : nik.substr(pos, n)) {
    assert(c >= '0' && c <= '9');
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v;
}

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The days a month can have when the century is unknown (29 February may be a leap day).
unsigned days_max_any_year(unsigned month) {
  constexpr unsigned days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  assert(month >= 1 && month <= 12);
  return days[month - 1];
}

std::string ordinal(unsigned n) {
  const unsigned last = n % 10;
  const bool teen = n % 100 >= 11 && n % 100 <= 13;
  const char* suffix = teen ? "th" : last == 1 ? "st" : last == 2 ? "nd" : last == 3 ? "rd" : "th";
  return fmt::format("{}{}", n, suffix);
}

Error nik_error(std::string_view nik, std::string_view problem) {
  return Error{Code::bad_input, fmt::format("NIK {}: {}", nik, problem)};
}
}  // namespace

Result<Nik> parse_nik(std::string_view text) {
  if (text.size() != nik_digits || !all_digits(text)) {
    return Error{Code::bad_input,
                 fmt::format("NIK {} is not 16 digits (it has {} characters{}); copy it again from the KTP or KK",
                             text::quote(text), text.size(), all_digits(text) ? "" : ", not all digits")};
  }
  const unsigned province = part(text, 0, 2);
  const unsigned day = part(text, 6, 2);
  const unsigned month = part(text, 8, 2);
  if (province < province_min || province > province_max) {
    return nik_error(
        text, fmt::format("province code {:02} does not exist (codes run {}..{}); check the first two digits", province,
                          province_min, province_max));
  }
  if (part(text, 2, 2) == 0) return nik_error(text, "regency part 00 does not exist; check digits 3-4");
  if (part(text, 4, 2) == 0) return nik_error(text, "district part 00 does not exist; check digits 5-6");
  const bool day_ok = (day >= 1 && day <= 31) || (day >= 1 + female_day_offset && day <= 31 + female_day_offset);
  if (!day_ok) {
    return nik_error(text, fmt::format("day part {:02} is not a birth day (01..31 for men, 41..71 for women); "
                                       "check digits 7-8",
                                       day));
  }
  if (month < 1 || month > 12) {
    return nik_error(text, fmt::format("month part {:02} is not a month (01..12); check digits 9-10", month));
  }
  const unsigned real_day = day > female_day_offset ? day - female_day_offset : day;
  if (real_day > days_max_any_year(month)) {
    return nik_error(text, fmt::format("day part {:02} means the {}, which {} does not have; check digits 7-10", day,
                                       ordinal(real_day), text::month_name(month)));
  }
  if (part(text, 12, 4) == 0) return nik_error(text, "serial 0000 is never issued; check the last four digits");
  Nik nik;
  nik.digits_ = std::string(text);
  return nik;
}

Status check_nik_matches(const Nik& nik, const Date& birth, Sex sex) {
  const std::string& s = nik.str();
  if (s.size() != nik_digits) return Error{Code::bad_input, "NIK is empty; enter the 16-digit NIK from the KTP or KK"};
  if (!is_valid(birth)) {
    return Error{Code::bad_input, fmt::format("birth date {} is not a real date; check it", to_string(birth))};
  }
  const unsigned day_part = part(s, 6, 2);
  const bool nik_female = day_part > female_day_offset;
  const unsigned nik_day = nik_female ? day_part - female_day_offset : day_part;
  const unsigned nik_month = part(s, 8, 2);
  const unsigned nik_year = part(s, 10, 2);
  if (nik_female != (sex == Sex::female)) {
    return nik_error(s, fmt::format("day {:02} means {} born on the {}, but sex is {}; check the sex or the NIK",
                                    day_part, nik_female ? "a woman" : "a man", ordinal(nik_day), sex_name(sex)));
  }
  const std::string date = to_string(birth);
  if (nik_day != birth.day) {
    return nik_error(s, fmt::format("day {:02} means born on the {}, but the birth date {} is the {}; "
                                    "check the birth date or the NIK",
                                    day_part, ordinal(nik_day), date, ordinal(birth.day)));
  }
  if (nik_month != birth.month) {
    return nik_error(s, fmt::format("month {:02} means born in {}, but the birth date {} is in {}; "
                                    "check the birth date or the NIK",
                                    nik_month, text::month_name(nik_month), date, text::month_name(birth.month)));
  }
  if (nik_year != birth.year % 100u) {
    return nik_error(s, fmt::format("year {:02} means born in a year ending in {:02}, but the birth date {} is in {}; "
                                    "check the birth date or the NIK",
                                    nik_year, nik_year, date, birth.year));
  }
  return {};
}

Result<Nik> make_nik(std::string_view regency4, std::string_view district2, Date birth, Sex sex, std::uint16_t serial) {
  if (regency4.size() != 4 || !all_digits(regency4)) {
    return Error{Code::bad_input, fmt::format("regency code {} is not 4 digits", text::quote(regency4))};
  }
  if (district2.size() != 2 || !all_digits(district2)) {
    return Error{Code::bad_input, fmt::format("district code {} is not 2 digits", text::quote(district2))};
  }
  if (!is_valid(birth)) {
    return Error{Code::bad_input, fmt::format("birth date {} is not a real date", to_string(birth))};
  }
  if (!valid_sex(sex)) return Error{Code::bad_input, "sex is neither male nor female"};
  constexpr std::uint16_t serial_max = 9999;
  if (serial < 1 || serial > serial_max) {
    return Error{Code::bad_input, fmt::format("serial {} is outside 1..{}", serial, serial_max)};
  }
  const unsigned day = birth.day + (sex == Sex::female ? female_day_offset : 0);
  return parse_nik(
      fmt::format("{}{}{:02}{:02}{:02}{:04}", regency4, district2, day, birth.month, birth.year % 100, serial));
}

}  // namespace lontar::domain
