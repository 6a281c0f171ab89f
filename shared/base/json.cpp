#include "base/json.hpp"

#include <charconv>

#include <fmt/format.h>

namespace lontar {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

namespace {
// Decodes the escape at rest[i] (just after the backslash); advances i past it.
bool unescape(std::string_view rest, std::size_t& i, std::string& out) {
  char n = rest[i];
  switch (n) {
    case 'n':
      out += '\n';
      return true;
    case 'r':
      out += '\r';
      return true;
    case 't':
      out += '\t';
      return true;
    case 'u': {
      if (i + 4 >= rest.size()) return false;
      unsigned code = 0;
      auto hex = rest.substr(i + 1, 4);
      auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), code, 16);
      if (ec != std::errc() || end != hex.data() + hex.size() || code > 0x7f) return false;
      out += static_cast<char>(code);
      i += 4;
      return true;
    }
    default:
      out += n;  // \" \\ \/
      return true;
  }
}
}  // namespace

std::optional<std::string> json_field(std::string_view json, std::string_view name) {
  const std::string key = fmt::format("\"{}\":", name);
  auto at = json.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = json.substr(at + key.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  std::string out;
  if (!rest.empty() && rest.front() == '"') {
    for (std::size_t i = 1; i < rest.size() && out.size() < json_value_bytes_max; ++i) {
      char c = rest[i];
      if (c == '"') return out;
      if (c == '\\') {
        if (++i >= rest.size() || !unescape(rest, i, out)) return std::nullopt;
      } else {
        out += c;
      }
    }
    return std::nullopt;
  }
  for (char c : rest) {
    if (c == ',' || c == '}' || c == '\n' || c == ' ' || out.size() >= json_value_bytes_max) break;
    out += c;
  }
  return out;
}

}  // namespace lontar
