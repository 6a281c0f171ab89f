#include "ledger_check.hpp"

#include "encoding/encoding.hpp"
#include "rules/rules.hpp"

namespace lontar::audit {
namespace {

constexpr std::string_view heads_schema =
    "CREATE TABLE IF NOT EXISTS audit_offices (principal TEXT PRIMARY KEY, seq INTEGER NOT NULL, head BLOB NOT NULL)";
constexpr std::string_view open_seal_name = "open_seal";

// The saved form of an open seal.
struct SavedSeal {
  std::uint64_t leaf = 0;
  chain::Seal seal;
  bool key_pending = false;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(leaf, seal, encoding::flag(key_pending, "key_pending"));
  }
};

std::string verdict_text(const domain::Verdict& v) {
  std::string out = domain::outcome_name(v.outcome);
  if (!v.reasons.empty()) {
    out += " (";
    for (std::size_t i = 0; i < v.reasons.size(); ++i) out += (i ? ", " : "") + v.reasons[i].code;
    out += ")";
  }
  return out;
}

std::string leaf_str(std::uint64_t leaf) { return "leaf " + std::to_string(leaf); }

}  // namespace

Result<LedgerChecker> LedgerChecker::load(AuditState& state, ReportWriter::Mode report) {
  LONTAR_TRY(state.db().exec(heads_schema));
  LONTAR_ASSIGN(auto writer, ReportWriter::open(state, report));
  LedgerChecker c(state, std::move(writer));
  LONTAR_ASSIGN(auto s, state.db().prepare("SELECT principal, seq, head FROM audit_offices"));
  for (;;) {
    LONTAR_ASSIGN(bool row, s.step());
    if (!row) break;
    c.heads_[s.text(0)] = OfficeHead{s.uint64(1), s.hash(2)};
  }
  LONTAR_ASSIGN(auto saved, state.get(open_seal_name));
  if (saved && !saved->empty()) {
    LONTAR_ASSIGN(SavedSeal open, encoding::decode<SavedSeal>(*saved, "saved open seal"));
    c.open_ = OpenSeal{open.leaf, std::move(open.seal), open.key_pending};
  }
  return c;
}

Status LedgerChecker::save() {
  LONTAR_ASSIGN(store::Stmt * s, state_->cached("INSERT OR REPLACE INTO audit_offices (principal, seq, head) "
                                                "VALUES (?, ?, ?)"));
  for (const auto& [principal, head] : heads_) {
    s->reset();
    s->bind(1, principal).bind(2, head.seq).bind(3, head.hash);
    LONTAR_TRY(s->run());
  }
  Bytes open;
  if (open_) {
    LONTAR_ASSIGN(open, encoding::encode(SavedSeal{open_->leaf, open_->seal, open_->key_pending}));
  }
  return state_->put(open_seal_name, open);
}

Status LedgerChecker::on_chunk(std::vector<DecodedLeaf> leaves, Findings& findings) {
  judged_.clear();
  for (at_ = 0; at_ < leaves.size(); ++at_) LONTAR_TRY(on_leaf(leaves[at_], findings));
  return report_->add(ReportChunk{std::move(leaves), std::move(judged_)});
}

Status LedgerChecker::on_leaf(const DecodedLeaf& d, Findings& findings) {
  if (!d.decoded) {
    findings.add(check::leaf_malformed, d.index, "", std::nullopt, "cannot decode the leaf: " + d.decode_error);
    return {};
  }
  return d.leaf.type == chain::LeafType::seal ? on_seal(d, findings) : on_entry(d, findings);
}

Result<rules::SealGrant> LedgerChecker::check_key(const chain::Entry* first, Findings& findings) {
  const chain::Seal& s = open_->seal;
  open_->key_pending = false;
  LONTAR_ASSIGN(rules::SealGrant grant, rules::seal_allowed(s, first, state_->rules()));
  if (grant != rules::SealGrant::refused) return grant;
  LONTAR_ASSIGN(auto who, state_->rules().principal(s.principal));
  findings.add(check::seal_key, open_->leaf, s.principal, s.last_seq,
               "sealed with key " + crypto::fingerprint(s.key) +
                   (who ? ", which is not registered for this office or was revoked before this point of the log"
                        : ", but no principal of this id is registered at this point of the log"));
  return grant;
}

Status LedgerChecker::on_seal(const DecodedLeaf& d, Findings& findings) {
  const chain::Seal& s = d.leaf.seal;
  ++seals_;
  if (open_) {
    if (open_->key_pending) LONTAR_TRY(check_key(nullptr, findings));
    findings.add(check::seal_coverage, open_->leaf, open_->seal.principal, open_->seal.last_seq,
                 "the seal covers entries up to seq " + std::to_string(open_->seal.last_seq) + ", but " +
                     leaf_str(d.index) + " starts another seal before they all appeared");
    open_.reset();
  }
  if (!d.seal_signature_ok) {
    findings.add(check::seal_signature, d.index, s.principal, s.last_seq,
                 "the seal's signature does not verify with the key it names (" + crypto::fingerprint(s.key) + ")");
  }
  // Whether its key may seal is asked (rules::seal_allowed) once its first entry is known
  // (genesis depends on it); the state is the same then, since a seal changes no state.
  open_ = OpenSeal{d.index, s, true};
  const OfficeHead& head = heads_[s.principal];
  if (s.last_seq <= head.seq) {
    LONTAR_TRY(check_key(nullptr, findings));
    open_.reset();
    findings.add(check::seal_coverage, d.index, s.principal, s.last_seq,
                 "the seal covers no new entry: the office's chain already reaches seq " + std::to_string(head.seq));
  }
  return {};
}

Status LedgerChecker::on_entry(const DecodedLeaf& d, Findings& findings) {
  const chain::Entry& e = d.leaf.entry;
  ++entries_;
  // The open seal's key, judged from the state before its first entry. (The genesis
  // entry's author is registered by the entry itself: it is no admin before it.)
  bool genesis = false;
  if (open_ && open_->key_pending) {
    LONTAR_ASSIGN(rules::SealGrant grant, check_key(&e, findings));
    genesis = grant == rules::SealGrant::genesis;
  }
  if (!open_) {
    findings.add(check::unsealed_entry, d.index, e.principal, e.seq, "no seal of this office precedes the entry");
  } else if (open_->seal.principal != e.principal) {
    findings.add(check::seal_coverage, d.index, e.principal, e.seq,
                 "the entry follows the seal of " + open_->seal.principal + " at " + leaf_str(open_->leaf) +
                     ", which cannot cover another office's entries");
  }

  OfficeHead& head = heads_[e.principal];
  if (e.seq != head.seq + 1) {
    findings.add(check::chain_gap, d.index, e.principal, e.seq,
                 "expected seq " + std::to_string(head.seq + 1) + " next in this office's chain");
  } else if (e.prev != head.hash) {
    findings.add(check::chain_link, d.index, e.principal, e.seq,
                 "the entry's previous-hash does not match the hash of seq " + std::to_string(head.seq));
  }
  head = OfficeHead{e.seq, d.entry_hash};

  // Replay: the verdict from the state before this entry, and the state advances by it
  // (the author's role is read first, from the state before the entry).
  std::optional<rules::StateView::Principal> author;
  if (domain::is_admin_kind(e.kind)) {
    LONTAR_ASSIGN(author, state_->rules().principal(e.principal));
  }
  LONTAR_ASSIGN(domain::Verdict verdict, d.prepared ? rules::judge_and_apply(*d.prepared, state_->rules())
                                                    : rules::judge_and_apply(e, state_->rules()));
  if (!rules::same_judgement(verdict, d.leaf.verdict)) {
    findings.add(
        check::verdict_mismatch, d.index, e.principal, e.seq,
        "the log says " + verdict_text(d.leaf.verdict) + ", replaying the rules gives " + verdict_text(verdict));
  }
  if (domain::is_admin_kind(e.kind) && verdict.outcome != domain::Outcome::rejected && !genesis &&
      (!author || author->role != domain::Role::admin)) {
    findings.add(check::admin_not_by_admin, d.index, e.principal, e.seq,
                 std::string(domain::kind_name(e.kind)) + " by a principal that is not an admin");
  }
  judged_.push_back({at_, std::move(verdict)});  // for the report's facts (report_book.hpp)

  // Seal coverage: the last entry a seal covers must hash to its head.
  if (open_ && open_->seal.principal == e.principal && e.seq >= open_->seal.last_seq) {
    if (e.seq > open_->seal.last_seq || d.entry_hash != open_->seal.head) {
      findings.add(check::seal_coverage, open_->leaf, open_->seal.principal, open_->seal.last_seq,
                   e.seq > open_->seal.last_seq
                       ? "entries continue past the seal's last seq " + std::to_string(open_->seal.last_seq)
                       : "the seal's head hash is not the hash of the entry at " + leaf_str(d.index));
    }
    open_.reset();
  }
  return {};
}

Status LedgerChecker::finish(Findings& findings) {
  LONTAR_TRY(report_->finish());
  if (!open_) return {};
  if (open_->key_pending) LONTAR_TRY(check_key(nullptr, findings));
  findings.add(
      check::seal_coverage, open_->leaf, open_->seal.principal, open_->seal.last_seq,
      "the log ends before the entries this seal covers (up to seq " + std::to_string(open_->seal.last_seq) + ")");
  return {};
}

}  // namespace lontar::audit
