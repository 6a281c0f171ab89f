#include "domain/text.hpp"

#include <fmt/format.h>

#include <cassert>
#include <cstdint>

#include "domain/domain.hpp"

namespace lontar::domain::text {

namespace {
constexpr std::size_t quote_chars_max = 40;

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Decodes the code point at text[i] (well-formed UTF-8 required) and its length.
char32_t decode_at(std::string_view text, std::size_t i, std::size_t& length) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    length = 1;
    return b0;
  }
  length = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
  assert(i + length <= text.size());
  char32_t cp = b0 & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) cp = cp << 6 | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  return cp;
}
}  // namespace

std::size_t first_invalid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    char32_t min = 0;
    if (b0 < 0x80) {
      ++i;
      continue;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      length = 2, min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      length = 3, min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      length = 4, min = 0x10000;
    } else {
      return i;  // a continuation byte, 0xC0/0xC1 (always overlong) or 0xF5..0xFF
    }
    if (i + length > text.size()) return i;
    for (std::size_t k = 1; k < length; ++k) {
      if (!is_continuation(static_cast<unsigned char>(text[i + k]))) return i;
    }
    std::size_t decoded_length = 0;
    const char32_t cp = decode_at(text, i, decoded_length);
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    if (cp < min || cp > 0x10FFFF || surrogate) return i;
    i += length;
  }
  return std::string_view::npos;
}

long first_control(std::string_view text, std::size_t& offset) {
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t length = 0;
    const char32_t cp = decode_at(text, i, length);
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
      offset = i;
      return static_cast<long>(cp);
    }
    i += length;
  }
  return -1;
}

namespace {
struct Range {
  char32_t first, last;
};

// Cf ∪ Default_Ignorable_Code_Point (Unicode 15.1) ∪ {U+2028, U+2029}, sorted.
constexpr Range invisible_ranges[] = {
    {0x00AD, 0x00AD},   {0x034F, 0x034F},   {0x0600, 0x0605},   {0x061C, 0x061C},   {0x06DD, 0x06DD},
    {0x070F, 0x070F},   {0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x115F, 0x1160},   {0x17B4, 0x17B5},
    {0x180B, 0x180F},   {0x200B, 0x200F},   {0x2028, 0x202E},   {0x2060, 0x206F},   {0x3164, 0x3164},
    {0xFE00, 0xFE0F},   {0xFEFF, 0xFEFF},   {0xFFA0, 0xFFA0},   {0xFFF0, 0xFFFB},   {0x110BD, 0x110BD},
    {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF},
};

bool is_space(char32_t cp) {
  return cp == 0x20 || cp == 0x09 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

// The code point that ends at text[end - 1] (well-formed UTF-8 required).
char32_t last_code_point(std::string_view text) {
  std::size_t i = text.size() - 1;
  while (i > 0 && is_continuation(static_cast<unsigned char>(text[i]))) --i;
  std::size_t length = 0;
  return decode_at(text, i, length);
}
}  // namespace

bool has_outer_space(std::string_view text) {
  if (text.empty()) return false;
  std::size_t length = 0;
  return is_space(decode_at(text, 0, length)) || is_space(last_code_point(text));
}

bool is_invisible(char32_t cp) {
  for (const Range& r : invisible_ranges) {
    if (cp < r.first) return false;
    if (cp <= r.last) return true;
  }
  return false;
}

long first_invisible(std::string_view text, std::size_t& offset) {
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t length = 0;
    const char32_t cp = decode_at(text, i, length);
    if (is_invisible(cp)) {
      offset = i;
      return static_cast<long>(cp);
    }
    i += length;
  }
  return -1;
}

bool is_blank(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t length = 0;
    const char32_t cp = decode_at(text, i, length);
    if (!is_space(cp) && !is_invisible(cp)) return false;
    i += length;
  }
  return true;
}

std::string invisible_name(char32_t cp) {
  switch (cp) {
    case 0x00AD:
      return "soft hyphen";
    case 0x200B:
      return "zero width space";
    case 0x200C:
      return "zero width non-joiner";
    case 0x200D:
      return "zero width joiner";
    case 0x200E:
    case 0x200F:
      return "direction mark";
    case 0x2028:
      return "line separator";
    case 0x2029:
      return "paragraph separator";
    case 0x2060:
      return "word joiner";
    case 0xFEFF:
      return "byte-order mark";
    default:
      break;
  }
  if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) return "bidirectional control";
  if ((cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF)) return "variation selector";
  return "invisible character";
}

std::string quote(std::string_view text) {
  const bool utf8 = first_invalid_utf8(text) == std::string_view::npos;
  constexpr char hex[] = "0123456789abcdef";
  std::string out = "'";
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool starts_char = !utf8 || !is_continuation(c);
    if (starts_char && chars++ == quote_chars_max) {
      out += "...";
      break;
    }
    if (utf8 && c >= 0x80 && starts_char) {
      // C1 controls (a terminal may act on them) and invisible characters (bidi controls
      // reorder what follows) are written as \uXXXX.
      std::size_t length = 0;
      const char32_t cp = decode_at(text, i, length);
      if (cp <= 0x9F || is_invisible(cp)) {
        out += fmt::format("\\u{:04X}", static_cast<std::uint32_t>(cp));
        i += length - 1;
        continue;
      }
    }
    if (c < 0x20 || c == 0x7F || (c >= 0x80 && !utf8) || c == '\'' || c == '\\') {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += "'";
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

const char* month_name(unsigned month) {
  static constexpr const char* names[] = {"January", "February", "March",     "April",   "May",      "June",
                                          "July",    "August",   "September", "October", "November", "December"};
  assert(month >= 1 && month <= 12);
  return names[month - 1];
}

}  // namespace lontar::domain::text

namespace lontar::domain {
bool is_valid_utf8(std::string_view text) { return text::first_invalid_utf8(text) == std::string_view::npos; }
}  // namespace lontar::domain
