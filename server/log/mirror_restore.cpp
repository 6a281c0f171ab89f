// mirror_restore.cpp — Integrator::append_mirrored: rebuilding the log from a mirror's
// leaves (`lontar-server restore --from-mirror`, server/ops/restore.cpp).
//
// The leaves are taken verbatim, as already judged: each entry leaf must carry the verdict
// the rules engine reaches again in log order; office heads, seals, keys and the rules
// state are rebuilt as integration would. The tree must have each given root at each
// given size; only then is everything committed, in one transaction, with one checkpoint.
#include "encoding/encoding.hpp"
#include "log/integrator.hpp"

namespace lontar::server {

Result<std::string> Integrator::append_mirrored(std::span<const TreeHead> targets,
                                                const std::function<Result<Bytes>(std::uint64_t index)>& leaf_at) {
  const std::uint64_t start_size = tree_.size();
  if (targets.empty() || targets.front().size < start_size) {
    return Error{Code::bad_input, name_ + ": the store holds " + std::to_string(start_size) +
                                      " leaves; a mirror restore needs a target size at or above it"};
  }
  const std::uint64_t end_size = targets.back().size;
  std::string note;
  Status s = store_.transaction([&]() -> Status {
    std::size_t next_target = 0;
    // Every target at the current size must have the current root.
    auto check_targets = [&]() -> Status {
      for (; next_target < targets.size() && targets[next_target].size == tree_.size(); ++next_target) {
        if (tree_.root() != targets[next_target].root) {
          return Error{Code::corrupt, "the log rebuilt from the mirror has a different root at " +
                                          std::to_string(tree_.size()) +
                                          " leaves than the checkpoint published for that size; the mirror or the "
                                          "restored store is not this log's history"};
        }
      }
      return {};
    };
    LONTAR_TRY(check_targets());
    for (std::uint64_t i = start_size; i < end_size; ++i) {
      LONTAR_ASSIGN(Bytes bytes, leaf_at(i));
      LONTAR_TRY(restore_leaf(i, bytes));
      LONTAR_TRY(check_targets());
    }
    if (next_target != targets.size()) {
      return Error{Code::bad_input,
                   "mirror restore: target sizes must be ascending and at or above " + std::to_string(start_size)};
    }
    if (end_size != start_size) {
      LONTAR_ASSIGN(note, commit_checkpoint());
    }
    return {};
  });
  if (!s.ok()) {
    reload(start_size);
    return std::move(s).error();
  }
  heads_.clear();
  return note;
}

Status Integrator::restore_leaf(std::uint64_t index, const Bytes& bytes) {
  const std::string where = "mirror leaf " + std::to_string(index);
  LONTAR_ASSIGN(chain::Leaf leaf, encoding::decode<chain::Leaf>(bytes, where));
  if (leaf.type == chain::LeafType::seal) {
    LONTAR_TRY(store_.put_seal(leaf.seal.principal, leaf.seal.last_seq, index));
  } else {
    const chain::Entry& e = leaf.entry;
    LONTAR_ASSIGN(domain::Verdict verdict, rules::judge_and_apply(e, *state_));
    if (!rules::same_judgement(verdict, leaf.verdict)) {
      return Error{Code::corrupt, where + " (" + e.principal + " seq " + std::to_string(e.seq) +
                                      "): the rules engine reaches a different verdict than the one logged; the "
                                      "mirror does not continue this store"};
    }
    const Hash h = chain::entry_hash(e);
    LONTAR_TRY(store_.put_entry(e.principal, e.seq, LoggedEntry{index, h}));
    LONTAR_TRY(store_.put_head(e.principal, Head{e.seq, h}));
    LONTAR_TRY(track_keys(e, verdict));
  }
  return append_leaf(bytes);
}

}  // namespace lontar::server
