#include "values.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <ctime>
#include <vector>

#include "domain/text.hpp"

namespace lontar::agent {

namespace {
constexpr std::size_t quoted_chars_max = 40;  // of a bad value quoted back in a message

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }
int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string shown(std::string_view text) {
  std::string s(text.substr(0, quoted_chars_max * 4));
  if (utf8_chars(s) > quoted_chars_max) s = s.substr(0, quoted_chars_max) + "...";
  return domain::text::quote(s);
}

// Month names and abbreviations as Indonesian and English lists write them, folded.
struct MonthName {
  std::string_view name;
  int month;
};
constexpr MonthName month_names[] = {
    {"januari", 1},   {"january", 1},   {"jan", 1},   {"februari", 2}, {"pebruari", 2},  {"february", 2},  {"feb", 2},
    {"peb", 2},       {"maret", 3},     {"march", 3}, {"mar", 3},      {"april", 4},     {"apr", 4},       {"mei", 5},
    {"may", 5},       {"juni", 6},      {"june", 6},  {"jun", 6},      {"juli", 7},      {"july", 7},      {"jul", 7},
    {"agustus", 8},   {"august", 8},    {"agu", 8},   {"agt", 8},      {"ags", 8},       {"aug", 8},       {"agst", 8},
    {"september", 9}, {"sept", 9},      {"sep", 9},   {"oktober", 10}, {"october", 10},  {"okt", 10},      {"oct", 10},
    {"november", 11}, {"nopember", 11}, {"nov", 11},  {"nop", 11},     {"desember", 12}, {"december", 12}, {"des", 12},
    {"dec", 12},
};

int month_number(std::string_view token) {
  if (digits(token) && token.size() <= 2) return to_int(token);
  const std::string f = fold(token);
  for (const auto& m : month_names) {
    if (m.name == f) return m.month;
  }
  return 0;
}

// Splits on '-', '/', '.', ',' and spaces; runs of separators count as one.
std::vector<std::string_view> date_tokens(std::string_view t) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  auto sep = [](char c) { return c == '-' || c == '/' || c == '.' || c == ',' || c == ' '; };
  for (std::size_t i = 0; i <= t.size(); ++i) {
    if (i == t.size() || sep(t[i])) {
      if (i > start) out.push_back(t.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// A spreadsheet may append a time of day to a date cell: "1980-08-17 00:00:00".
std::string_view without_time(std::string_view t) {
  const auto space = t.rfind(' ');
  if (space == std::string_view::npos) return t;
  const std::string_view tail = t.substr(space + 1);
  if (tail.find(':') == std::string_view::npos) return t;
  if (!std::all_of(tail.begin(), tail.end(), [](char c) { return is_digit(c) || c == ':'; })) return t;
  return trim(t.substr(0, space));
}

int full_year(std::string_view y, int pivot_year) {
  if (y.size() == 4) return to_int(y);
  const int yy = to_int(y);
  const int century = pivot_year / 100 * 100;
  return century + yy <= pivot_year ? century + yy : century - 100 + yy;
}

Error date_error(std::string_view t) {
  return Error{Code::bad_input,
               fmt::format("{} bukan tanggal / is not a date; tulis / write 17-08-1980, 17/8/1980, 17/8/80, "
                           "17 Agustus 1980 atau / or 1980-08-17 (hari dulu / day first)",
                           shown(t))};
}

// Windows-1252 0x80..0x9F as Unicode code points; 0 = undefined.
constexpr std::array<std::uint16_t, 32> cp1252_high = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                                       0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
                                                       0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                                       0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

void put_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The ASCII letter a Latin-1 letter (U+00C0..U+00FF) folds to, or 0.
char fold_latin1(unsigned cp) {
  using namespace std::literals;
  static constexpr std::string_view upper = "aaaaaaaceeeeiiiidnooooo\0ouuuuyts"sv;  // U+00C0..U+00DF
  static constexpr std::string_view lower = "aaaaaaaceeeeiiiidnooooo\0ouuuuyty"sv;  // U+00E0..U+00FF
  static_assert(upper.size() == 32 && lower.size() == 32);
  if (cp >= 0xC0 && cp <= 0xDF) return upper[cp - 0xC0];
  if (cp >= 0xE0 && cp <= 0xFF) return lower[cp - 0xE0];
  return 0;
}
}  // namespace

int current_year() { return today().year; }

domain::Date today() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  return domain::Date{static_cast<std::uint16_t>(tm.tm_year + 1900), static_cast<std::uint8_t>(tm.tm_mon + 1),
                      static_cast<std::uint8_t>(tm.tm_mday)};
}

Result<domain::Date> parse_partner_date(std::string_view text, int pivot_year) {
  const std::string_view t = without_time(trim(text));
  const auto tok = date_tokens(t);
  if (tok.size() != 3) return date_error(text);
  int y = 0, m = 0, d = 0;
  if (tok[0].size() == 4 && digits(tok[0])) {  // ISO order: 1980-08-17 or 1980-8-17
    if (!digits(tok[1]) || !digits(tok[2]) || tok[1].size() > 2 || tok[2].size() > 2) return date_error(text);
    y = to_int(tok[0]);
    m = to_int(tok[1]);
    d = to_int(tok[2]);
  } else {  // day first, as Indonesian lists always write it
    if (!digits(tok[0]) || tok[0].size() > 2 || !digits(tok[2]) || (tok[2].size() != 2 && tok[2].size() != 4)) {
      return date_error(text);
    }
    d = to_int(tok[0]);
    m = month_number(tok[1]);
    y = full_year(tok[2], pivot_year);
  }
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1900 || y > 2199) return date_error(text);
  const domain::Date date{static_cast<std::uint16_t>(y), static_cast<std::uint8_t>(m), static_cast<std::uint8_t>(d)};
  if (!domain::is_valid(date)) {
    return Error{Code::bad_input, fmt::format("{} bukan tanggal yang ada / is not a real date ({}); periksa / check it",
                                              shown(text), domain::to_string(date))};
  }
  return date;
}

Result<domain::YearMonth> parse_partner_month(std::string_view text) {
  const auto tok = date_tokens(trim(text));
  auto bad = [&] {
    return Error{Code::bad_input, fmt::format("{} bukan bulan / is not a month; tulis / write 2018-05, 05/2018 atau / "
                                              "or Mei 2018",
                                              shown(text))};
  };
  if (tok.size() != 2) return bad();
  int y = 0, m = 0;
  if (tok[0].size() == 4 && digits(tok[0]) && digits(tok[1]) && tok[1].size() <= 2) {
    y = to_int(tok[0]);
    m = to_int(tok[1]);
  } else if (tok[1].size() == 4 && digits(tok[1])) {
    y = to_int(tok[1]);
    m = month_number(tok[0]);
  } else {
    return bad();
  }
  if (m < 1 || m > 12 || y < 1900 || y > 2199) return bad();
  return domain::YearMonth{static_cast<std::uint16_t>(y), static_cast<std::uint8_t>(m)};
}

Result<domain::Rupiah> parse_rupiah(std::string_view t) {
  std::string_view s = trim(t);
  if (s.size() >= 2 && (s[0] == 'R' || s[0] == 'r') && (s[1] == 'p' || s[1] == 'P')) s.remove_prefix(2);
  if (!s.empty() && s.front() == '.') s.remove_prefix(1);  // "Rp. 1.500.000"
  s = trim(s);
  if (s.size() > 3 && (s.ends_with(",00") || s.ends_with(".00")) &&
      s.substr(0, s.size() - 3).find(s[s.size() - 3]) == std::string_view::npos) {
    s.remove_suffix(3);  // "1.500.000,00", "1500000.00": the cents a spreadsheet adds
  }
  auto bad = [&] {
    return Error{Code::bad_input,
                 fmt::format("{} bukan jumlah rupiah / is not an amount in rupiah; tulis rupiah utuh / "
                             "write whole rupiah, e.g. 1500000, 1.500.000 or Rp 1.500.000",
                             shown(t))};
  };
  if (s.empty()) return bad();
  const bool dots = s.find('.') != std::string_view::npos, commas = s.find(',') != std::string_view::npos;
  if (dots && commas) return bad();
  const char sep = dots ? '.' : ',';
  std::string plain;
  std::size_t group = 0;
  bool seen_sep = false;
  for (char c : s) {
    if ((dots || commas) && c == sep) {
      if ((seen_sep && group != 3) || (!seen_sep && (group == 0 || group > 3))) return bad();
      seen_sep = true;
      group = 0;
      continue;
    }
    if (!is_digit(c)) return bad();
    plain.push_back(c);
    ++group;
  }
  if ((seen_sep && group != 3) || plain.size() > 15) return bad();
  return static_cast<domain::Rupiah>(std::stoll(plain));
}

Result<domain::Sex> parse_partner_sex(std::string_view text) {
  static constexpr std::string_view male[] = {"l", "lk", "laki", "lakilaki", "pria", "m", "male", "man"};
  static constexpr std::string_view female[] = {"p", "pr", "perempuan", "wanita", "w", "f", "female", "woman"};
  const std::string f = fold(text);
  if (std::find(std::begin(male), std::end(male), f) != std::end(male)) return domain::Sex::male;
  if (std::find(std::begin(female), std::end(female), f) != std::end(female)) return domain::Sex::female;
  return Error{Code::bad_input, fmt::format("{} bukan jenis kelamin / is not a sex; tulis / write L or P (laki-laki, "
                                            "perempuan)",
                                            shown(text))};
}

domain::Sex sex_from_nik(std::string_view nik) {
  if (nik.size() >= 8 && digits(nik.substr(6, 2)) && to_int(nik.substr(6, 2)) > 40) return domain::Sex::female;
  return domain::Sex::male;
}

Result<std::string> clean_nik(std::string_view text) {
  std::string_view t = trim(text);
  if (t.starts_with('\'') || t.starts_with('`')) t.remove_prefix(1);
  if (t.find_first_of("eE") != std::string_view::npos && t.find('+') != std::string_view::npos) {
    return Error{
        Code::bad_input,
        fmt::format("{} sudah diubah spreadsheet menjadi angka ilmiah, digit terakhir hilang / was turned into "
                    "scientific notation by a spreadsheet and lost its last digits; format kolom NIK sebagai "
                    "Teks di file sumber, atau tulis NIK lengkap / format the NIK column as Text in the source "
                    "file, or type the full NIK",
                    shown(t))};
  }
  if (t.size() > 2 && t.ends_with(".0") && digits(t.substr(0, t.size() - 2))) t.remove_suffix(2);
  std::string out;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (c == ' ' || c == '-' || c == '.') continue;
    if (c == '\xC2' && i + 1 < t.size() && t[i + 1] == '\xA0') {  // no-break space
      ++i;
      continue;
    }
    out.push_back(c);
  }
  return digits(out) ? out : std::string(t);
}

std::string normalize_code(std::string_view text) {
  std::string out;
  for (char c : trim(text)) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == ' ' || c == '-' || c == '_' || c == '.') {
      if (!out.empty() && out.back() != '_') out.push_back('_');
      continue;
    }
    out.push_back(c);
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

Result<std::string> parse_relation(std::string_view text) {
  static constexpr std::pair<std::string_view, std::string_view> words[] = {
      {"spouse", "spouse"},
      {"suami", "spouse"},
      {"istri", "spouse"},
      {"isteri", "spouse"},
      {"pasangan", "spouse"},
      {"suamiistri", "spouse"},
      {"child", "child"},
      {"anak", "child"},
      {"anakkandung", "child"},
      {"anakangkat", "child"},
      {"parent", "parent"},
      {"orangtua", "parent"},
      {"ortu", "parent"},
      {"ayah", "parent"},
      {"ibu", "parent"},
      {"bapak", "parent"},
      {"sibling", "sibling"},
      {"saudara", "sibling"},
      {"saudarakandung", "sibling"},
      {"kakak", "sibling"},
      {"adik", "sibling"},
      {"other", "other"},
      {"lainnya", "other"},
      {"lainlain", "other"},
      {"lain", "other"},
  };
  const std::string f = fold(text);
  for (const auto& [word, relation] : words) {
    if (word == f) return std::string(relation);
  }
  return Error{Code::bad_input,
               fmt::format("{} bukan hubungan yang dikenal / is not a relation; tulis / write suami, istri, anak, "
                           "orang tua, saudara, lainnya (or spouse, child, parent, sibling, other)",
                           shown(text))};
}

Result<domain::PayMethod> parse_method(std::string_view text) {
  const std::string f = fold(text);
  if (f == "bank" || f == "transfer" || f == "transferbank" || f == "tf") return domain::PayMethod::bank;
  if (f == "cash" || f == "tunai" || f == "kas" || f == "uangtunai") return domain::PayMethod::cash;
  return Error{
      Code::bad_input,
      fmt::format("{} bukan cara bayar / is not a payment method; tulis / write transfer, tunai (or bank, cash)",
                  shown(text))};
}

Result<std::string> normalize_phone(std::string_view text) {
  std::string d;
  const std::string_view t = trim(text);
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '\'' || c == '/') continue;
    if (c == '+' && d.empty()) {
      d.push_back(c);
      continue;
    }
    if (!is_digit(c)) {
      return Error{Code::bad_input, fmt::format("{} bukan nomor telepon / is not a phone number; tulis / write e.g. "
                                                "0812-3456-7890 or +62 812 3456 7890",
                                                shown(text))};
    }
    d.push_back(c);
  }
  if (d.empty()) return d;
  if (d.starts_with("+62"))
    d = "0" + d.substr(3);
  else if (d.starts_with("0062"))
    d = "0" + d.substr(4);
  else if (d.starts_with("62") && d.size() >= 10)
    d = "0" + d.substr(2);
  else if (d.starts_with('8') && d.size() >= 9)
    d = "0" + d;  // a spreadsheet dropped the leading 0
  if (d.starts_with('+')) d.erase(0, 1);
  return d;
}

std::size_t utf8_chars(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

Result<std::string> windows1252_to_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
      continue;
    }
    std::uint32_t cp = b;
    if (b < 0xA0) {
      cp = cp1252_high[b - 0x80];
      if (cp == 0) {
        return Error{Code::bad_input, fmt::format("byte {} (0x{:02X}) is not Windows-1252", i, b)};
      }
    }
    put_utf8(out, cp);
  }
  return out;
}

std::string fold(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b >= 'A' && b <= 'Z') {
      out.push_back(static_cast<char>(b - 'A' + 'a'));
    } else if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')) {
      out.push_back(static_cast<char>(b));
    } else if (b == 0xC3 && i + 1 < text.size()) {  // U+00C0..U+00FF
      const unsigned cp = 0xC0 + (static_cast<unsigned char>(text[i + 1]) & 0x3F);
      if (char a = fold_latin1(cp)) out.push_back(a);
      ++i;
    }
  }
  return out;
}

}  // namespace lontar::agent
