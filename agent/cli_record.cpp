// lontar-agent enroll | contribute | claim | pay | update | void: one entry each,
// validated, judged against the local state, sealed and durable before exit.
#include <fmt/format.h>
#include <algorithm>

#include "base/clock.hpp"
#include "cli.hpp"
#include "import.hpp"
#include "record.hpp"
#include "regency.hpp"
#include "values.hpp"

namespace lontar::agent::cli {

namespace {

struct Common {
  std::string operator_id = default_operator();
  bool confirm = false;
};

void add_common(CLI::App* cmd, Common& c) {
  cmd->add_option("--operator", c.operator_id, "the clerk's id (default $LONTAR_OPERATOR, else $USER)");
  cmd->add_flag("--confirm", c.confirm, "record a flagged entry (e.g. a payout above the schedule) anyway");
}

template <class T>
bool take(Context& ctx, const char* flag, Result<T> r, T& out) {
  if (!r.ok()) {
    ctx.exit_code = fail(Error{Code::bad_input, fmt::format("{}: {}", flag, r.error().message)});
    return false;
  }
  out = std::move(r).value();
  return true;
}

// How far ahead of today (office clock) a contribution's first month may lie:
// a year paid in advance, never more.
constexpr int contribution_months_ahead_max = 12;

// A date as import reads it, not after today plus `days_ahead` (refused with today's date).
Result<domain::Date> partner_date(const std::string& text, int days_ahead, const char* what) {
  const domain::Date now = today();
  LONTAR_ASSIGN(auto d, parse_partner_date(text, now.year));
  if (domain::days_since_epoch(d) > domain::days_since_epoch(now) + days_ahead) {
    return Error{Code::bad_input,
                 days_ahead == 0
                     ? fmt::format("{} ada di masa depan / is in the future: {} is after today, {}", what,
                                   domain::to_string(d), domain::to_string(now))
                     : fmt::format("{}: {} lebih dari {} hari setelah hari ini / is more than {} days after today, {}",
                                   what, domain::to_string(d), days_ahead, days_ahead, domain::to_string(now))};
  }
  return d;
}

Result<domain::Rupiah> amount(const std::string& text) { return parse_rupiah(text); }

constexpr std::size_t nik_digits = 16;

// A typed NIK cleaned as import cleans it; a wrong length says so in the clerk's
// words (the format's own limit text would name bytes).
Result<std::string> typed_nik(const std::string& text) {
  LONTAR_ASSIGN(auto nik, clean_nik(text));
  const bool all_digits =
      !nik.empty() && std::all_of(nik.begin(), nik.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (all_digits && nik.size() != nik_digits) {
    return Error{Code::bad_input, i18n::tr(i18n::lang_from_env(), "record.nik_length", nik.size())};
  }
  return nik;
}

// Text within a limit counted in characters.
Result<std::string> typed_text(const std::string& text, std::size_t chars_max) {
  if (const std::size_t chars = utf8_chars(text); chars > chars_max) {
    return Error{Code::bad_input, i18n::tr(i18n::lang_from_env(), "record.too_long", chars, chars_max)};
  }
  return text;
}

// "NAME:RELATION[:NIK]"
Result<domain::Heir> parse_heir(const std::string& text) {
  domain::Heir h;
  auto a = text.find(':');
  if (a == std::string::npos) {
    return Error{Code::bad_input, fmt::format("'{}' is not NAME:RELATION[:NIK], e.g. \"Siti Aminah:spouse\"", text)};
  }
  LONTAR_ASSIGN(h.name, typed_text(text.substr(0, a), domain::name_chars_max));
  auto b = text.find(':', a + 1);
  LONTAR_ASSIGN(h.relation, parse_relation(text.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1)));
  if (b != std::string::npos) {
    LONTAR_ASSIGN(h.nik, typed_nik(text.substr(b + 1)));
  }
  return h;
}

bool heirs(Context& ctx, const std::vector<std::string>& texts, std::vector<domain::Heir>& out) {
  for (const auto& t : texts) {
    domain::Heir h;
    if (!take(ctx, "--heir", parse_heir(t), h)) return false;
    out.push_back(std::move(h));
  }
  return true;
}

// Which other office enrolled the person of an enrollment, from the replica's
// redacted view (office id and name, coverage start); "" when it is this office or unknown.
std::string enrolled_elsewhere(Office& office, const domain::Payload& payload, i18n::Lang lang) {
  const auto* p = std::get_if<domain::ParticipantEnroll>(&payload);
  if (!p) return "";
  auto state = office.store->rules_state();
  if (!state.ok()) return "";
  auto who = (*state)->participant(rules::person_key((*state)->nik_key(), p->nik));
  if (!who.ok() || !*who || (*who)->principal == office.id) return "";
  const domain::Date d = (*who)->coverage_start;
  return i18n::tr(lang, "record.enrolled_elsewhere", rules::office_named(**state, (*who)->principal),
                  i18n::date(lang, d.year, d.month, d.day));
}

int record_one(Context& ctx, const Common& c, domain::Payload payload) {
  auto office = open(ctx);
  if (!office.ok()) return fail(office.error());
  auto a = record_entry(*office, c.operator_id, payload, c.confirm);
  if (!a.ok()) return fail(a.error());
  const i18n::Lang lang = ctx.lang;
  if (a->status != AppendStatus::recorded) {
    const bool rejected = a->status == AppendStatus::rejected;
    for (const auto& r : a->verdict.reasons) {
      fmt::print(stderr, "{}\n",
                 i18n::tr(lang, rejected ? "record.rejected" : "record.flagged",
                          i18n::reason_text(lang, r.code, r.text), r.code));
      if (r.code == "duplicate_enrollment") {
        // At a second office `show --nik` finds nothing: say what the replica knows instead.
        if (auto other = enrolled_elsewhere(*office, payload, lang); !other.empty()) {
          fmt::print(stderr, "{}\n", i18n::tr(lang, "record.hint", other));
          continue;
        }
      }
      if (auto hint = i18n::reason_hint(lang, r.code); rejected && !hint.empty()) {
        fmt::print(stderr, "{}\n", i18n::tr(lang, "record.hint", hint));
      }
    }
    if (!rejected) fmt::print(stderr, "{}\n", i18n::text(lang, "record.needs_confirm"));
    return rejected ? exit_rejected : exit_confirm;
  }
  fmt::print("{}\n", i18n::tr(lang, "record.recorded", domain::kind_name(domain::kind_of(payload)), office->id, a->seq,
                              to_hex(a->hash).substr(0, 16)));
  for (const auto& r : a->verdict.reasons) {
    fmt::print("{}\n", i18n::tr(lang, "record.flagged_note", i18n::reason_text(lang, r.code, r.text), r.code));
  }
  return exit_ok;
}

// Whether an update would leave the person's details as this office last recorded
// them (the enrollment as its updates not voided left it: Store::own_enrollment).
Result<bool> changes_nothing(Office& office, const domain::ParticipantUpdate& u) {
  LONTAR_ASSIGN(auto had, office.store->own_enrollment(u.nik));
  if (!had) return false;  // enrolled elsewhere: the rules judge it
  auto same_heir = [](const domain::Heir& a, const domain::Heir& b) {
    return a.name == b.name && a.relation == b.relation && a.nik == b.nik;
  };
  return (!u.phone || u.phone == had->phone) && (!u.address || u.address == had->address) &&
         (!u.replace_heirs ||
          std::equal(u.heirs.begin(), u.heirs.end(), had->heirs.begin(), had->heirs.end(), same_heir)) &&
         (!u.name || u.name == had->name) && (!u.birth_date || u.birth_date == had->birth_date) &&
         (!u.occupation || u.occupation == had->occupation);
}

// Shows the entry `seq` that a void would cancel; false when this office has none.
Result<bool> preview_void(Context& ctx, Office& office, std::uint64_t seq) {
  Store::EntryQuery q;
  q.office_id = office.id;
  q.seq = seq;
  bool found = false;
  LONTAR_TRY(office.store->query_entries(q, [&](const Store::ListedEntry& e) -> Result<bool> {
    found = true;
    fmt::print("{}\n",
               i18n::tr(ctx.lang, "void.preview", e.seq,
                        i18n::text(ctx.lang, std::string("kind.") + domain::kind_name(e.kind)), e.nik,
                        e.name.empty() ? e.ref : e.name, utc_text(e.recorded_at_ms, "%Y-%m-%d %H:%MZ"), e.operator_id));
    return false;
  }));
  return found;
}

void add_enroll(CLI::App& app, Context& ctx) {
  struct O {
    Common c;
    domain::ParticipantEnroll p;
    std::string birth, sex, programmes = "JKK+JKM", start, regency, income, phone;
    std::vector<std::string> heirs;
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand("enroll", "enroll a participant (participant.enroll)");
  cmd->add_option("--nik", o->p.nik, "16-digit NIK")->required();
  cmd->add_option("--name", o->p.name, "full name")->required();
  cmd->add_option("--birth-date", o->birth, "17-08-1980, 17/8/1980, 17 Agustus 1980 or 1980-08-17; not in the future")
      ->required();
  cmd->add_option("--sex", o->sex, "L/P (laki-laki/perempuan, male/female); default: what the NIK says");
  cmd->add_option("--regency", o->regency,
                  "regency or city, code or name (3578, Kota Surabaya); default: the NIK's first four digits");
  cmd->add_option("--occupation", o->p.occupation, "occupation group: TAGANA, TKSK, KPM_PKH, ...")->required();
  cmd->add_option("--sponsor", o->p.sponsor, "collective/sponsor code, e.g. DINSOS-JATIM; empty = self");
  cmd->add_option("--income", o->income, "declared monthly income in rupiah: 1500000, 1.500.000 or Rp 1.500.000");
  cmd->add_option("--programmes", o->programmes, "JKK+JKM[+JHT]")->capture_default_str();
  cmd->add_option("--coverage-start", o->start, "a date as for --birth-date; at most 92 days after today")->required();
  cmd->add_option("--phone", o->phone, "phone number: 0812-3456-7890, +62 812 3456 7890 ...");
  cmd->add_option("--address", o->p.address, "address");
  cmd->add_option("--heir", o->heirs, "an heir as NAME:RELATION[:NIK] (repeat for several)");
  add_common(cmd, o->c);
  cmd->callback([o, &ctx] {
    auto p = o->p;
    if (!take(ctx, "--nik", typed_nik(p.nik), p.nik)) return;
    if (!take(ctx, "--name", typed_text(p.name, domain::name_chars_max), p.name)) return;
    if (!take(ctx, "--address", typed_text(p.address, domain::text_chars_max), p.address)) return;
    if (!take(ctx, "--birth-date", partner_date(o->birth, 0, "birth date"), p.birth_date)) return;
    if (!take(ctx, "--coverage-start", partner_date(o->start, coverage_start_days_ahead_max, "coverage start"),
              p.coverage_start)) {
      return;
    }
    if (!take(ctx, "--programmes", domain::parse_programmes(o->programmes), p.programmes)) return;
    if (o->sex.empty()) {
      p.sex = sex_from_nik(p.nik);
    } else if (!take(ctx, "--sex", parse_partner_sex(o->sex), p.sex)) {
      return;
    }
    const std::string nik_regency = p.nik.substr(0, 4);
    if (o->regency.empty()) {
      p.regency_code = nik_regency;
    } else if (!take(ctx, "--regency", parse_regency(o->regency, nik_regency), p.regency_code)) {
      return;
    }
    if (!o->income.empty() && !take(ctx, "--income", amount(o->income), p.declared_income)) return;
    if (!take(ctx, "--phone", normalize_phone(o->phone), p.phone)) return;
    p.occupation = normalize_code(p.occupation);
    if (!heirs(ctx, o->heirs, p.heirs)) return;
    ctx.exit_code = record_one(ctx, o->c, p);
  });
}

void add_contribute(CLI::App& app, Context& ctx) {
  struct O {
    Common c;
    domain::ContributionPaid p;
    std::string first, jkk, jkm, jht;
  };
  auto o = std::make_shared<O>();
  o->p.payer = "SELF";
  auto* cmd = app.add_subcommand("contribute", "record a contribution payment (contribution.paid)");
  cmd->add_option("--nik", o->p.nik, "the participant's NIK")->required();
  cmd->add_option("--first-month", o->first, "first month paid: 2018-05, 05/2018 or Mei 2018; at most 12 months ahead")
      ->required();
  cmd->add_option("--months", o->p.months, "number of months paid (1..120)")->capture_default_str();
  cmd->add_option("--jkk", o->jkk, "amount paid for JKK, rupiah (total for all months): 30000, 30.000, Rp 30.000");
  cmd->add_option("--jkm", o->jkm, "amount paid for JKM, rupiah");
  cmd->add_option("--jht", o->jht, "amount paid for JHT, rupiah");
  cmd->add_option("--payer", o->p.payer, "SELF or the sponsor's code")->capture_default_str();
  cmd->add_option("--receipt", o->p.receipt_no, "receipt number (unique per office)")->required();
  add_common(cmd, o->c);
  cmd->callback([o, &ctx] {
    auto p = o->p;
    if (!take(ctx, "--nik", typed_nik(p.nik), p.nik)) return;
    if (!take(ctx, "--first-month", parse_partner_month(o->first), p.first_month)) return;
    const domain::YearMonth this_month = domain::month_of(today());
    if (domain::months_between(this_month, p.first_month) > contribution_months_ahead_max) {
      ctx.exit_code =
          fail(Error{Code::bad_input,
                     fmt::format("--first-month: {} lebih dari {} bulan setelah bulan ini / is more than {} months "
                                 "after this month, {}",
                                 domain::to_string(p.first_month), contribution_months_ahead_max,
                                 contribution_months_ahead_max, domain::to_string(this_month))});
      return;
    }
    const std::pair<const char*, const std::string*> amounts[] = {
        {"--jkk", &o->jkk}, {"--jkm", &o->jkm}, {"--jht", &o->jht}};
    const domain::Programme programmes[] = {domain::Programme::jkk, domain::Programme::jkm, domain::Programme::jht};
    for (std::size_t i = 0; i < std::size(amounts); ++i) {
      if (amounts[i].second->empty()) continue;
      domain::Rupiah value = 0;
      if (!take(ctx, amounts[i].first, amount(*amounts[i].second), value)) return;
      p.amounts.push_back({programmes[i], value});
    }
    ctx.exit_code = record_one(ctx, o->c, p);
  });
}

void add_claim(CLI::App& app, Context& ctx) {
  struct O {
    Common c;
    domain::ClaimFiled p;
    std::string programme = "JKM", event, relation = "other";
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand("claim", "file a claim: JKM (death) or JKK (work accident) (claim.filed)");
  cmd->add_option("--claim-no", o->p.claim_no, "claim number, e.g. SBY-RUNGKUT/2018/0001")->required();
  cmd->add_option("--nik", o->p.nik, "the participant's NIK")->required();
  cmd->add_option("--programme", o->programme, "JKM or JKK")->capture_default_str();
  cmd->add_option("--event-date", o->event, "date of death or accident, as for enroll --birth-date; not in the future")
      ->required();
  cmd->add_option("--claimant-name", o->p.claimant.name, "who files the claim (the heir)")->required();
  cmd->add_option("--claimant-relation", o->relation,
                  "suami, istri, anak, orang tua, saudara, lainnya (or spouse, child, parent, sibling, other)")
      ->capture_default_str();
  cmd->add_option("--claimant-nik", o->p.claimant.nik, "the claimant's NIK, if known");
  add_common(cmd, o->c);
  cmd->callback([o, &ctx] {
    auto p = o->p;
    if (!take(ctx, "--programme", domain::parse_programme(o->programme), p.programme)) return;
    if (!take(ctx, "--nik", typed_nik(p.nik), p.nik)) return;
    if (!take(ctx, "--event-date", partner_date(o->event, 0, "event date"), p.event_date)) return;
    if (!take(ctx, "--claimant-name", typed_text(p.claimant.name, domain::name_chars_max), p.claimant.name)) return;
    if (!p.claimant.nik.empty() && !take(ctx, "--claimant-nik", typed_nik(p.claimant.nik), p.claimant.nik)) return;
    if (!take(ctx, "--claimant-relation", parse_relation(o->relation), p.claimant.relation)) return;
    ctx.exit_code = record_one(ctx, o->c, p);
  });
}

void add_pay(CLI::App& app, Context& ctx) {
  struct O {
    Common c;
    domain::PayoutMade p;
    std::string method = "bank", amount;
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand("pay", "record a benefit payout on a claim (payout.made)");
  cmd->add_option("--claim-no", o->p.claim_no, "the claim paid")->required();
  cmd->add_option("--amount", o->amount, "amount paid, rupiah: 24000000, 24.000.000 or Rp 24.000.000")->required();
  cmd->add_option("--beneficiary", o->p.beneficiary, "who received it")->required();
  cmd->add_option("--method", o->method, "transfer/bank or tunai/cash")->capture_default_str();
  cmd->add_option("--reference", o->p.reference, "bank transfer or cash receipt reference")->required();
  add_common(cmd, o->c);
  cmd->callback([o, &ctx] {
    auto p = o->p;
    if (!take(ctx, "--amount", amount(o->amount), p.amount)) return;
    if (!take(ctx, "--beneficiary", typed_text(p.beneficiary, domain::name_chars_max), p.beneficiary)) return;
    if (!take(ctx, "--method", parse_method(o->method), p.method)) return;
    ctx.exit_code = record_one(ctx, o->c, p);
  });
}

void add_update(CLI::App& app, Context& ctx) {
  struct O {
    Common c;
    std::string nik;
    std::optional<std::string> phone, address, name, birth, occupation;
    std::vector<std::string> heirs;
    bool clear_heirs = false;
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand(
      "update",
      "change a participant's contact details or heirs, or correct the name, birth date or occupation "
      "(participant.update)");
  cmd->add_option("--nik", o->nik, "the participant's NIK")->required();
  cmd->add_option("--phone", o->phone, "new phone number");
  cmd->add_option("--address", o->address, "new address");
  cmd->add_option("--heir", o->heirs, "the new list of heirs, NAME:RELATION[:NIK] each (replaces the old list)");
  cmd->add_flag("--clear-heirs", o->clear_heirs, "remove all heirs");
  cmd->add_option("--name", o->name, "the corrected full name");
  cmd->add_option("--birth-date", o->birth,
                  "the corrected birth date, as for enroll; it must agree with the NIK (day, month, year's last two "
                  "digits)");
  cmd->add_option("--occupation", o->occupation, "the corrected occupation group: TAGANA, TKSK, KPM_PKH, ...");
  add_common(cmd, o->c);
  cmd->callback([o, &ctx] {
    domain::ParticipantUpdate p;
    if (!take(ctx, "--nik", typed_nik(o->nik), p.nik)) return;
    if (o->phone) {
      std::string phone;
      if (!take(ctx, "--phone", normalize_phone(*o->phone), phone)) return;
      p.phone = phone;
    }
    if (o->address) {
      std::string address;
      if (!take(ctx, "--address", typed_text(*o->address, domain::text_chars_max), address)) return;
      p.address = address;
    }
    if (o->name) {
      std::string name;
      if (!take(ctx, "--name", typed_text(*o->name, domain::name_chars_max), name)) return;
      p.name = name;
    }
    if (o->birth) {
      domain::Date birth;
      if (!take(ctx, "--birth-date", partner_date(*o->birth, 0, "birth date"), birth)) return;
      p.birth_date = birth;
    }
    if (o->occupation) p.occupation = normalize_code(*o->occupation);
    p.replace_heirs = o->clear_heirs || !o->heirs.empty();
    if (!heirs(ctx, o->heirs, p.heirs)) return;
    if (!p.phone && !p.address && !p.replace_heirs && !p.is_v2()) {
      ctx.exit_code = fail(Error{Code::bad_input, std::string(i18n::text(ctx.lang, "record.update_empty"))});
      return;
    }
    auto office = open(ctx);
    if (!office.ok()) {
      ctx.exit_code = fail(office.error());
      return;
    }
    auto same = changes_nothing(*office, p);
    if (!same.ok()) {
      ctx.exit_code = fail(same.error());
      return;
    }
    if (*same) {
      ctx.exit_code = fail(Error{Code::bad_input, i18n::tr(ctx.lang, "record.update_same", p.nik, p.nik)});
      return;
    }
    ctx.exit_code = record_one(ctx, o->c, p);
  });
}

void add_void(CLI::App& app, Context& ctx) {
  struct O {
    Common c;
    domain::EntryVoid p;
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand("void", "cancel an earlier entry of this office (entry.void)");
  cmd->add_option("--seq", o->p.target_seq, "the seq of the entry to cancel (see `list --entries`)")->required();
  cmd->add_option("--reason", o->p.reason, "why, e.g. \"wrong birth date\"")->required();
  cmd->add_flag("--confirm", o->c.confirm, "cancel it (without: only show what would be cancelled)");
  cmd->add_option("--operator", o->c.operator_id, "the clerk's id (default $LONTAR_OPERATOR, else $USER)");
  cmd->callback([o, &ctx] {
    if (!take(ctx, "--reason", typed_text(o->p.reason, domain::text_chars_max), o->p.reason)) return;
    if (!o->c.confirm) {
      auto office = open(ctx);
      if (!office.ok()) {
        ctx.exit_code = fail(office.error());
        return;
      }
      auto shown = preview_void(ctx, *office, o->p.target_seq);
      if (!shown.ok()) {
        ctx.exit_code = fail(shown.error());
        return;
      }
      // An entry that is not there goes to the rules, whose refusal says why.
      if (*shown) {
        fmt::print(stderr, "{}\n", i18n::text(ctx.lang, "void.needs_confirm"));
        ctx.exit_code = exit_confirm;
        return;
      }
    }
    ctx.exit_code = record_one(ctx, o->c, o->p);
  });
}

}  // namespace

void add_record(CLI::App& app, Context& ctx) {
  add_enroll(app, ctx);
  add_contribute(app, ctx);
  add_claim(app, ctx);
  add_pay(app, ctx);
  add_update(app, ctx);
  add_void(app, ctx);
}

}  // namespace lontar::agent::cli
