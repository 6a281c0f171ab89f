#include "base/bytes.hpp"

namespace lontar {

const char* code_name(Code code) {
  switch (code) {
    case Code::bad_input:
      return "bad_input";
    case Code::not_found:
      return "not_found";
    case Code::conflict:
      return "conflict";
    case Code::unauthorized:
      return "unauthorized";
    case Code::io:
      return "io";
    case Code::corrupt:
      return "corrupt";
    case Code::pin_mismatch:
      return "pin_mismatch";
    case Code::history_changed:
      return "history_changed";
    case Code::stale_store:
      return "stale_store";
    case Code::internal:
      return "internal";
  }
  return "unknown";
}

namespace {
constexpr char hex_digits[] = "0123456789abcdef";
constexpr char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string to_hex(ByteView bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out.push_back(hex_digits[b >> 4]);
    out.push_back(hex_digits[b & 0xf]);
  }
  return out;
}

Result<Bytes> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return Error{Code::bad_input, "hex string has an odd number of digits (" + std::to_string(hex.size()) + ")"};
  }
  Bytes out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return Error{Code::bad_input, "not a hex digit at position " + std::to_string(hi < 0 ? 2 * i : 2 * i + 1)};
    }
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

Result<Hash> hash_from_hex(std::string_view hex) {
  if (hex.size() != 64) {
    return Error{Code::bad_input, "a hash is 64 hex digits, got " + std::to_string(hex.size())};
  }
  LONTAR_ASSIGN(Bytes bytes, from_hex(hex));
  Hash h;
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

std::string to_base64(ByteView bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = bytes[i] << 16 | bytes[i + 1] << 8 | bytes[i + 2];
    out.push_back(b64_alphabet[v >> 18 & 63]);
    out.push_back(b64_alphabet[v >> 12 & 63]);
    out.push_back(b64_alphabet[v >> 6 & 63]);
    out.push_back(b64_alphabet[v & 63]);
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t v = bytes[i] << 16;
    out.push_back(b64_alphabet[v >> 18 & 63]);
    out.push_back(b64_alphabet[v >> 12 & 63]);
    out += "==";
  } else if (rest == 2) {
    std::uint32_t v = bytes[i] << 16 | bytes[i + 1] << 8;
    out.push_back(b64_alphabet[v >> 18 & 63]);
    out.push_back(b64_alphabet[v >> 12 & 63]);
    out.push_back(b64_alphabet[v >> 6 & 63]);
    out.push_back('=');
  }
  return out;
}

Result<Bytes> from_base64(std::string_view text) {
  if (text.size() % 4 != 0) {
    return Error{Code::bad_input, "base64 text length " + std::to_string(text.size()) + " is not a multiple of 4"};
  }
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pad = 0;
    std::uint32_t v = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      char c = text[i + j];
      int d = 0;
      if (c == '=' && last && j >= 2) {
        ++pad;
      } else {
        if (pad > 0 || (d = b64_value(c)) < 0) {
          return Error{Code::bad_input, "invalid base64 character at position " + std::to_string(i + j)};
        }
      }
      v = v << 6 | static_cast<std::uint32_t>(d);
    }
    out.push_back(static_cast<std::uint8_t>(v >> 16));
    if (pad < 2) out.push_back(static_cast<std::uint8_t>(v >> 8));
    if (pad < 1) out.push_back(static_cast<std::uint8_t>(v));
    // Canonical form: the bits dropped by padding must be zero.
    if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0)) {
      return Error{Code::bad_input, "non-canonical base64 padding bits"};
    }
  }
  return out;
}

}  // namespace lontar
