// lontar-agent enroll | contribute | claim | pay | update | void: one entry each,
// validated, judged against the local state, sealed and durable before exit.
#include <fmt/format.h>

#include "cli.hpp"
#include "record.hpp"

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

// "NAME:RELATION[:NIK]"
Result<domain::Heir> parse_heir(const std::string& text) {
  domain::Heir h;
  auto a = text.find(':');
  if (a == std::string::npos) {
    return Error{Code::bad_input, fmt::format("'{}' is not NAME:RELATION[:NIK], e.g. \"Siti Aminah:spouse\"", text)};
  }
  h.name = text.substr(0, a);
  auto b = text.find(':', a + 1);
  h.relation = text.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
  if (b != std::string::npos) h.nik = text.substr(b + 1);
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

void add_enroll(CLI::App& app, Context& ctx) {
  struct O {
    Common c;
    domain::ParticipantEnroll p;
    std::string birth, sex, programmes = "JKK+JKM", start;
    std::vector<std::string> heirs;
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand("enroll", "enroll a participant (participant.enroll)");
  cmd->add_option("--nik", o->p.nik, "16-digit NIK")->required();
  cmd->add_option("--name", o->p.name, "full name")->required();
  cmd->add_option("--birth-date", o->birth, "YYYY-MM-DD")->required();
  cmd->add_option("--sex", o->sex, "male/female (L/P); default: what the NIK says");
  cmd->add_option("--regency", o->p.regency_code, "4-digit regency code; default: the NIK's first four digits");
  cmd->add_option("--occupation", o->p.occupation, "occupation group: TAGANA, TKSK, KPM_PKH, ...")->required();
  cmd->add_option("--sponsor", o->p.sponsor, "collective/sponsor code, e.g. DINSOS-JATIM; empty = self");
  cmd->add_option("--income", o->p.declared_income, "declared monthly income in rupiah");
  cmd->add_option("--programmes", o->programmes, "JKK+JKM[+JHT]")->capture_default_str();
  cmd->add_option("--coverage-start", o->start, "YYYY-MM-DD")->required();
  cmd->add_option("--phone", o->p.phone, "phone number");
  cmd->add_option("--address", o->p.address, "address");
  cmd->add_option("--heir", o->heirs, "an heir as NAME:RELATION[:NIK] (repeat for several)");
  add_common(cmd, o->c);
  cmd->callback([o, &ctx] {
    auto p = o->p;
    if (!take(ctx, "--birth-date", domain::parse_date(o->birth), p.birth_date)) return;
    if (!take(ctx, "--coverage-start", domain::parse_date(o->start), p.coverage_start)) return;
    if (!take(ctx, "--programmes", domain::parse_programmes(o->programmes), p.programmes)) return;
    if (o->sex.empty()) {
      p.sex = (p.nik.size() == 16 && p.nik[6] >= '4') ? domain::Sex::female : domain::Sex::male;
    } else if (!take(ctx, "--sex", domain::parse_sex(o->sex), p.sex)) {
      return;
    }
    if (p.regency_code.empty()) p.regency_code = p.nik.substr(0, 4);
    if (!heirs(ctx, o->heirs, p.heirs)) return;
    ctx.exit_code = record_one(ctx, o->c, p);
  });
}

void add_contribute(CLI::App& app, Context& ctx) {
  struct O {
    Common c;
    domain::ContributionPaid p;
    std::string first;
    std::optional<domain::Rupiah> jkk, jkm, jht;
  };
  auto o = std::make_shared<O>();
  o->p.payer = "SELF";
  auto* cmd = app.add_subcommand("contribute", "record a contribution payment (contribution.paid)");
  cmd->add_option("--nik", o->p.nik, "the participant's NIK")->required();
  cmd->add_option("--first-month", o->first, "first month paid, YYYY-MM")->required();
  cmd->add_option("--months", o->p.months, "number of months paid (1..120)")->capture_default_str();
  cmd->add_option("--jkk", o->jkk, "amount paid for JKK, rupiah (total for all months)");
  cmd->add_option("--jkm", o->jkm, "amount paid for JKM, rupiah");
  cmd->add_option("--jht", o->jht, "amount paid for JHT, rupiah");
  cmd->add_option("--payer", o->p.payer, "SELF or the sponsor's code")->capture_default_str();
  cmd->add_option("--receipt", o->p.receipt_no, "receipt number (unique per office)")->required();
  add_common(cmd, o->c);
  cmd->callback([o, &ctx] {
    auto p = o->p;
    if (!take(ctx, "--first-month", domain::parse_year_month(o->first), p.first_month)) return;
    if (o->jkk) p.amounts.push_back({domain::Programme::jkk, *o->jkk});
    if (o->jkm) p.amounts.push_back({domain::Programme::jkm, *o->jkm});
    if (o->jht) p.amounts.push_back({domain::Programme::jht, *o->jht});
    ctx.exit_code = record_one(ctx, o->c, p);
  });
}

void add_claim(CLI::App& app, Context& ctx) {
  struct O {
    Common c;
    domain::ClaimFiled p;
    std::string programme = "JKM", event;
  };
  auto o = std::make_shared<O>();
  o->p.claimant.relation = "other";
  auto* cmd = app.add_subcommand("claim", "file a claim: JKM (death) or JKK (work accident) (claim.filed)");
  cmd->add_option("--claim-no", o->p.claim_no, "claim number, e.g. SBY-RUNGKUT/2018/0001")->required();
  cmd->add_option("--nik", o->p.nik, "the participant's NIK")->required();
  cmd->add_option("--programme", o->programme, "JKM or JKK")->capture_default_str();
  cmd->add_option("--event-date", o->event, "date of death or accident, YYYY-MM-DD")->required();
  cmd->add_option("--claimant-name", o->p.claimant.name, "who files the claim (the heir)")->required();
  cmd->add_option("--claimant-relation", o->p.claimant.relation, "spouse, child, parent, sibling, other")
      ->capture_default_str();
  cmd->add_option("--claimant-nik", o->p.claimant.nik, "the claimant's NIK, if known");
  add_common(cmd, o->c);
  cmd->callback([o, &ctx] {
    auto p = o->p;
    if (!take(ctx, "--programme", domain::parse_programme(o->programme), p.programme)) return;
    if (!take(ctx, "--event-date", domain::parse_date(o->event), p.event_date)) return;
    ctx.exit_code = record_one(ctx, o->c, p);
  });
}

void add_pay(CLI::App& app, Context& ctx) {
  struct O {
    Common c;
    domain::PayoutMade p;
    std::string method = "bank";
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand("pay", "record a benefit payout on a claim (payout.made)");
  cmd->add_option("--claim-no", o->p.claim_no, "the claim paid")->required();
  cmd->add_option("--amount", o->p.amount, "amount paid, rupiah")->required();
  cmd->add_option("--beneficiary", o->p.beneficiary, "who received it")->required();
  cmd->add_option("--method", o->method, "bank or cash")->capture_default_str();
  cmd->add_option("--reference", o->p.reference, "bank transfer or cash receipt reference")->required();
  add_common(cmd, o->c);
  cmd->callback([o, &ctx] {
    auto p = o->p;
    if (!take(ctx, "--method", domain::parse_pay_method(o->method), p.method)) return;
    ctx.exit_code = record_one(ctx, o->c, p);
  });
}

void add_update(CLI::App& app, Context& ctx) {
  struct O {
    Common c;
    std::string nik;
    std::optional<std::string> phone, address;
    std::vector<std::string> heirs;
    bool clear_heirs = false;
  };
  auto o = std::make_shared<O>();
  auto* cmd = app.add_subcommand("update", "change a participant's contact details or heirs (participant.update)");
  cmd->add_option("--nik", o->nik, "the participant's NIK")->required();
  cmd->add_option("--phone", o->phone, "new phone number");
  cmd->add_option("--address", o->address, "new address");
  cmd->add_option("--heir", o->heirs, "the new list of heirs, NAME:RELATION[:NIK] each (replaces the old list)");
  cmd->add_flag("--clear-heirs", o->clear_heirs, "remove all heirs");
  add_common(cmd, o->c);
  cmd->callback([o, &ctx] {
    domain::ParticipantUpdate p;
    p.nik = o->nik;
    p.phone = o->phone;
    p.address = o->address;
    p.replace_heirs = o->clear_heirs || !o->heirs.empty();
    if (!heirs(ctx, o->heirs, p.heirs)) return;
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
  add_common(cmd, o->c);
  cmd->callback([o, &ctx] { ctx.exit_code = record_one(ctx, o->c, o->p); });
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
