// trusted_log.hpp — what a client of the log trusts, and the one place that decides
// whether a new signed checkpoint may be believed (DESIGN.md, Central log).
//
// A TrustedLog holds the pinned log verifier and the last checkpoint accepted. A
// new checkpoint is accepted only if it carries the pinned key's signature for the
// pinned origin and extends the last one: not smaller, the same root at the same
// size, and a consistency proof that verifies. Every failure is Code::history_changed
// with both signed notes as its evidence: the server's history changed, and an
// operator must look (the agent's incident, the admin's refusal). The office's sync
// and import-bundle, the recovery of a lost laptop and the admin commands all use it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "note/checkpoint.hpp"
#include "note/note.hpp"

namespace lontar::protocol {

// An error meaning that the log's signed history changed: Code::history_changed
// with `evidence` (the trusted signed note first, then the new one).
Error history_changed(std::string what, std::vector<std::string> evidence = {});

// A checkpoint as accepted: size, root and the signed note that showed them
// (the note may be empty for a head kept from elsewhere).
struct TrustedHead {
  std::uint64_t size = 0;
  Hash root{};
  std::string note;
};

// The consistency proof from the tree of `old_size` leaves to `new_size`.
using ConsistencySource = std::function<Result<std::vector<Hash>>(std::uint64_t old_size, std::uint64_t new_size)>;

class TrustedLog {
 public:
  TrustedLog(note::Verifier log, std::optional<TrustedHead> last) : log_(std::move(log)), last_(std::move(last)) {}

  // Opens `note_text` with the pinned key and checks that it extends last()
  // (asking `consistency` only when both sizes are non-zero and differ). Does not
  // change last(). An error of `consistency` itself is returned as it is.
  Result<note::Checkpoint> check(std::string_view note_text, const ConsistencySource& consistency) const;
  // check(), then the checkpoint becomes last().
  Result<note::Checkpoint> accept(std::string_view note_text, const ConsistencySource& consistency);
  // Makes `head` the last accepted without checks (a caller that checked otherwise).
  void trust(TrustedHead head) { last_ = std::move(head); }

  const std::optional<TrustedHead>& last() const { return last_; }
  const note::Verifier& verifier() const { return log_; }

 private:
  note::Verifier log_;
  std::optional<TrustedHead> last_;
};

// Checks that leaf `index` with hash `leaf_hash` is in `cp` by `proof`; `what`
// names the leaf in the history_changed error otherwise.
Status check_included(std::uint64_t index, const Hash& leaf_hash, const note::Checkpoint& cp,
                      std::span<const Hash> proof, std::string_view what);

}  // namespace lontar::protocol
