// json.hpp — the little JSON Lontar writes and reads: small admin and status bodies
// (docs/PROTOCOL.md) and the programs' --json output. Not a general JSON library:
// json_field reads flat objects as our own server writes them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace lontar {

constexpr std::size_t json_value_bytes_max = 4096;

// `s` as a JSON string literal, quotes included: `"` and `\` escaped, \n \r \t by
// name, other control characters as \u00XX. UTF-8 passes through unchanged.
std::string json_string(std::string_view s);

// The value of member `name` of a flat JSON object: a string (escapes \" \\ \n \r \t
// and \u00XX for ASCII decoded) or the raw text of a number or literal. nullopt when
// the member is missing, malformed, or longer than json_value_bytes_max.
std::optional<std::string> json_field(std::string_view json, std::string_view name);

}  // namespace lontar
