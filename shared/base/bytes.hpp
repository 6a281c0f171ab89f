// bytes.hpp — byte strings, 32-byte hashes, hex and base64.
// Hex is lower-case; base64 is the standard alphabet with padding (RFC 4648 §4),
// as C2SP signed notes and checkpoints use.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace lontar {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// A SHA-256 digest. Value type; all-zero is the "no previous entry" hash.
using Hash = std::array<std::uint8_t, 32>;

inline ByteView as_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }
inline std::string_view as_chars(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

std::string to_hex(ByteView bytes);
// Accepts upper- or lower-case hex of even length.
Result<Bytes> from_hex(std::string_view hex);
// Exactly 64 hex digits.
Result<Hash> hash_from_hex(std::string_view hex);

std::string to_base64(ByteView bytes);
// Strict: standard alphabet, padding required, no whitespace.
Result<Bytes> from_base64(std::string_view text);

// Appends `more` to `out`.
inline void append(Bytes& out, ByteView more) { out.insert(out.end(), more.begin(), more.end()); }

}  // namespace lontar
