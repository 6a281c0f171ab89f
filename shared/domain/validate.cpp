// validate.cpp — field rules of every payload kind.
// Each message reads "<kind>: <field>: <what is wrong>; <what to do>".
#include <fmt/format.h>

#include <algorithm>

#include "domain/domain.hpp"
#include "domain/text.hpp"

namespace lontar::domain {

namespace {
constexpr std::size_t phone_digits_min = 6;
constexpr std::size_t phone_digits_max = 20;
constexpr std::size_t principal_id_bytes_min = 2;
constexpr std::size_t scope_province_digits = 2;
constexpr std::size_t scope_regency_digits = 4;
constexpr std::size_t reference_bytes_max = code_bytes_max * 2;  // as PayoutMade::serialize bounds it
constexpr std::string_view self_payer = "SELF";
constexpr std::string_view heir_relations[] = {"spouse", "child", "parent", "sibling", "other"};

Error field_error(std::string_view field, std::string_view problem) {
  Error e{Code::bad_input, fmt::format("{}: {}", field, problem)};
  e.in_field(field);
  return e;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool all_digits(std::string_view s) { return std::all_of(s.begin(), s.end(), is_digit); }

// An identifier-like field: allowed ASCII characters and a length range.
struct CodeRule {
  bool (*allowed)(char);
  std::size_t min;
  std::size_t max;
  const char* form;  // how to write it, for the message
};

constexpr CodeRule principal_id_rule{[](char c) { return is_upper(c) || is_digit(c) || c == '-'; },
                                     principal_id_bytes_min, principal_id_bytes_max,
                                     "capital letters, digits and '-', 2..32 characters, e.g. SBY-RUNGKUT"};
constexpr CodeRule occupation_rule{[](char c) { return is_upper(c) || is_digit(c) || c == '_'; }, 2, code_bytes_max,
                                   "capital letters, digits and '_', 2..32 characters, e.g. TAGANA or KPM_PKH"};
constexpr CodeRule sponsor_rule{[](char c) { return is_upper(c) || is_digit(c) || c == '_' || c == '-'; }, 2,
                                code_bytes_max,
                                "capital letters, digits, '_' and '-', 2..32 characters, e.g. DINSOS-JATIM"};
constexpr CodeRule document_no_rule{
    [](char c) { return is_upper(c) || is_lower(c) || is_digit(c) || c == '/' || c == '_' || c == '-'; }, 1,
    code_bytes_max, "letters, digits, '/', '_' and '-', 1..32 characters, e.g. SBY-RUNGKUT/2018/0001"};

Status check_code(std::string_view field, std::string_view value, const CodeRule& rule) {
  if (value.empty()) return field_error(field, fmt::format("is empty; write {}", rule.form));
  const bool chars_ok = std::all_of(value.begin(), value.end(), rule.allowed);
  if (!chars_ok || value.size() < rule.min || value.size() > rule.max) {
    return field_error(field, fmt::format("{} is not valid; write {}", text::quote(value), rule.form));
  }
  return {};
}

// Characters (code points) of valid UTF-8 text: every byte that does not continue one.
std::size_t utf8_chars(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Free text (docs/FORMAT.md §2, "Free text"): UTF-8, one line, no invisible
// character, trimmed, at most `max` characters; empty only if allowed, and never made only
// of spaces and invisible characters.
Status check_text(std::string_view field, std::string_view value, std::size_t max, bool required) {
  if (value.empty()) {
    if (required) return field_error(field, "is empty; fill it in");
    return {};
  }
  const std::size_t bad = text::first_invalid_utf8(value);
  if (bad != std::string_view::npos) {
    return field_error(field, fmt::format("is not valid UTF-8 at byte {}; re-save the source file as UTF-8", bad));
  }
  if (const std::size_t chars = utf8_chars(value); chars > max) {
    return field_error(field, fmt::format("has {} characters, more than the limit of {}; shorten it", chars, max));
  }
  std::size_t at = 0;
  const long control = text::first_control(value, at);
  if (control >= 0) {
    return field_error(
        field, fmt::format("holds control character U+{:04X} at byte {}; remove it (one line, no tabs)", control, at));
  }
  if (text::is_blank(value)) {
    return field_error(field, required ? "is empty once spaces and invisible characters are removed; fill it in"
                                       : "holds only spaces and invisible characters; clear it or fill it in");
  }
  const long invisible = text::first_invisible(value, at);
  if (invisible >= 0) {
    return field_error(field, fmt::format("holds an invisible character, U+{:04X} ({}), at byte {}; delete it (it "
                                          "comes with text copied from web pages, documents or spreadsheets)",
                                          invisible, text::invisible_name(static_cast<char32_t>(invisible)), at));
  }
  if (text::has_outer_space(value)) {
    return field_error(field, fmt::format("{} starts or ends with white space; trim it", text::quote(value)));
  }
  return {};
}

Status check_name(std::string_view field, std::string_view value) {
  return check_text(field, value, name_chars_max, true);
}

Status check_amount(std::string_view field, Rupiah value, Rupiah min) {
  if (value < min || value > rupiah_max) {
    return field_error(field, fmt::format("Rp {} is outside Rp {}..{}; check the amount", value, min, rupiah_max));
  }
  return {};
}

Status check_date(std::string_view field, const Date& d) {
  if (!is_valid(d)) {
    return field_error(field,
                       fmt::format("{} is not a real date between 1900-01-01 and 2199-12-31; check it", to_string(d)));
  }
  return {};
}

Result<Nik> check_nik(std::string_view field, std::string_view value) {
  auto nik = parse_nik(value);
  if (!nik.ok()) return std::move(nik).error().prefix(std::string(field)).in_field(field);
  return nik;
}

Status check_phone(std::string_view field, std::string_view value) {
  if (value.empty()) return {};
  const std::string_view digits = value.starts_with('+') ? value.substr(1) : value;
  if (!all_digits(digits) || digits.size() < phone_digits_min || digits.size() > phone_digits_max) {
    return field_error(field, fmt::format("{} is not a phone number; write {}..{} digits with an optional leading +, "
                                          "no spaces or dashes, e.g. 081234567890",
                                          text::quote(value), phone_digits_min, phone_digits_max));
  }
  return {};
}

Status check_key(std::string_view field, const crypto::PublicKey& key) {
  if (std::all_of(key.begin(), key.end(), [](std::uint8_t b) { return b == 0; })) {
    return field_error(field, "is all zero; give the principal's Ed25519 public key");
  }
  return {};
}

// `owner` is the participant's own NIK when known, which an heir cannot share.
Status check_heir(std::string_view field, const Heir& heir, const std::string* owner) {
  LONTAR_TRY(check_name(fmt::format("{}.name", field), heir.name));
  if (std::find(std::begin(heir_relations), std::end(heir_relations), heir.relation) == std::end(heir_relations)) {
    return field_error(
        fmt::format("{}.relation", field),
        fmt::format("{} is not a relation; write spouse, child, parent, sibling or other", text::quote(heir.relation)));
  }
  if (heir.nik.empty()) return {};
  LONTAR_TRY(check_nik(fmt::format("{}.nik", field), heir.nik));
  if (owner != nullptr && heir.nik == *owner) {
    return field_error(fmt::format("{}.nik", field),
                       "is the participant's own NIK; give the heir's NIK or leave it empty");
  }
  return {};
}

Status check_heirs(const std::vector<Heir>& heirs, const std::string& owner) {
  if (heirs.size() > heirs_max) {
    return field_error("heirs", fmt::format("lists {} heirs, more than the limit of {}", heirs.size(), heirs_max));
  }
  for (std::size_t i = 0; i < heirs.size(); ++i) LONTAR_TRY(check_heir(fmt::format("heirs[{}]", i), heirs[i], &owner));
  return {};
}

// ---- one check per payload kind ----

Status check(const PrincipalRegister& p) {
  LONTAR_TRY(check_code("principal_id", p.principal_id, principal_id_rule));
  if (!valid_role(p.role)) return field_error("role", "is unknown; use office, auditor or admin");
  LONTAR_TRY(check_key("key", p.key));
  LONTAR_TRY(check_name("name", p.name));
  const bool scope_ok =
      p.scope.empty() ||
      ((p.scope.size() == scope_province_digits || p.scope.size() == scope_regency_digits) && all_digits(p.scope));
  if (!scope_ok) {
    return field_error("scope", fmt::format("{} is not a region; write a 2-digit province code (35), a 4-digit "
                                            "regency code (3578), or leave it empty for all regions",
                                            text::quote(p.scope)));
  }
  return {};
}

Status check(const PrincipalRevoke& p) {
  LONTAR_TRY(check_code("principal_id", p.principal_id, principal_id_rule));
  LONTAR_TRY(check_key("key", p.key));
  return check_text("reason", p.reason, text_chars_max, true);
}

Status check(const ScheduleSet& p) {
  LONTAR_TRY(check_date("effective", p.effective));
  if (p.items.empty()) return field_error("items", "is empty; give at least one programme's amounts");
  if (p.items.size() > schedule_items_max) {
    return field_error("items",
                       fmt::format("lists {} items, more than the limit of {}", p.items.size(), schedule_items_max));
  }
  ProgrammeSet seen = 0;
  for (std::size_t i = 0; i < p.items.size(); ++i) {
    const ScheduleItem& item = p.items[i];
    if (!valid_programme(item.programme)) {
      return field_error(fmt::format("items[{}].programme", i), "is unknown; use JKK, JKM or JHT");
    }
    if (contains(seen, item.programme)) {
      return field_error(fmt::format("items[{}].programme", i),
                         fmt::format("{} appears twice; give one item per programme", programme_name(item.programme)));
    }
    seen |= programme_bit(item.programme);
    LONTAR_TRY(check_amount(fmt::format("items[{}].benefit_max", i), item.benefit_max, 0));
    LONTAR_TRY(check_amount(fmt::format("items[{}].contribution_monthly", i), item.contribution_monthly, 0));
  }
  return {};
}

Status check_programmes(ProgrammeSet set) {
  constexpr ProgrammeSet known =
      programme_bit(Programme::jkk) | programme_bit(Programme::jkm) | programme_bit(Programme::jht);
  if ((set & ~known) != 0) {
    return field_error("programmes", fmt::format("holds unknown bits 0x{:02x}; only JKK, JKM and JHT exist",
                                                 static_cast<unsigned>(set & ~known)));
  }
  for (Programme required : {Programme::jkk, Programme::jkm}) {
    if (!contains(set, required)) {
      return field_error("programmes", fmt::format("'{}' lacks {}; every participant has JKK and JKM (JHT is optional)",
                                                   programmes_to_string(set), programme_name(required)));
    }
  }
  return {};
}

Status check_birth_and_coverage(const ParticipantEnroll& p) {
  LONTAR_TRY(check_date("birth_date", p.birth_date));
  LONTAR_TRY(check_date("coverage_start", p.coverage_start));
  if (p.coverage_start < p.birth_date) {
    return field_error("coverage_start", fmt::format("{} is before the birth date {}; check both dates",
                                                     to_string(p.coverage_start), to_string(p.birth_date)));
  }
  const int age = age_on(p.birth_date, p.coverage_start);
  if (age > age_years_max) {
    return field_error("birth_date",
                       fmt::format("{} makes the participant {} years old at coverage start {}, "
                                   "more than {}; check the birth date",
                                   to_string(p.birth_date), age, to_string(p.coverage_start), age_years_max));
  }
  return {};
}

Status check(const ParticipantEnroll& p) {
  LONTAR_ASSIGN(Nik nik, check_nik("nik", p.nik));
  LONTAR_TRY(check_name("name", p.name));
  LONTAR_TRY(check_birth_and_coverage(p));
  if (!valid_sex(p.sex)) return field_error("sex", "is unknown; use male or female");
  auto matches = check_nik_matches(nik, p.birth_date, p.sex);
  if (!matches.ok()) return std::move(matches).error().prefix("nik").in_field("nik");
  if (p.regency_code.size() != 4 || !all_digits(p.regency_code)) {
    return field_error("regency_code", fmt::format("{} is not 4 digits; use the NIK's first four digits ({})",
                                                   text::quote(p.regency_code), nik.regency()));
  }
  if (p.regency_code != nik.regency()) {
    return field_error("regency_code", fmt::format("{} differs from the NIK's regency {} (its first four digits); "
                                                   "use {} or check the NIK",
                                                   p.regency_code, nik.regency(), nik.regency()));
  }
  LONTAR_TRY(check_code("occupation", p.occupation, occupation_rule));
  if (!p.sponsor.empty()) LONTAR_TRY(check_code("sponsor", p.sponsor, sponsor_rule));
  LONTAR_TRY(check_amount("declared_income", p.declared_income, 0));
  LONTAR_TRY(check_programmes(p.programmes));
  LONTAR_TRY(check_heirs(p.heirs, p.nik));
  LONTAR_TRY(check_phone("phone", p.phone));
  return check_text("address", p.address, text_chars_max, false);
}

Status check(const ParticipantUpdate& p) {
  LONTAR_ASSIGN(Nik nik, check_nik("nik", p.nik));
  if (!p.replace_heirs && !p.heirs.empty()) {
    return field_error("heirs", fmt::format("lists {} heirs but replace_heirs is not set; set it to replace the list, "
                                            "or leave heirs empty",
                                            p.heirs.size()));
  }
  if (!p.phone && !p.address && !p.replace_heirs && !p.is_v2()) {
    return field_error("update",
                       "changes nothing; give a phone, an address, a new list of heirs, or a corrected name, birth "
                       "date or occupation");
  }
  if (p.phone) LONTAR_TRY(check_phone("phone", *p.phone));
  if (p.address) LONTAR_TRY(check_text("address", *p.address, text_chars_max, false));
  if (p.name) LONTAR_TRY(check_name("name", *p.name));
  if (p.birth_date) {
    LONTAR_TRY(check_date("birth_date", *p.birth_date));
    // As for an enrollment: the NIK's date part must agree (its sex is the NIK's own).
    const Sex sex = p.nik[6] >= '4' ? Sex::female : Sex::male;
    auto matches = check_nik_matches(nik, *p.birth_date, sex);
    if (!matches.ok()) return std::move(matches).error().prefix("birth_date").in_field("birth_date");
  }
  if (p.occupation) LONTAR_TRY(check_code("occupation", *p.occupation, occupation_rule));
  return check_heirs(p.heirs, p.nik);
}

Status check(const ContributionPaid& p) {
  LONTAR_TRY(check_nik("nik", p.nik));
  if (!is_valid(p.first_month)) {
    return field_error("first_month", fmt::format("{} is not a real month between 1900-01 and 2199-12; check it",
                                                  to_string(p.first_month)));
  }
  if (p.months < 1 || p.months > contribution_months_max) {
    return field_error("months", fmt::format("{} is outside 1..{}; split longer periods into several payments",
                                             p.months, contribution_months_max));
  }
  if (months_between(p.first_month, YearMonth{2199, 12}) < p.months - 1) {
    return field_error("months", fmt::format("{} months from {} run past 2199-12; check first_month", p.months,
                                             to_string(p.first_month)));
  }
  if (p.amounts.empty()) return field_error("amounts", "is empty; give the amount paid for each programme");
  ProgrammeSet seen = 0;
  for (std::size_t i = 0; i < p.amounts.size(); ++i) {
    const ProgrammeAmount& a = p.amounts[i];
    const std::string field = fmt::format("amounts[{}]", i);
    if (!valid_programme(a.programme)) return field_error(field + ".programme", "is unknown; use JKK, JKM or JHT");
    if (contains(seen, a.programme)) {
      return field_error(field + ".programme",
                         fmt::format("{} appears twice; give one amount per programme", programme_name(a.programme)));
    }
    seen |= programme_bit(a.programme);
    LONTAR_TRY(check_amount(field + ".amount", a.amount, 1));
  }
  if (p.payer != self_payer) {
    auto payer = check_code("payer", p.payer, sponsor_rule);
    if (!payer.ok())
      return field_error("payer", fmt::format("{} is neither SELF nor a sponsor code; write SELF or "
                                              "the sponsor's code, e.g. DINSOS-JATIM",
                                              text::quote(p.payer)));
  }
  return check_code("receipt_no", p.receipt_no, document_no_rule);
}

Status check(const ClaimFiled& p) {
  LONTAR_TRY(check_code("claim_no", p.claim_no, document_no_rule));
  LONTAR_TRY(check_nik("nik", p.nik));
  if (!valid_programme(p.programme)) return field_error("programme", "is unknown; use JKK, JKM or JHT");
  LONTAR_TRY(check_date("event_date", p.event_date));
  return check_heir("claimant", p.claimant, nullptr);
}

Status check(const PayoutMade& p) {
  LONTAR_TRY(check_code("claim_no", p.claim_no, document_no_rule));
  LONTAR_TRY(check_amount("amount", p.amount, 1));
  LONTAR_TRY(check_name("beneficiary", p.beneficiary));
  if (!valid_pay_method(p.method)) return field_error("method", "is unknown; use bank or cash");
  return check_text("reference", p.reference, reference_bytes_max, true);
}

Status check(const EntryVoid& p) {
  LONTAR_TRY(check_code("target_principal", p.target_principal, principal_id_rule));
  if (p.target_seq < 1) return field_error("target_seq", "is 0; entries are numbered from 1, give the seq to void");
  return check_text("reason", p.reason, text_chars_max, true);
}
}  // namespace

Status validate(const Payload& p) {
  return std::visit(
      [&p](const auto& v) -> Status {
        auto s = check(v);
        if (!s.ok()) return std::move(s).error().prefix(kind_name(kind_of(p)));
        return s;
      },
      p);
}

}  // namespace lontar::domain
