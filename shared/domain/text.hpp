// text.hpp — small text helpers shared by the domain sources (not a public API).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lontar::domain::text {

// `text` in single quotes for an error message: control bytes and (when the text is
// not UTF-8) bytes above 0x7f written as \xNN, cut to a few dozen characters so that
// hostile input cannot flood a message.
std::string quote(std::string_view text);

// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);

// `text` without leading and trailing ASCII spaces and tabs.
std::string_view trim(std::string_view text);

// "January" .. "December"; requires month 1..12.
const char* month_name(unsigned month);

// Offset of the first byte that is not part of well-formed UTF-8, or npos.
std::size_t first_invalid_utf8(std::string_view text);

// The first code point of `text` that is a control character (C0, DEL, C1), or -1.
// Requires well-formed UTF-8. `offset` receives its byte offset.
long first_control(std::string_view text, std::size_t& offset);

// True when `text` starts or ends with white space (ASCII or no-break space).
bool has_outer_space(std::string_view text);

}  // namespace lontar::domain::text
