#include "domain/text.hpp"

#include <cassert>

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

bool has_outer_space(std::string_view text) {
  // ASCII space and tab, no-break space, ideographic space, zero-width space.
  for (std::string_view space : {" ", "\t", "\xC2\xA0", "\xE3\x80\x80", "\xE2\x80\x8B"}) {
    if (text.starts_with(space) || text.ends_with(space)) return true;
  }
  return false;
}

std::string quote(std::string_view text) {
  const bool utf8 = first_invalid_utf8(text) == std::string_view::npos;
  std::string out = "'";
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool starts_char = !utf8 || !is_continuation(c);
    if (starts_char && chars++ == quote_chars_max) {
      out += "...";
      break;
    }
    if (c < 0x20 || c == 0x7F || (c >= 0x80 && !utf8) || c == '\'' || c == '\\') {
      constexpr char hex[] = "0123456789abcdef";
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
