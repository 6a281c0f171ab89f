// checkpoint.hpp — C2SP transparency-log checkpoints (c2sp.org/tlog-checkpoint).
//
// A checkpoint is the signed head of the central log: a signed note whose text is
//   <origin>\n<tree size, decimal, no leading zeros>\n<base64(32-byte root hash)>\n
// followed by optional non-empty extension lines. Lontar's log signs with an
// Ed25519 key whose note key name is the origin (the Go sumdb convention), so a
// reader needs the log's verifier key and the origin it expects. Byte layout:
// docs/FORMAT.md §5.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/crypto.hpp"
#include "note/note.hpp"

namespace lontar::note {

struct Checkpoint {
  std::string origin;                   // non-empty, one line; Lontar uses e.g. "lontar.example/log"
  std::uint64_t size = 0;               // leaves in the tree
  Hash root{};                          // RFC 6962 root hash at `size`
  std::vector<std::string> extensions;  // opaque non-empty lines (Lontar writes none)

  bool operator==(const Checkpoint&) const = default;
};

// The note text of `cp`: origin, size, base64 root and each extension, each line
// ending in "\n". Fails when the origin is empty or any line is empty or holds a
// newline or another control character.
Result<std::string> format_checkpoint(const Checkpoint& cp);

// Parses a checkpoint note text strictly: at least three lines, each ending in a
// newline, non-empty and free of control characters; the size is decimal digits without leading zeros ("0" for
// the empty tree) that fits 64 bits; the root is canonical base64 of exactly 32
// bytes. The error names the line and what is wrong with it.
Result<Checkpoint> parse_checkpoint(std::string_view text);

// sign_note(format_checkpoint(cp), name, key). Lontar's log passes its origin as `name`.
Result<std::string> sign_checkpoint(const Checkpoint& cp, std::string_view name, const crypto::PrivateKey& key);

// Opens a signed checkpoint: the note must carry a valid signature by `log`, its
// text must parse, and its origin must equal `origin`. Errors say which (a wrong
// origin is `conflict`, a missing or bad signature `unauthorized`, a malformed note
// or text `bad_input`).
Result<Checkpoint> open_checkpoint(std::string_view signed_note, const Verifier& log, std::string_view origin);

}  // namespace lontar::note
