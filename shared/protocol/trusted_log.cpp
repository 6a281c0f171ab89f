#include "protocol/trusted_log.hpp"

#include <fmt/format.h>

#include "merkle/merkle.hpp"

namespace lontar::protocol {

Error history_changed(std::string what, std::vector<std::string> evidence) {
  Error e{Code::history_changed, std::move(what)};
  e.evidence = std::move(evidence);
  return e;
}

Result<note::Checkpoint> TrustedLog::check(std::string_view note_text, const ConsistencySource& consistency) const {
  auto cp = note::open_checkpoint(note_text, log_, log_.name());
  if (!cp.ok()) {
    return history_changed("the checkpoint does not carry the pinned log key's signature: " + cp.error().message);
  }
  if (!last_) return cp;
  const TrustedHead& old = *last_;
  const std::vector<std::string> evidence{old.note, std::string(note_text)};
  if (cp->size < old.size) {
    return history_changed(
        fmt::format("the log shrank from {} to {} leaves (a rolled-back store?)", old.size, cp->size), evidence);
  }
  if (cp->size == old.size && cp->root != old.root) {
    return history_changed(fmt::format("two different trees of size {} (a forked log)", cp->size), evidence);
  }
  if (cp->size > old.size && old.size > 0) {
    LONTAR_ASSIGN(std::vector<Hash> proof, consistency(old.size, cp->size));
    if (auto s = merkle::verify_consistency(old.size, cp->size, old.root, cp->root, proof); !s.ok()) {
      return history_changed(fmt::format("the tree of size {} does not extend the one of size {} accepted before "
                                         "(a forked or rewritten log): {}",
                                         cp->size, old.size, s.error().message),
                             evidence);
    }
  }
  return cp;
}

Result<note::Checkpoint> TrustedLog::accept(std::string_view note_text, const ConsistencySource& consistency) {
  LONTAR_ASSIGN(note::Checkpoint cp, check(note_text, consistency));
  last_ = TrustedHead{cp.size, cp.root, std::string(note_text)};
  return cp;
}

Status check_included(std::uint64_t index, const Hash& leaf_hash, const note::Checkpoint& cp,
                      std::span<const Hash> proof, std::string_view what) {
  if (index >= cp.size) {
    return history_changed(fmt::format("{} {} is not in the server's tree of size {}", what, index, cp.size));
  }
  if (auto s = merkle::verify_inclusion(leaf_hash, index, cp.size, proof, cp.root); !s.ok()) {
    return history_changed(
        fmt::format("{} {} is not proven in the checkpoint of size {}: {}", what, index, cp.size, s.error().message));
  }
  return {};
}

}  // namespace lontar::protocol
