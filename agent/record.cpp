#include "record.hpp"

#include <fmt/format.h>

#include "clerks.hpp"

namespace lontar::agent {

EntryIndex index_of(const domain::Payload& p) {
  using namespace domain;
  return std::visit(
      [](const auto& v) -> EntryIndex {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, ParticipantEnroll>) return {v.nik, v.name, ""};
        if constexpr (std::is_same_v<T, ParticipantUpdate>) return {v.nik, v.name.value_or(""), ""};
        if constexpr (std::is_same_v<T, ContributionPaid>) return {v.nik, "", v.receipt_no};
        if constexpr (std::is_same_v<T, ClaimFiled>) return {v.nik, v.claimant.name, v.claim_no};
        if constexpr (std::is_same_v<T, PayoutMade>) return {"", v.beneficiary, v.claim_no};
        if constexpr (std::is_same_v<T, EntryVoid>)
          return {"", "", fmt::format("{}#{}", v.target_principal, v.target_seq)};
        return {};
      },
      p);
}

Result<Recorder> Recorder::begin(Office& office, std::string operator_id) {
  if (operator_id.empty() || operator_id.size() > chain::operator_bytes_max) {
    return Error{Code::bad_input, fmt::format("--operator: must be 1..{} bytes (the clerk's id); set it or "
                                              "LONTAR_OPERATOR",
                                              chain::operator_bytes_max)};
  }
  LONTAR_ASSIGN(bool allowed, may_record(*office.store, operator_id));
  if (!allowed) {
    return Error{Code::bad_input, fmt::format("--operator {}: not an active clerk of this office (see `lontar-agent "
                                              "clerk list`)",
                                              operator_id)};
  }
  LONTAR_ASSIGN(auto* state, office.store->rules_state());
  LONTAR_ASSIGN(auto tx, office.store->begin());
  LONTAR_ASSIGN(Head head, office.store->head());
  return Recorder(office, std::move(tx), *state, std::move(operator_id), head);
}

Result<Appended> Recorder::append(const domain::Payload& payload, bool confirm) {
  LONTAR_ASSIGN(chain::Entry entry,
                chain::make_entry(office_->id, head_.seq + 1, head_.hash, now_ms(), operator_, payload));
  Appended out;
  const rules::Prepared prepared(entry, payload, state_->nik_key());  // keyed once for judge and apply
  LONTAR_ASSIGN(out.verdict, rules::judge(prepared, *state_));
  for (const auto& r : out.verdict.reasons) {
    // judge() runs domain::validate first: its message names the field and the fix.
    if (r.code == rules::reason::invalid_payload) return Error{Code::bad_input, r.text};
  }
  if (out.verdict.outcome == domain::Outcome::rejected) {
    out.status = AppendStatus::rejected;
    return out;
  }
  if (out.verdict.outcome == domain::Outcome::flagged && !confirm) {
    out.status = AppendStatus::needs_confirmation;
    return out;
  }
  LONTAR_ASSIGN(Bytes bytes, encoding::encode(entry));
  const Hash hash = chain::entry_hash_of_bytes(bytes);
  const EntryIndex ix = index_of(payload);
  LONTAR_TRY(office_->store->insert_entry(Store::NewEntry{.entry = entry,
                                                          .bytes = bytes,
                                                          .hash = hash,
                                                          .local_verdict = out.verdict,
                                                          .confirmed = out.verdict.outcome == domain::Outcome::flagged,
                                                          .nik = ix.nik,
                                                          .name = ix.name,
                                                          .ref = ix.ref},
                                          Store::Outbox::later));
  LONTAR_TRY(rules::apply(prepared, out.verdict, *state_));
  if (appended_ == 0) first_seq_ = entry.seq;
  head_ = Head{entry.seq, hash};
  out.seq = entry.seq;
  out.hash = hash;
  ++appended_;
  if (++unsealed_ == chain::batch_entries_max) LONTAR_TRY(seal());
  return out;
}

Result<chain::Seal> Recorder::seal() {
  chain::Seal s = chain::make_seal(office_->id, head_.seq, head_.hash, now_ms(), office_->key);
  LONTAR_TRY(office_->store->insert_seal(s));
  unsealed_ = 0;
  ++seals_;
  return s;
}

Result<std::optional<chain::Seal>> Recorder::commit() {
  std::optional<chain::Seal> last;
  if (unsealed_ > 0) {
    LONTAR_ASSIGN(last, seal());
  } else if (appended_ > 0) {
    LONTAR_ASSIGN(last, office_->store->last_seal());
  }
  if (appended_ > 0) LONTAR_TRY(office_->store->add_to_outbox(first_seq_, head_.seq));
  LONTAR_TRY(overlay_->flush());
  LONTAR_TRY(tx_.commit());
  return last;
}

Result<Appended> record_entry(Office& office, const std::string& operator_id, domain::Payload payload, bool confirm) {
  if (auto* v = std::get_if<domain::EntryVoid>(&payload); v && v->target_principal.empty()) {
    v->target_principal = office.id;  // an office voids its own entries
  }
  LONTAR_ASSIGN(auto rec, Recorder::begin(office, operator_id));
  LONTAR_ASSIGN(Appended a, rec.append(payload, confirm));
  if (a.status == AppendStatus::recorded) LONTAR_TRY(rec.commit());
  return a;
}

}  // namespace lontar::agent
