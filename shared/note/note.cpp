#include "note/note.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>

namespace lontar::note {

namespace {
constexpr std::size_t key_id_bytes = 4;
constexpr std::size_t key_id_hex_digits = 8;
constexpr std::string_view signer_key_prefix = "PRIVATE+KEY+";
constexpr std::size_t quote_chars_max = 40;

// The code point at `text[at]` and its length in bytes, or -1 when the bytes
// there are not well-formed UTF-8 (overlong forms, surrogates, > U+10FFFF).
long decode_utf8(std::string_view text, std::size_t at, std::size_t& length) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) {
    length = 1;
    return b0;
  }
  std::size_t n = 0;
  long cp = 0;
  long min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (at + n > text.size()) return -1;
  for (std::size_t i = 1; i < n; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return -1;
    cp = cp << 6 | (byte(i) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  length = n;
  return cp;
}

// Unicode White_Space (what Go's unicode.IsSpace accepts).
bool is_unicode_space(long cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// `text` quoted for a message, cut short, with bytes outside printable ASCII as \xNN.
std::string quote(std::string_view text) {
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < quote_chars_max; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > quote_chars_max) out += "...";
  return out + "'";
}

// Ok when `text` is UTF-8 with no control character but newline; the error names the byte.
Status check_note_chars(std::string_view text, std::string_view what) {
  for (std::size_t i = 0; i < text.size();) {
    std::size_t length = 0;
    const long cp = decode_utf8(text, i, length);
    if (cp < 0) {
      return Error{Code::bad_input,
                   fmt::format("{}: byte {} is not valid UTF-8; a signed note must be UTF-8", what, i)};
    }
    if (cp < 0x20 && cp != '\n') {
      return Error{Code::bad_input, fmt::format("{}: byte {} is control character U+{:04X}; a signed note may hold "
                                                "no control characters but newline",
                                                what, i, cp)};
    }
    i += length;
  }
  return {};
}

KeyId read_key_id(ByteView b) {
  return static_cast<KeyId>(b[0]) << 24 | static_cast<KeyId>(b[1]) << 16 | static_cast<KeyId>(b[2]) << 8 |
         static_cast<KeyId>(b[3]);
}

std::string key_id_hex(KeyId id) { return fmt::format("{:08x}", id); }

// Parses exactly 8 hex digits.
Result<KeyId> parse_key_id_hex(std::string_view hex) {
  if (hex.size() != key_id_hex_digits) {
    return Error{Code::bad_input, fmt::format("key id {} is not {} hex digits", quote(hex), key_id_hex_digits)};
  }
  auto bytes = from_hex(hex);
  if (!bytes.ok()) return Error{Code::bad_input, fmt::format("key id {} is not hex", quote(hex))};
  return read_key_id(*bytes);
}

// Splits "<name>+<hex id>+<base64>" and checks the pieces common to verifier and
// signer keys. `what` is "verifier key" or "signer key"; `key_bytes` gets the 32
// bytes after the algorithm byte.
struct KeyParts {
  std::string name;
  KeyId id = 0;
  std::array<std::uint8_t, 32> key{};
};

Result<KeyParts> split_key(std::string_view text, std::string_view what) {
  const std::size_t plus1 = text.find('+');
  const std::size_t plus2 = plus1 == std::string_view::npos ? plus1 : text.find('+', plus1 + 1);
  if (plus2 == std::string_view::npos) {
    return Error{Code::bad_input,
                 fmt::format("{} {} is not of the form <name>+<8 hex digits>+<base64 key>", what, quote(text))};
  }
  KeyParts parts;
  parts.name = std::string(text.substr(0, plus1));
  auto name_ok = check_key_name(parts.name);
  if (!name_ok.ok()) return std::move(name_ok).error().prefix(std::string(what));
  auto id = parse_key_id_hex(text.substr(plus1 + 1, plus2 - plus1 - 1));
  if (!id.ok()) return std::move(id).error().prefix(std::string(what));
  parts.id = *id;
  auto key = from_base64(text.substr(plus2 + 1));
  if (!key.ok()) return std::move(key).error().prefix(fmt::format("{}: key", what));
  if (key->empty() || (*key)[0] != ed25519_signature_type) {
    return Error{Code::bad_input,
                 fmt::format("{}: key algorithm byte is {}, but only Ed25519 (0x01) is supported", what,
                             key->empty() ? std::string("missing") : fmt::format("0x{:02x}", (*key)[0]))};
  }
  if (key->size() != 1 + parts.key.size()) {
    return Error{Code::bad_input, fmt::format("{}: an Ed25519 key is 32 bytes after the algorithm byte, found {}", what,
                                              key->size() - 1)};
  }
  std::copy(key->begin() + 1, key->end(), parts.key.begin());
  return parts;
}

Error key_id_mismatch(std::string_view what, const KeyParts& parts, KeyId computed) {
  return Error{Code::bad_input, fmt::format("{} for {}: key id {} does not match the key (computed {}); the key or its "
                                            "id was altered or copied wrongly",
                                            what, parts.name, key_id_hex(parts.id), key_id_hex(computed))};
}

Error malformed(std::size_t line, std::string_view problem) {
  return Error{Code::bad_input, fmt::format("signed note: line {}: {}", line, problem)};
}
}  // namespace

Status check_key_name(std::string_view name) {
  if (name.empty()) return Error{Code::bad_input, "key name is empty; name the key, e.g. example.com/log"};
  for (std::size_t i = 0; i < name.size();) {
    std::size_t length = 0;
    const long cp = decode_utf8(name, i, length);
    if (cp < 0) return Error{Code::bad_input, fmt::format("key name {}: byte {} is not valid UTF-8", quote(name), i)};
    if (cp == '+') {
      return Error{Code::bad_input, fmt::format("key name {} holds '+'; key names may not contain '+'", quote(name))};
    }
    if (is_unicode_space(cp) || cp < 0x20 || cp == 0x7F) {
      return Error{Code::bad_input, fmt::format("key name {} holds space or control character U+{:04X} at byte {}; key "
                                                "names may not contain spaces",
                                                quote(name), cp, i)};
    }
    i += length;
  }
  return {};
}

KeyId key_id(std::string_view name, const crypto::PublicKey& key) {
  const std::uint8_t sep_and_type[] = {'\n', ed25519_signature_type};
  const Hash h = crypto::sha256({as_bytes(name), ByteView(sep_and_type), ByteView(key)});
  return read_key_id(h);
}

Result<Verifier> Verifier::make(std::string name, const crypto::PublicKey& key) {
  LONTAR_TRY(check_key_name(name));
  const KeyId id = key_id(name, key);
  return Verifier(std::move(name), id, key);
}

Result<Verifier> Verifier::parse(std::string_view verifier_key) {
  LONTAR_ASSIGN(KeyParts parts, split_key(verifier_key, "verifier key"));
  const KeyId computed = key_id(parts.name, parts.key);
  if (computed != parts.id) return key_id_mismatch("verifier key", parts, computed);
  return Verifier(std::move(parts.name), parts.id, parts.key);
}

std::string Verifier::to_string() const {
  Bytes key{ed25519_signature_type};
  append(key, key_);
  return name_ + "+" + key_id_hex(id_) + "+" + to_base64(key);
}

bool Verifier::verify(std::string_view text, ByteView signature) const {
  crypto::Signature sig{};
  if (signature.size() != sig.size()) return false;
  std::copy(signature.begin(), signature.end(), sig.begin());
  return crypto::verify(key_, as_bytes(text), sig);
}

Result<Signer> Signer::parse(std::string_view signer_key) {
  if (!signer_key.starts_with(signer_key_prefix)) {
    return Error{Code::bad_input, "signer key does not start with PRIVATE+KEY+"};
  }
  LONTAR_ASSIGN(KeyParts parts, split_key(signer_key.substr(signer_key_prefix.size()), "signer key"));
  LONTAR_ASSIGN(crypto::PrivateKey key, crypto::PrivateKey::from_seed(parts.key));
  const KeyId computed = key_id(parts.name, key.public_key());
  if (computed != parts.id) return key_id_mismatch("signer key", parts, computed);
  return Signer{std::move(parts.name), std::move(key)};
}

std::string signature_line(std::string_view text, std::string_view name, const crypto::PrivateKey& key) {
  assert(check_key_name(name).ok());
  const crypto::PublicKey pub = key.public_key();
  const KeyId id = key_id(name, pub);
  Bytes sig{static_cast<std::uint8_t>(id >> 24), static_cast<std::uint8_t>(id >> 16),
            static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)};
  append(sig, key.sign(as_bytes(text)));
  std::string line(signature_line_prefix);
  line += name;
  line += ' ';
  line += to_base64(sig);
  line += '\n';
  return line;
}

Result<std::string> sign_note(std::string_view text, std::string_view name, const crypto::PrivateKey& key) {
  if (text.empty() || text.back() != '\n') {
    return Error{Code::bad_input, "note text must end with a newline"};
  }
  LONTAR_TRY(check_note_chars(text, "note text"));
  LONTAR_TRY(check_key_name(name));
  std::string out(text);
  out += '\n';
  out += signature_line(text, name, key);
  if (out.size() > note_bytes_max) {
    return Error{Code::bad_input,
                 fmt::format("signed note would be {} bytes, more than the limit of {}", out.size(), note_bytes_max)};
  }
  return out;
}

namespace {

// One signature line after the "— " prefix: "<key name> <base64(key id || signature)>".
struct SignatureLine {
  std::string_view name;
  KeyId id{};
  Bytes signature;
};

// Parses signature line `line_no` of a signed note (C2SP signed-note, "Signatures");
// the error names the line and what is wrong with it.
Result<SignatureLine> parse_signature_line(std::string_view line, std::size_t line_no) {
  if (!line.starts_with(signature_line_prefix)) {
    return malformed(line_no, "a signature line must start with an em dash (U+2014) and a space");
  }
  line.remove_prefix(signature_line_prefix.size());
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos) return malformed(line_no, "signature line has no space before its signature");
  SignatureLine out;
  out.name = line.substr(0, space);
  if (auto ok = check_key_name(out.name); !ok.ok()) return malformed(line_no, ok.error().message);
  auto raw = from_base64(line.substr(space + 1));
  if (!raw.ok()) return malformed(line_no, "signature: " + raw.error().message);
  if (raw->size() <= key_id_bytes) {
    return malformed(line_no,
                     fmt::format("signature is {} bytes; it must hold a 4-byte key id and a signature", raw->size()));
  }
  out.id = read_key_id(*raw);
  out.signature.assign(raw->begin() + key_id_bytes, raw->end());
  return out;
}

}  // namespace

Result<Note> open_note(std::string_view message, std::span<const Verifier> known) {
  if (message.size() > note_bytes_max) {
    return Error{Code::bad_input,
                 fmt::format("signed note is {} bytes, more than the limit of {}", message.size(), note_bytes_max)};
  }
  for (std::size_t i = 0; i < known.size(); ++i) {
    for (std::size_t j = i + 1; j < known.size(); ++j) {
      if (known[i].name() == known[j].name() && known[i].id() == known[j].id()) {
        return Error{Code::bad_input, fmt::format("the trusted keys list {}+{} twice; list each key once",
                                                  known[i].name(), key_id_hex(known[i].id()))};
      }
    }
  }
  LONTAR_TRY(check_note_chars(message, "signed note"));
  // The text ends at the last blank line; every line after it is a signature.
  const std::size_t split = message.rfind("\n\n");
  if (split == std::string_view::npos) {
    return Error{Code::bad_input, "signed note has no blank line between its text and its signatures"};
  }
  Note note;
  note.text = std::string(message.substr(0, split + 1));
  std::string_view sigs = message.substr(split + 2);
  if (sigs.empty()) return Error{Code::bad_input, "signed note has no signature lines after its blank line"};
  if (sigs.back() != '\n') return Error{Code::bad_input, "signed note does not end with a newline"};

  std::size_t line_no = static_cast<std::size_t>(std::count(note.text.begin(), note.text.end(), '\n')) + 1;
  std::size_t count = 0;
  while (!sigs.empty()) {
    ++line_no;
    const std::size_t end = sigs.find('\n');
    std::string_view line = sigs.substr(0, end);
    sigs.remove_prefix(end + 1);
    if (++count > signatures_max) {
      return malformed(line_no, fmt::format("more than {} signatures", signatures_max));
    }
    LONTAR_ASSIGN(const SignatureLine sig_line, parse_signature_line(line, line_no));
    const std::string_view name = sig_line.name;
    const KeyId id = sig_line.id;
    const auto verifier =
        std::find_if(known.begin(), known.end(), [&](const Verifier& v) { return v.name() == name && v.id() == id; });
    if (verifier == known.end()) {
      ++note.unknown_signatures;
      continue;
    }
    const bool repeated = std::any_of(note.verified.begin(), note.verified.end(),
                                      [&](const Signature& s) { return s.name == name && s.id == id; });
    if (repeated) {
      return malformed(line_no,
                       fmt::format("key {}+{} signs a second time; a key signs a note once", name, key_id_hex(id)));
    }
    const ByteView sig = sig_line.signature;
    if (!verifier->verify(note.text, sig)) {
      return Error{Code::unauthorized, fmt::format("signed note: line {}: the signature by key {}+{} does not verify; "
                                                   "the note was altered or signed by another key under that name",
                                                   line_no, name, key_id_hex(id))};
    }
    note.verified.push_back(Signature{std::string(name), id, Bytes(sig.begin(), sig.end())});
  }
  if (note.verified.empty()) {
    std::string names;
    for (const Verifier& v : known) names += (names.empty() ? "" : ", ") + v.name() + "+" + key_id_hex(v.id());
    return Error{Code::unauthorized,
                 fmt::format("signed note carries no signature by a trusted key (trusted: {}; found {} by other keys)",
                             names.empty() ? "none" : names, note.unknown_signatures)};
  }
  return note;
}

}  // namespace lontar::note
