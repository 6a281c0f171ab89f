// rules.cpp — judge(), apply(), redact() and apply_redacted().
//
// Office entries are applied through their redaction (effect_of): the centre's
// full state and an office's replica fold exactly the same facts, so the office's
// offline judge() sees what the centre's does.
#include "rules/rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>

#include <type_traits>
#include <utility>

#include "crypto/crypto.hpp"
#include "encoding/encoding.hpp"

namespace lontar::rules {

using domain::EntryKind;
using domain::Outcome;
using domain::Programme;
using domain::Reason;
using domain::Rupiah;
using domain::Verdict;

Hash person_key(const NikKey& key, std::string_view nik) { return crypto::hmac_sha256(key, as_bytes(nik)); }

namespace {

// What a void must undo for an applied office entry (kept per applied entry).
struct Undo {
  Hash person{};
  domain::YearMonth first_month;
  std::uint16_t months = 0;
  Rupiah amount = 0;
  std::string reference;  // claim_no or receipt no

  template <class Archive>
  void serialize(Archive& ar) {
    ar(person, first_month, months, amount, encoding::bounded(reference, domain::code_bytes_max, "undo.reference"));
  }
};

// ---- reason texts ----

// Cuts `text` to the Verdict's text limit without splitting a UTF-8 sequence.
std::string bounded_text(std::string text) {
  if (text.size() <= domain::text_bytes_max) return text;
  std::size_t n = domain::text_bytes_max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  text.resize(n);
  return text;
}

Verdict rejected(std::string_view code, std::string text) {
  return Verdict{Outcome::rejected, {Reason{std::string(code), bounded_text(std::move(text))}}};
}

// "Rp 24.000.000" (Indonesian digit grouping).
std::string rp(Rupiah amount) {
  const auto magnitude = amount < 0 ? 0 - static_cast<std::uint64_t>(amount) : static_cast<std::uint64_t>(amount);
  std::string digits = std::to_string(magnitude);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += '.';
    out += digits[i];
  }
  return (amount < 0 ? "Rp -" : "Rp ") + out;
}

std::string entry_ref(std::string_view principal, std::uint64_t seq) {
  return fmt::format("{} seq {}", principal, seq);
}

// Collects flags; an empty list means accepted.
struct Flags {
  std::vector<Reason> reasons;
  void add(std::string_view code, std::string text) {
    reasons.push_back(Reason{std::string(code), bounded_text(std::move(text))});
  }
  Verdict verdict() && {
    if (reasons.empty()) return Verdict{};
    return Verdict{Outcome::flagged, std::move(reasons)};
  }
};

// ---- judging, one function per payload kind ----

struct Judge {
  const chain::Entry& entry;
  const StateView& state;
  const Hash& person;  // person_key of the payload's NIK (zero if it has none)

  Result<Verdict> operator()(const domain::PrincipalRegister& p) const {
    LONTAR_ASSIGN(auto existing, state.principal(p.principal_id));
    if (existing && existing->role != p.role) {
      return rejected(reason::role_change,
                      fmt::format("principal {} is registered as {} and cannot become {}; register the {} under a "
                                  "new id instead",
                                  p.principal_id, domain::role_name(existing->role), domain::role_name(p.role),
                                  domain::role_name(p.role)));
    }
    return Verdict{};
  }

  Result<Verdict> operator()(const domain::PrincipalRevoke& p) const {
    LONTAR_ASSIGN(bool active, state.key_active(p.principal_id, p.key));
    if (!active) {
      return rejected(reason::unknown_key,
                      fmt::format("key {} is not an active key of principal {}; check the id and the fingerprint "
                                  "(nothing was revoked)",
                                  crypto::fingerprint(p.key), p.principal_id));
    }
    return Verdict{};
  }

  Result<Verdict> operator()(const domain::ScheduleSet&) const { return Verdict{}; }

  Result<Verdict> operator()(const domain::ParticipantEnroll&) const {
    LONTAR_ASSIGN(auto existing, state.participant(person));
    if (existing) {
      // The other office by id and name and the enrollment by its coverage start: a seq
      // means nothing to the clerk. (The lookup's error is returned, never worded around.)
      LONTAR_ASSIGN(auto office, state.principal(existing->principal));
      const std::string other = office && !office->name.empty()
                                    ? fmt::format("{} ({})", existing->principal, office->name)
                                    : existing->principal;
      return rejected(reason::duplicate_enrollment,
                      fmt::format("this NIK is already enrolled by {}, coverage from {}; do not enroll the person "
                                  "again: record contributions and claims on that enrollment, or ask {} to void "
                                  "its enrollment if it was a mistake",
                                  other, domain::to_string(existing->coverage_start), existing->principal));
    }
    return Verdict{};
  }

  Result<Verdict> operator()(const domain::ParticipantUpdate& p) const {
    LONTAR_ASSIGN(auto who, state.participant(person));
    if (!who) return unknown_participant();
    // A corrected birth date must leave the enrollment as valid as domain::validate
    // requires of an enrollment: coverage starts on or after birth, at an age <= 120.
    if (p.birth_date) {
      const domain::Date birth = *p.birth_date;
      const domain::Date start = who->coverage_start;
      // The text goes to other offices in redactions: it names no birth date.
      if (start < birth) {
        return rejected(reason::birth_date_conflict,
                        fmt::format("the corrected birth date is after the coverage start {} of the enrollment "
                                    "({}); check the birth date — if the coverage start is wrong, void the "
                                    "enrollment and enroll again",
                                    domain::to_string(start), entry_ref(who->principal, who->seq)));
      }
      if (domain::age_on(birth, start) > domain::age_years_max) {
        return rejected(
            reason::birth_date_conflict,
            fmt::format("the corrected birth date makes the person older than {} at the coverage "
                        "start {} ({}); check the birth date",
                        domain::age_years_max, domain::to_string(start), entry_ref(who->principal, who->seq)));
      }
    }
    return Verdict{};
  }

  Result<Verdict> operator()(const domain::ContributionPaid& p) const {
    LONTAR_ASSIGN(auto who, state.participant(person));
    if (!who) return unknown_participant();
    LONTAR_ASSIGN(bool used, state.receipt_used(entry.principal, p.receipt_no));
    if (used) {
      return rejected(reason::duplicate_receipt,
                      fmt::format("receipt {} was already used by {}; give each payment its own receipt number, "
                                  "or void the earlier contribution if the payment was recorded twice",
                                  p.receipt_no, entry.principal));
    }
    return Verdict{};
  }

  Result<Verdict> operator()(const domain::ClaimFiled& p) const {
    LONTAR_ASSIGN(auto who, state.participant(person));
    if (!who) return unknown_participant();
    LONTAR_ASSIGN(auto existing, state.claim(p.claim_no));
    if (existing) {
      return rejected(reason::duplicate_claim,
                      fmt::format("claim number {} is already used ({}); claim numbers are unique in the whole "
                                  "ledger: give this claim a new number",
                                  p.claim_no, entry_ref(existing->principal, existing->seq)));
    }
    if (!domain::contains(who->programmes, p.programme)) {
      return rejected(reason::programme_not_enrolled,
                      fmt::format("the person is enrolled in {} ({}), not in {}; file the claim under an enrolled "
                                  "programme, or enroll the person in {} for future events",
                                  domain::programmes_to_string(who->programmes), entry_ref(who->principal, who->seq),
                                  domain::programme_name(p.programme), domain::programme_name(p.programme)));
    }
    Flags flags;
    if (p.event_date < who->coverage_start) {
      flags.add(reason::event_before_coverage,
                fmt::format("event date {} is before the coverage start {} ({}); check both dates — if both are "
                            "right, the claim can stand flagged for an auditor to review",
                            domain::to_string(p.event_date), domain::to_string(who->coverage_start),
                            entry_ref(who->principal, who->seq)));
    }
    return std::move(flags).verdict();
  }

  Result<Verdict> operator()(const domain::PayoutMade& p) const {
    LONTAR_ASSIGN(auto claim, state.claim(p.claim_no));
    if (!claim) {
      return rejected(reason::unknown_claim,
                      fmt::format("claim {} is not on the ledger (never filed, rejected or voided); file the claim "
                                  "first, or check the claim number",
                                  p.claim_no));
    }
    Flags flags;
    LONTAR_ASSIGN(auto item, state.schedule(claim->programme, claim->event_date));
    const char* programme = domain::programme_name(claim->programme);
    if (item && item->benefit_max > 0) {
      if (p.amount > item->benefit_max) {
        flags.add(reason::above_schedule,
                  fmt::format("payout {} is above the {} benefit of {} in force on {}, the event date of claim {}; "
                              "justify or recover the excess — an auditor will review it",
                              rp(p.amount), programme, rp(item->benefit_max), domain::to_string(claim->event_date),
                              p.claim_no));
      }
      if (claim->paid > 0 && claim->paid + p.amount > item->benefit_max) {
        flags.add(reason::claim_overpaid,
                  fmt::format("payouts on claim {} now add up to {}, above the {} benefit of {}; if a payment was "
                              "recorded twice, void it — else an auditor will review the excess",
                              p.claim_no, rp(claim->paid + p.amount), programme, rp(item->benefit_max)));
      }
    }
    if (claim->programme == Programme::jkm) {
      LONTAR_ASSIGN(Rupiah total, state.death_benefits_paid(claim->person));
      if (total - claim->paid > 0) {
        flags.add(reason::second_death_benefit,
                  fmt::format("this person already received {} of death benefit (JKM) on another claim; a person "
                              "dies once — check for a duplicate claim; an auditor will review this payout",
                              rp(total - claim->paid)));
      }
    }
    LONTAR_ASSIGN(bool covered, state.covered(claim->person, domain::month_of(claim->event_date)));
    if (!covered) {
      flags.add(reason::no_coverage,
                fmt::format("no paid contribution covers {}, the month of the event of claim {}; record the "
                            "contribution if it was paid — else an auditor will review this payout",
                            domain::to_string(domain::month_of(claim->event_date)), p.claim_no));
    }
    return std::move(flags).verdict();
  }

  Result<Verdict> operator()(const domain::EntryVoid& p) const {
    const std::string target = entry_ref(p.target_principal, p.target_seq);
    auto invalid = [&](std::string why) {
      return rejected(reason::void_target_invalid, fmt::format("cannot void {}: {}", target, why));
    };
    if (p.target_principal != entry.principal) {
      return invalid(fmt::format("an office voids only its own entries; ask {} to void it", p.target_principal));
    }
    LONTAR_ASSIGN(auto applied, state.applied(p.target_principal, p.target_seq));
    if (!applied) return invalid("no applied entry has that seq (never recorded, or rejected); check the seq");
    if (applied->voided) return invalid("it is already voided; nothing to do");
    if (applied->kind == EntryKind::entry_void) {
      return invalid("it is itself a void, and a void cannot be undone; record the corrected entry again");
    }
    if (applied->kind == EntryKind::claim_filed) {
      LONTAR_ASSIGN(Undo undo, encoding::decode<Undo>(applied->undo, "undo record"));
      LONTAR_ASSIGN(auto claim, state.claim(undo.reference));
      if (claim && claim->paid != 0) {
        return invalid(
            fmt::format("claim {} has payouts of {}; void those payouts first", undo.reference, rp(claim->paid)));
      }
    }
    return Verdict{};
  }

  static Verdict unknown_participant() {
    return rejected(reason::unknown_participant,
                    "this NIK has no active enrollment; check the NIK for a typing error, or enroll the person "
                    "first (participant.enroll)");
  }
};

// Genesis (rules.hpp): the entry registers its own writer as admin. The one place
// that says who may write into a ledger without principals; seal_allowed() and
// judge_decoded() both ask it.
const domain::PrincipalRegister* genesis_registration(const chain::Entry& entry, const domain::Payload& payload) {
  const auto* reg = std::get_if<domain::PrincipalRegister>(&payload);
  return reg && reg->role == domain::Role::admin && reg->principal_id == entry.principal ? reg : nullptr;
}

// The person key of the payload's NIK; zero for kinds without a NIK. Computed once
// per entry (an HMAC) and shared by judging and applying.
Hash person_of(const domain::Payload& payload, const NikKey& key) {
  return std::visit(
      [&key](const auto& p) {
        if constexpr (requires { p.nik; }) {
          return person_key(key, p.nik);
        } else {
          return Hash{};
        }
      },
      payload);
}

// The facts of an office entry that its effect (and its redaction) needs.
protocol::RedactedEntry effect_of(const chain::Entry& entry, const domain::Payload& payload, const Verdict& verdict,
                                  const Hash& person) {
  protocol::RedactedEntry r;
  r.principal = entry.principal;
  r.seq = entry.seq;
  r.kind = entry.kind;
  r.verdict = verdict;
  r.nik_key = person;
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, domain::ParticipantEnroll>) {
          r.programmes = p.programmes;
          r.date = p.coverage_start;
        } else if constexpr (std::is_same_v<T, domain::ContributionPaid>) {
          r.first_month = p.first_month;
          r.months = p.months;
          for (const auto& a : p.amounts) r.amount += a.amount;
          r.reference = p.receipt_no;
        } else if constexpr (std::is_same_v<T, domain::ClaimFiled>) {
          r.programmes = domain::programme_bit(p.programme);
          r.date = p.event_date;
          r.reference = p.claim_no;
        } else if constexpr (std::is_same_v<T, domain::PayoutMade>) {
          r.amount = p.amount;
          r.reference = p.claim_no;
        } else if constexpr (std::is_same_v<T, domain::EntryVoid>) {
          r.target_principal = p.target_principal;
          r.target_seq = p.target_seq;
        }
      },
      payload);
  return r;
}

std::optional<Programme> single_programme(domain::ProgrammeSet set) {
  for (Programme p : {Programme::jkk, Programme::jkm, Programme::jht}) {
    if (set == domain::programme_bit(p)) return p;
  }
  return std::nullopt;
}

// Cancels the effect of an applied entry (the target of a void).
Status undo_effect(std::string_view principal, std::uint64_t seq, const StateView::Applied& applied, State& state) {
  LONTAR_ASSIGN(Undo undo, encoding::decode<Undo>(applied.undo, "undo record"));
  switch (applied.kind) {
    case EntryKind::participant_enroll: {
      LONTAR_ASSIGN(auto active, state.participant(undo.person));
      if (active && active->principal == principal && active->seq == seq)
        LONTAR_TRY(state.end_participant(undo.person));
      return {};
    }
    case EntryKind::contribution_paid:
      LONTAR_TRY(state.add_coverage(undo.person, undo.first_month, undo.months, -1));
      return state.remove_receipt(principal, undo.reference);
    case EntryKind::claim_filed:
      return state.end_claim(undo.reference);
    case EntryKind::payout_made:
      return state.add_paid(undo.reference, -undo.amount);
    default:
      return {};
  }
}

// Folds the effect of an applied office entry (full or redacted) into the state.
Status fold(const protocol::RedactedEntry& r, State& state) {
  Undo undo{r.nik_key, r.first_month, r.months, r.amount, r.reference};
  switch (r.kind) {
    case EntryKind::participant_enroll:
      LONTAR_TRY(state.put_participant(r.nik_key, {r.principal, r.seq, r.programmes, r.date}));
      break;
    case EntryKind::participant_update:
      break;
    case EntryKind::contribution_paid:
      LONTAR_TRY(state.add_coverage(r.nik_key, r.first_month, r.months, +1));
      LONTAR_TRY(state.put_receipt(r.principal, r.reference));
      break;
    case EntryKind::claim_filed: {
      auto programme = single_programme(r.programmes);
      if (!programme) {
        return Error{Code::corrupt, fmt::format("{}: claim.filed names no single programme (bits {:#x})",
                                                entry_ref(r.principal, r.seq), r.programmes)};
      }
      LONTAR_TRY(state.put_claim(r.reference, {r.nik_key, r.principal, r.seq, *programme, r.date, 0}));
      break;
    }
    case EntryKind::payout_made:
      LONTAR_TRY(state.add_paid(r.reference, r.amount));
      break;
    case EntryKind::entry_void: {
      LONTAR_ASSIGN(auto target, state.applied(r.target_principal, r.target_seq));
      if (target && !target->voided && target->kind != EntryKind::entry_void) {
        LONTAR_TRY(undo_effect(r.target_principal, r.target_seq, *target, state));
        LONTAR_TRY(state.mark_voided(r.target_principal, r.target_seq));
      }
      undo = Undo{};
      break;
    }
    default:
      return Error{Code::bad_input, fmt::format("{}: {} is an admin entry; admin entries are applied in full with "
                                                "apply(), never redacted",
                                                entry_ref(r.principal, r.seq), domain::kind_name(r.kind))};
  }
  LONTAR_ASSIGN(Bytes undo_bytes, encoding::encode(undo));
  return state.put_applied(r.principal, r.seq, r.kind, undo_bytes);
}

// The payload of an entry that was not rejected: that it does not decode is corruption.
Status check_applied(const chain::Entry& entry, const Result<domain::Payload>& payload) {
  if (payload.ok()) return {};
  return Error{Code::corrupt, fmt::format("{}: the entry was not rejected but its payload does not decode ({}); "
                                          "the log or the verdict is damaged",
                                          entry_ref(entry.principal, entry.seq), payload.error().message)};
}

// judge() on an already decoded and validated payload, with its person key.
Result<Verdict> judge_decoded(const chain::Entry& entry, const Result<domain::Payload>& payload, const Status& valid,
                              const Hash& person, const StateView& state) {
  if (!payload.ok()) {
    return rejected(reason::invalid_payload,
                    fmt::format("{}; the entry is damaged or was written by an incompatible program — record it "
                                "again with lontar-agent",
                                payload.error().message));
  }
  if (!valid.ok()) return rejected(reason::invalid_payload, valid.error().message);
  LONTAR_ASSIGN(auto writer, state.principal(entry.principal));
  if (!writer) {
    LONTAR_ASSIGN(bool any, state.has_principals());
    if (!any && genesis_registration(entry, *payload) != nullptr) return Verdict{};
    return rejected(reason::unknown_principal,
                    fmt::format("principal {} is not registered in this ledger; ask the server admin to register "
                                "its key before its entries are pushed",
                                entry.principal));
  }
  if (writer->keys_active == 0) {
    return rejected(reason::principal_revoked,
                    fmt::format("every key of principal {} has been revoked, so its entries are refused; if the "
                                "office is still in service, ask the admin to register its new key",
                                entry.principal));
  }
  const domain::Role needed = domain::is_admin_kind(entry.kind) ? domain::Role::admin : domain::Role::office;
  if (writer->role != needed) {
    return rejected(reason::not_authorized,
                    fmt::format("{} is registered as {}, and only {} principals may write {}; record it from the "
                                "right principal",
                                entry.principal, domain::role_name(writer->role), domain::role_name(needed),
                                domain::kind_name(entry.kind)));
  }
  return std::visit(Judge{entry, state, person}, *payload);
}

// apply() of a non-rejected entry on its decoded payload, with its person key.
Status apply_decoded(const chain::Entry& entry, const domain::Payload& payload, const Verdict& verdict,
                     const Hash& person, State& state) {
  if (const auto* p = std::get_if<domain::PrincipalRegister>(&payload)) {
    return state.put_principal(p->principal_id, {p->role, p->name, p->scope, 0}, p->key);
  }
  if (const auto* p = std::get_if<domain::PrincipalRevoke>(&payload)) return state.revoke_key(p->principal_id, p->key);
  if (const auto* p = std::get_if<domain::ScheduleSet>(&payload)) return state.put_schedule(*p);
  return fold(effect_of(entry, payload, verdict, person), state);
}

}  // namespace

Prepared::Prepared(const chain::Entry& entry, const NikKey& key)
    : entry_(&entry), payload_(domain::decode_payload(entry.kind, entry.payload)) {
  if (payload_.ok()) {
    valid_ = domain::validate(*payload_);
    person_ = person_of(*payload_, key);
  }
}

Prepared::Prepared(const chain::Entry& entry, const domain::Payload& payload, const NikKey& key)
    : entry_(&entry), payload_(Error{Code::internal, "not prepared"}), valid_(domain::validate(payload)) {
  if (!valid_.ok()) {
    *this = Prepared(entry, key);
    return;
  }
#ifndef NDEBUG
  // The requirement, and that decoding the entry's payload gives `payload` back.
  auto decoded = domain::decode_payload(entry.kind, entry.payload);
  auto encoded = domain::encode_payload(payload);
  assert(encoded.ok() && *encoded == entry.payload);
  assert(decoded.ok() && domain::encode_payload(*decoded).value() == entry.payload);
#endif
  payload_ = payload;
  person_ = person_of(payload, key);
}

Result<Verdict> judge(const Prepared& entry, const StateView& state) {
  return judge_decoded(*entry.entry_, entry.payload_, entry.valid_, entry.person_, state);
}

Status apply(const Prepared& entry, const Verdict& verdict, State& state) {
  if (verdict.outcome == Outcome::rejected) return {};
  LONTAR_TRY(check_applied(*entry.entry_, entry.payload_));
  return apply_decoded(*entry.entry_, *entry.payload_, verdict, entry.person_, state);
}

Result<SealGrant> seal_allowed(const chain::Seal& seal, const chain::Entry* first, const StateView& state) {
  LONTAR_ASSIGN(bool any, state.has_principals());
  if (any) {
    LONTAR_ASSIGN(bool active, state.key_active(seal.principal, seal.key));
    return active ? SealGrant::registered_key : SealGrant::refused;
  }
  if (first == nullptr || first->seq != 1 || first->principal != seal.principal ||
      first->kind != domain::EntryKind::principal_register) {
    return SealGrant::refused;
  }
  auto payload = domain::decode_payload(first->kind, first->payload);
  if (!payload.ok()) return SealGrant::refused;
  const domain::PrincipalRegister* reg = genesis_registration(*first, *payload);
  return reg != nullptr && reg->key == seal.key ? SealGrant::genesis : SealGrant::refused;
}

Result<Verdict> judge(const chain::Entry& entry, const StateView& state) {
  return judge(Prepared(entry, state), state);
}

Status apply(const chain::Entry& entry, const Verdict& verdict, State& state) {
  if (verdict.outcome == Outcome::rejected) return {};  // not even decoded
  return apply(Prepared(entry, state), verdict, state);
}

Result<Verdict> judge_and_apply(const Prepared& entry, State& state) {
  LONTAR_ASSIGN(Verdict verdict, judge(entry, state));
  LONTAR_TRY(apply(entry, verdict, state));
  return verdict;
}

// Decodes the payload and computes the person key once for both steps.
Result<Verdict> judge_and_apply(const chain::Entry& entry, State& state) {
  return judge_and_apply(Prepared(entry, state), state);
}

std::string office_named(const StateView& state, const std::string& id) {
  auto office = state.principal(id);
  if (!office.ok() || !*office || (*office)->name.empty()) return id;
  return fmt::format("{} ({})", id, (*office)->name);
}

Status apply_redacted(const protocol::RedactedEntry& r, State& state) {
  if (r.verdict.outcome == Outcome::rejected) return {};
  // A redaction comes over the network: keep sums and ranges within what a valid entry can hold.
  constexpr Rupiah amount_max = domain::rupiah_max * 3;  // a contribution's total over three programmes
  if (r.amount < 0 || r.amount > amount_max || r.months > domain::contribution_months_max ||
      (r.kind == EntryKind::contribution_paid && r.months == 0)) {
    return Error{Code::corrupt,
                 fmt::format("{}: redacted {} has amount {} and months {}, outside what a valid entry "
                             "holds; the feed is damaged — sync again",
                             entry_ref(r.principal, r.seq), domain::kind_name(r.kind), r.amount, r.months)};
  }
  return fold(r, state);
}

Result<protocol::RedactedEntry> redact(const chain::Entry& entry, const Verdict& verdict, const NikKey& key) {
  protocol::RedactedEntry r;
  r.principal = entry.principal;
  r.seq = entry.seq;
  r.kind = entry.kind;
  // The outcome only: reason texts quote dates, amounts, seqs and (validation) NIKs or
  // names, and apply_redacted reads the outcome alone.
  r.verdict.outcome = verdict.outcome;
  if (verdict.outcome == Outcome::rejected) return r;  // folds nothing: the header is enough
  auto payload = domain::decode_payload(entry.kind, entry.payload);
  if (!payload.ok()) return check_applied(entry, payload).error();
  protocol::RedactedEntry effect = effect_of(entry, *payload, verdict, person_of(*payload, key));
  // Only what another office's offline judge() reads (docs/PROTOCOL.md, feed):
  switch (entry.kind) {
    case EntryKind::participant_enroll:  // duplicate enrollment; a claim's programme and coverage start
      r.nik_key = effect.nik_key;
      r.programmes = effect.programmes;
      r.date = effect.date;
      break;
    case EntryKind::contribution_paid:  // coverage of a payout's event month (receipts are checked per office)
      r.nik_key = effect.nik_key;
      r.first_month = effect.first_month;
      r.months = effect.months;
      break;
    case EntryKind::claim_filed:  // unique claim numbers; a payout's schedule, coverage and JKM checks
      r.nik_key = effect.nik_key;
      r.programmes = effect.programmes;
      r.date = effect.date;
      r.reference = effect.reference;
      break;
    case EntryKind::payout_made:  // a claim's paid total (overpaid, second death benefit)
      r.amount = effect.amount;
      r.reference = effect.reference;
      break;
    case EntryKind::entry_void:  // undoes the target's effect
      r.target_principal = effect.target_principal;
      r.target_seq = effect.target_seq;
      break;
    default:  // participant.update changes nothing the rules read
      break;
  }
  return r;
}

bool same_judgement(const domain::Verdict& a, const domain::Verdict& b) {
  return a.outcome == b.outcome &&
         std::equal(a.reasons.begin(), a.reasons.end(), b.reasons.begin(), b.reasons.end(),
                    [](const domain::Reason& x, const domain::Reason& y) { return x.code == y.code; });
}

}  // namespace lontar::rules
