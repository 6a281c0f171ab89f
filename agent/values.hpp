// values.hpp — lenient readers for values as partners' lists and clerks write them.
//
// One reader per kind of value, used by the CSV import and the record commands
// alike, so that both accept exactly the same forms (README, "Import"). Each
// returns the canonical value or an Error (bad_input) that quotes the value and
// says which forms are accepted; the caller adds the column or flag name.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "domain/domain.hpp"

namespace lontar::agent {

// A calendar date written as
//   YYYY-MM-DD, DD-MM-YYYY, DD/MM/YYYY, DD.MM.YYYY (day and month of one or two digits: 17-8-1980),
//   the same with a two-digit year (17/8/80), or DD <month name> YYYY
//   (17 Agustus 1980, 17 Agt 1980, 17-Aug-1980; Indonesian and English names and abbreviations).
// A two-digit year YY is read as 20YY when that is not after `pivot_year` (the
// current year for birth dates: nobody is born in the future), else 19YY.
Result<domain::Date> parse_partner_date(std::string_view text, int pivot_year);

// The current year by the office clock (only to resolve two-digit years; no rule depends on it).
int current_year();
// Today's date by the office clock.
domain::Date today();

// A month: YYYY-MM, MM/YYYY, MM-YYYY or <month name> YYYY (Agustus 2018).
Result<domain::YearMonth> parse_partner_month(std::string_view text);

// Rupiah: digits, optionally "Rp" and thousands separators ("1.500.000", "1,500,000", "Rp 24.000.000").
Result<domain::Rupiah> parse_rupiah(std::string_view text);

// Sex as lists write it: L, LK, Laki-laki, Pria, M, Male; P, PR, Perempuan, Wanita, W, F, Female (any case).
Result<domain::Sex> parse_partner_sex(std::string_view text);

// The sex a NIK encodes (day part above 40: female).
domain::Sex sex_from_nik(std::string_view nik);

// A NIK as a spreadsheet may have mangled it: a leading apostrophe (a cell forced
// to text), spaces, dots or dashes between digit groups, or a trailing ".0". A
// number in scientific notation (3.57801E+15) has lost digits: that is an error
// that says how to get them back (format the column as Text in the source file).
// Returns the 16 digits; domain::parse_nik checks them.
Result<std::string> clean_nik(std::string_view text);

// An occupation code, case-, space-, dash- and underscore-insensitive:
// "KPM PKH", "kpm_pkh", "Kpm-Pkh" → "KPM_PKH"; "Tagana" → "TAGANA".
std::string normalize_code(std::string_view text);

// An heir's relation: English codes (spouse, child, parent, sibling, other) or
// Indonesian words (suami, istri, isteri, pasangan, anak, anak kandung, orang tua,
// ayah, ibu, bapak, saudara, kakak, adik, lainnya, lain-lain), any case.
Result<std::string> parse_relation(std::string_view text);

// A payment method: bank, cash or Indonesian words (transfer, bank, tunai, kas).
Result<domain::PayMethod> parse_method(std::string_view text);

// A phone number normalised to the national form 08...: spaces, dashes, dots and
// brackets removed, "+62" / "62" / "0062" replaced by "0". "" stays "".
Result<std::string> normalize_phone(std::string_view text);

// Characters (code points) in valid UTF-8 text.
std::size_t utf8_chars(std::string_view text);

// Text in Windows-1252 (the "ANSI" code page of Indonesian Windows) as UTF-8.
// The five bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D)
// make it fail: the text is then in some other encoding.
Result<std::string> windows1252_to_utf8(std::string_view text);

// Lower case ASCII letters and digits only, accents folded (é → e) and every
// other character dropped: "Jenis Kelamin (L/P)" → "jeniskelaminlp". Used to
// compare headers and names case-, space- and punctuation-insensitively.
std::string fold(std::string_view text);

}  // namespace lontar::agent
