// text.hpp — small text helpers shared by the domain sources (not a public API).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lontar::domain::text {

// `text` in single quotes for an error message: control bytes and (when the text is
// not UTF-8) bytes above 0x7f written as \xNN, C1 controls and invisible characters
// (is_invisible) as \uXXXX, cut to a few dozen characters so that hostile input can
// neither flood a message nor reorder or hide what it shows.
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

// True when `text` starts or ends with white space: a tab or a Unicode space separator
// (U+0020, U+00A0 no-break space, U+1680, U+2000..U+200A, U+202F, U+205F, U+3000).
// Requires well-formed UTF-8.
bool has_outer_space(std::string_view text);

// Invisible characters: what a reader cannot see and a name or address never needs —
// the Unicode format characters (general category Cf: U+00AD soft hyphen, U+200B..U+200F
// zero-width space, joiners and direction marks, U+202A..U+202E and U+2066..U+2069
// bidirectional controls, U+2060..U+2064 word joiner and invisible operators, U+FEFF
// byte-order mark, ...), the other default-ignorable code points (variation selectors,
// Hangul fillers, U+034F, tags) and the line and paragraph separators U+2028, U+2029.
// docs/FORMAT.md §2 ("Free text") lists them.
bool is_invisible(char32_t cp);

// The first invisible code point of `text`, or -1; `offset` receives its byte offset.
// Requires well-formed UTF-8.
long first_invisible(std::string_view text, std::size_t& offset);

// True when `text` is nothing but white space (as has_outer_space) and invisible
// characters — empty once they are removed. Requires well-formed UTF-8.
bool is_blank(std::string_view text);

// A short English name for an invisible code point, for messages ("zero width space").
std::string invisible_name(char32_t cp);

}  // namespace lontar::domain::text
