#include "note/checkpoint.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace lontar::note {

namespace {
constexpr std::size_t uint64_digits_max = 20;  // 18446744073709551615
constexpr const char* header_names[] = {"origin", "tree size", "root hash"};

Error bad_line(std::size_t line, std::string_view what, std::string_view problem) {
  return Error{Code::bad_input, fmt::format("checkpoint: line {} ({}): {}", line, what, problem)};
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

Result<std::uint64_t> parse_size(std::string_view digits) {
  if (digits.empty() || digits.size() > uint64_digits_max ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return bad_line(2, "tree size", fmt::format("'{}' is not a decimal number of at most {} digits",
                                                digits.substr(0, uint64_digits_max + 1), uint64_digits_max));
  }
  if (digits.size() > 1 && digits[0] == '0') {
    return bad_line(2, "tree size", fmt::format("'{}' has a leading zero; sizes are written without them", digits));
  }
  std::uint64_t value = 0;
  for (char c : digits) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - d) / 10) {
      return bad_line(2, "tree size", fmt::format("'{}' does not fit in 64 bits", digits));
    }
    value = value * 10 + d;
  }
  return value;
}
}  // namespace

Result<std::string> format_checkpoint(const Checkpoint& cp) {
  if (cp.origin.empty() || has_control(cp.origin)) {
    return Error{Code::bad_input, "checkpoint origin must be one non-empty line without control characters"};
  }
  std::string out = cp.origin + "\n" + std::to_string(cp.size) + "\n" + to_base64(cp.root) + "\n";
  for (std::size_t i = 0; i < cp.extensions.size(); ++i) {
    const std::string& ext = cp.extensions[i];
    if (ext.empty() || has_control(ext)) {
      return Error{Code::bad_input,
                   fmt::format("checkpoint extension {} must be one non-empty line without control characters", i)};
    }
    out += ext;
    out += '\n';
  }
  return out;
}

Result<Checkpoint> parse_checkpoint(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return Error{Code::bad_input, "checkpoint: text does not end with a newline"};
  }
  std::vector<std::string_view> lines;
  for (std::string_view rest = text; !rest.empty();) {
    const std::size_t end = rest.find('\n');
    lines.push_back(rest.substr(0, end));
    rest.remove_prefix(end + 1);
  }
  if (lines.size() < 3) {
    return Error{Code::bad_input,
                 fmt::format("checkpoint: has {} lines; it needs origin, tree size and root hash", lines.size())};
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const char* what = i < 3 ? header_names[i] : "extension";
    if (lines[i].empty()) return bad_line(i + 1, what, "is empty");
    if (has_control(lines[i])) return bad_line(i + 1, what, "holds a control character");
  }
  Checkpoint cp;
  cp.origin = std::string(lines[0]);
  LONTAR_ASSIGN(cp.size, parse_size(lines[1]));
  auto root = from_base64(lines[2]);
  if (!root.ok()) return bad_line(3, "root hash", root.error().message);
  if (root->size() != cp.root.size()) {
    return bad_line(3, "root hash", fmt::format("is {} bytes; a SHA-256 root is 32", root->size()));
  }
  std::copy(root->begin(), root->end(), cp.root.begin());
  for (std::size_t i = 3; i < lines.size(); ++i) cp.extensions.emplace_back(lines[i]);
  return cp;
}

Result<std::string> sign_checkpoint(const Checkpoint& cp, std::string_view name, const crypto::PrivateKey& key) {
  LONTAR_ASSIGN(std::string text, format_checkpoint(cp));
  return sign_note(text, name, key);
}

Result<Checkpoint> open_checkpoint(std::string_view signed_note, const Verifier& log, std::string_view origin) {
  auto note = open_note(signed_note, std::span(&log, 1));
  if (!note.ok()) return std::move(note).error().prefix("checkpoint from " + log.name());
  LONTAR_ASSIGN(Checkpoint cp, parse_checkpoint(note->text));
  if (cp.origin != origin) {
    return Error{Code::conflict, fmt::format("checkpoint is for log '{}', not the expected '{}'; check the log address "
                                             "and key you were given",
                                             cp.origin.substr(0, 100), origin)};
  }
  return cp;
}

}  // namespace lontar::note
