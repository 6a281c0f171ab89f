// note.hpp — C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys.
//
// A signed note is a text ending in a newline, a blank line, then one or more
// signature lines "— <key name> <base64(key id || signature)>\n" (em dash U+2014,
// space). The key id of an Ed25519 key is the first four bytes of
// SHA-256(key name || 0x0A || 0x01 || 32-byte public key), big endian. Verifier
// keys are written "<name>+<8 hex digits of key id>+<base64(0x01 || public key)>",
// as in Go's golang.org/x/mod/sumdb/note, so that existing tools read ours.
//
// Opening a note is strict: it must be valid UTF-8 without control characters
// other than newline, at most note_bytes_max bytes and signatures_max signature
// lines; signatures by unknown keys are ignored; a signature by a known key must
// verify; at least one known key must have signed. Byte layout: docs/FORMAT.md §5.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/crypto.hpp"

namespace lontar::note {

constexpr std::size_t note_bytes_max = 16 << 10;  // a whole signed note, text and signatures
constexpr std::size_t signatures_max = 100;       // signature lines in one note (the spec asks for >= 16)
constexpr std::uint8_t ed25519_signature_type = 0x01;
constexpr std::string_view signature_line_prefix = "\xE2\x80\x94 ";  // em dash U+2014, space

using KeyId = std::uint32_t;

// Ok when `name` can name a key: non-empty, valid UTF-8, no Unicode white space,
// no '+', no control characters. The error says which rule is broken.
Status check_key_name(std::string_view name);

// The Ed25519 key id: first 4 bytes (big endian) of SHA-256(name || 0x0A || 0x01 || key).
KeyId key_id(std::string_view name, const crypto::PublicKey& key);

// A public key under a name: what a note's reader trusts.
class Verifier {
 public:
  // Requires nothing of `name`; fails when check_key_name() does.
  static Result<Verifier> make(std::string name, const crypto::PublicKey& key);
  // Parses a verifier key "<name>+<8 lower- or upper-case hex>+<base64(0x01 || 32-byte key)>".
  // Strict: the key id must be the one computed from name and key; the error says
  // which part is wrong.
  static Result<Verifier> parse(std::string_view verifier_key);

  const std::string& name() const { return name_; }
  KeyId id() const { return id_; }
  const crypto::PublicKey& public_key() const { return key_; }
  // The verifier key string (hex in lower case); parse(to_string()) gives this back.
  std::string to_string() const;
  // True when `signature` (64 bytes, without the key id) is this key's signature of `text`.
  bool verify(std::string_view text, ByteView signature) const;

 private:
  Verifier(std::string name, KeyId id, const crypto::PublicKey& key) : name_(std::move(name)), id_(id), key_(key) {}
  std::string name_;
  KeyId id_ = 0;
  crypto::PublicKey key_{};
};

// A private key under a name: what a note's writer holds.
struct Signer {
  std::string name;
  crypto::PrivateKey key;

  // Parses a Go signer key "PRIVATE+KEY+<name>+<8 hex>+<base64(0x01 || 32-byte seed)>";
  // the key id must match the public key derived from the seed.
  static Result<Signer> parse(std::string_view signer_key);
};

// One signature line of a note.
struct Signature {
  std::string name;
  KeyId id = 0;
  Bytes signature;  // without the 4-byte key id
};

// An opened note: its text (with the final newline, without the blank line) and
// the signatures that were checked against a known key.
struct Note {
  std::string text;
  std::vector<Signature> verified;    // by known keys, each valid, in note order
  std::size_t unknown_signatures = 0; // lines by keys not in the list (ignored)
};

// The signature line for `text` under `name` and `key`: "— name base64(id || sig)\n".
// Requires check_key_name(name) to hold.
std::string signature_line(std::string_view text, std::string_view name, const crypto::PrivateKey& key);

// text + "\n" + signature_line(text, name, key). Fails when the text does not end
// with a newline, holds control characters or invalid UTF-8, when the name is not a
// valid key name, or when the note would exceed note_bytes_max.
Result<std::string> sign_note(std::string_view text, std::string_view name, const crypto::PrivateKey& key);

// Splits and checks `message` and its signatures against `known`. Fails (bad_input)
// when the note is malformed, too large or has too many signatures, when a known
// key signs twice (Go's reader drops the repeat; we refuse it), or when a key in
// `known` appears twice; fails (unauthorized) when a known key's signature does not
// verify or when no known key signed at all. Every error says which line is wrong
// and why.
Result<Note> open_note(std::string_view message, std::span<const Verifier> known);

}  // namespace lontar::note
