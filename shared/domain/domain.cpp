// domain.cpp — dates, enumerations, entry kinds and payload encoding.
// NIKs live in nik.cpp, field validation in validate.cpp.
#include "domain/domain.hpp"

#include <fmt/format.h>

#include <cassert>
#include <istream>

#include "domain/text.hpp"

namespace lontar::domain {

// ---- dates ----

namespace {
constexpr std::uint16_t year_min = 1900;
constexpr std::uint16_t year_max = 2199;

bool is_leap(unsigned year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned days_in_month(unsigned year, unsigned month) {
  constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  assert(month >= 1 && month <= 12);
  return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

// Reads exactly text.size() ASCII digits; nullopt if any is not a digit.
std::optional<unsigned> digits_value(std::string_view text) {
  unsigned v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v;
}

// Parses "YYYY-MM" (the first 7 characters of a date too).
Result<YearMonth> parse_year_month_prefix(std::string_view text, std::string_view expected_form) {
  auto year = digits_value(text.substr(0, 4));
  auto month = digits_value(text.substr(5, 2));
  if (!year || !month || text[4] != '-') {
    return Error{Code::bad_input, fmt::format("{} is not a {}; write it as {} with digits", text::quote(text),
                                              expected_form == "YYYY-MM" ? "month" : "date", expected_form)};
  }
  if (*year < year_min || *year > year_max) {
    return Error{Code::bad_input, fmt::format("{}: year {} is outside {}..{}; check the year", text::quote(text), *year,
                                              year_min, year_max)};
  }
  if (*month < 1 || *month > 12) {
    return Error{Code::bad_input,
                 fmt::format("{}: month {:02} does not exist (01..12); check the month", text::quote(text), *month)};
  }
  return YearMonth{static_cast<std::uint16_t>(*year), static_cast<std::uint8_t>(*month)};
}
}  // namespace

bool is_valid(const Date& d) {
  return d.year >= year_min && d.year <= year_max && d.month >= 1 && d.month <= 12 && d.day >= 1 &&
         d.day <= days_in_month(d.year, d.month);
}

Result<Date> parse_date(std::string_view text) {
  constexpr std::size_t date_chars = 10;  // YYYY-MM-DD
  if (text.size() != date_chars) {
    return Error{Code::bad_input, fmt::format("{} is not a date; write it as YYYY-MM-DD", text::quote(text))};
  }
  LONTAR_ASSIGN(YearMonth ym, parse_year_month_prefix(text, "YYYY-MM-DD"));
  auto day = digits_value(text.substr(8, 2));
  if (!day || text[7] != '-') {
    return Error{Code::bad_input, fmt::format("{} is not a date; write it as YYYY-MM-DD", text::quote(text))};
  }
  Date d{ym.year, ym.month, static_cast<std::uint8_t>(*day)};
  if (!is_valid(d)) {
    return Error{Code::bad_input,
                 fmt::format("{}: day {:02} does not exist in {} {} (it has {} days); check the day", text::quote(text),
                             *day, text::month_name(ym.month), ym.year, days_in_month(ym.year, ym.month))};
  }
  return d;
}

std::string to_string(const Date& d) { return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day); }

std::int64_t days_since_epoch(const Date& d) {
  assert(is_valid(d));
  // Count from 1 March so that the leap day ends each 4/100/400-year cycle.
  const std::int64_t y = static_cast<std::int64_t>(d.year) - (d.month <= 2 ? 1 : 0);
  const std::int64_t era = y / 400;  // y >= 1899: no negative division
  const std::int64_t year_of_era = y - era * 400;
  const std::int64_t month_from_march = (d.month + 9) % 12;  // March = 0
  const std::int64_t day_of_year = (153 * month_from_march + 2) / 5 + d.day - 1;
  const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  constexpr std::int64_t days_0000_03_01_to_epoch = 719468;
  return era * 146097 + day_of_era - days_0000_03_01_to_epoch;
}

int age_on(const Date& birth, const Date& on) {
  assert(is_valid(birth) && is_valid(on));
  int years = on.year - birth.year;
  // Not yet reached this year's birthday (29 February counts as 1 March in non-leap years).
  const bool before_birthday = on.month < birth.month || (on.month == birth.month && on.day < birth.day);
  return before_birthday ? years - 1 : years;
}

// ---- months ----

bool is_valid(const YearMonth& m) { return m.year >= year_min && m.year <= year_max && m.month >= 1 && m.month <= 12; }

Result<YearMonth> parse_year_month(std::string_view text) {
  constexpr std::size_t month_chars = 7;  // YYYY-MM
  if (text.size() != month_chars) {
    return Error{Code::bad_input, fmt::format("{} is not a month; write it as YYYY-MM", text::quote(text))};
  }
  return parse_year_month_prefix(text, "YYYY-MM");
}

std::string to_string(const YearMonth& m) { return fmt::format("{:04}-{:02}", m.year, m.month); }

YearMonth month_of(const Date& d) { return {d.year, d.month}; }

int months_between(const YearMonth& from, const YearMonth& to) {
  return (to.year - from.year) * 12 + (to.month - from.month);
}

// ---- enumerations ----

bool valid_sex(Sex s) { return s == Sex::male || s == Sex::female; }

const char* sex_name(Sex s) {
  switch (s) {
    case Sex::male:
      return "male";
    case Sex::female:
      return "female";
  }
  return "unknown";
}

Result<Sex> parse_sex(std::string_view text) {
  for (std::string_view m : {"m", "l", "male", "laki-laki"}) {
    if (text::iequals(text, m)) return Sex::male;
  }
  for (std::string_view f : {"f", "p", "female", "perempuan"}) {
    if (text::iequals(text, f)) return Sex::female;
  }
  return Error{Code::bad_input, fmt::format("{} is not a sex; write M, L, male or laki-laki for a man, "
                                            "F, P, female or perempuan for a woman",
                                            text::quote(text))};
}

bool valid_programme(Programme p) { return p == Programme::jkk || p == Programme::jkm || p == Programme::jht; }

const char* programme_name(Programme p) {
  switch (p) {
    case Programme::jkk:
      return "JKK";
    case Programme::jkm:
      return "JKM";
    case Programme::jht:
      return "JHT";
  }
  return "unknown";
}

Result<Programme> parse_programme(std::string_view text) {
  for (Programme p : {Programme::jkk, Programme::jkm, Programme::jht}) {
    if (text::iequals(text, programme_name(p))) return p;
  }
  return Error{Code::bad_input, fmt::format("{} is not a programme; write JKK, JKM or JHT", text::quote(text))};
}

Result<ProgrammeSet> parse_programmes(std::string_view text) {
  ProgrammeSet set = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find_first_of("+,", start);
    const std::string_view token = text::trim(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (token.empty()) {
      return Error{Code::bad_input,
                   fmt::format("{} has an empty programme; write them like JKK+JKM+JHT or JKK,JKM", text::quote(text))};
    }
    auto p = parse_programme(token);
    if (!p.ok()) return std::move(p).error().prefix(text::quote(text));
    if (contains(set, *p)) {
      return Error{Code::bad_input,
                   fmt::format("{} lists {} twice; name each programme once", text::quote(text), programme_name(*p))};
    }
    set |= programme_bit(*p);
    if (end == std::string_view::npos) return set;
    start = end + 1;
  }
}

std::string programmes_to_string(ProgrammeSet set) {
  std::string out;
  for (Programme p : {Programme::jkk, Programme::jkm, Programme::jht}) {
    if (!contains(set, p)) continue;
    if (!out.empty()) out += '+';
    out += programme_name(p);
  }
  return out;
}

bool valid_role(Role r) { return r == Role::office || r == Role::auditor || r == Role::admin; }

const char* role_name(Role r) {
  switch (r) {
    case Role::office:
      return "office";
    case Role::auditor:
      return "auditor";
    case Role::admin:
      return "admin";
  }
  return "unknown";
}

Result<Role> parse_role(std::string_view text) {
  for (Role r : {Role::office, Role::auditor, Role::admin}) {
    if (text::iequals(text, role_name(r))) return r;
  }
  return Error{Code::bad_input, fmt::format("{} is not a role; write office, auditor or admin", text::quote(text))};
}

bool valid_pay_method(PayMethod m) { return m == PayMethod::bank || m == PayMethod::cash; }

const char* pay_method_name(PayMethod m) {
  switch (m) {
    case PayMethod::bank:
      return "bank";
    case PayMethod::cash:
      return "cash";
  }
  return "unknown";
}

Result<PayMethod> parse_pay_method(std::string_view text) {
  for (PayMethod m : {PayMethod::bank, PayMethod::cash}) {
    if (text::iequals(text, pay_method_name(m))) return m;
  }
  return Error{Code::bad_input, fmt::format("{} is not a payment method; write bank or cash", text::quote(text))};
}

bool valid_outcome(Outcome o) { return o == Outcome::accepted || o == Outcome::rejected || o == Outcome::flagged; }

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::accepted:
      return "accepted";
    case Outcome::rejected:
      return "rejected";
    case Outcome::flagged:
      return "flagged";
  }
  return "unknown";
}

// ---- entry kinds ----

namespace {
constexpr EntryKind all_kinds[] = {
    EntryKind::principal_register, EntryKind::principal_revoke,   EntryKind::schedule_set,
    EntryKind::participant_enroll, EntryKind::participant_update, EntryKind::contribution_paid,
    EntryKind::claim_filed,        EntryKind::payout_made,        EntryKind::entry_void,
};
}  // namespace

bool valid_kind(EntryKind k) {
  for (EntryKind known : all_kinds) {
    if (k == known) return true;
  }
  return false;
}

const char* kind_name(EntryKind k) {
  switch (k) {
    case EntryKind::principal_register:
      return "principal.register";
    case EntryKind::principal_revoke:
      return "principal.revoke";
    case EntryKind::schedule_set:
      return "schedule.set";
    case EntryKind::participant_enroll:
      return "participant.enroll";
    case EntryKind::participant_update:
      return "participant.update";
    case EntryKind::contribution_paid:
      return "contribution.paid";
    case EntryKind::claim_filed:
      return "claim.filed";
    case EntryKind::payout_made:
      return "payout.made";
    case EntryKind::entry_void:
      return "entry.void";
  }
  return "unknown";
}

Result<EntryKind> parse_kind(std::string_view text) {
  for (EntryKind k : all_kinds) {
    if (text == kind_name(k)) return k;
  }
  return Error{Code::bad_input, fmt::format("{} is not an entry kind; write one of principal.register, "
                                            "principal.revoke, schedule.set, participant.enroll, participant.update, "
                                            "contribution.paid, claim.filed, payout.made, entry.void",
                                            text::quote(text))};
}

bool is_admin_kind(EntryKind k) {
  return k == EntryKind::principal_register || k == EntryKind::principal_revoke || k == EntryKind::schedule_set;
}

// ---- payloads ----

namespace {
// The kind of each payload struct; the order of Payload's alternatives does not matter.
constexpr EntryKind kind_of_type(const PrincipalRegister&) { return EntryKind::principal_register; }
constexpr EntryKind kind_of_type(const PrincipalRevoke&) { return EntryKind::principal_revoke; }
constexpr EntryKind kind_of_type(const ScheduleSet&) { return EntryKind::schedule_set; }
constexpr EntryKind kind_of_type(const ParticipantEnroll&) { return EntryKind::participant_enroll; }
constexpr EntryKind kind_of_type(const ParticipantUpdate&) { return EntryKind::participant_update; }
constexpr EntryKind kind_of_type(const ContributionPaid&) { return EntryKind::contribution_paid; }
constexpr EntryKind kind_of_type(const ClaimFiled&) { return EntryKind::claim_filed; }
constexpr EntryKind kind_of_type(const PayoutMade&) { return EntryKind::payout_made; }
constexpr EntryKind kind_of_type(const EntryVoid&) { return EntryKind::entry_void; }

template <class T>
Result<Payload> decode_as(ByteView bytes, EntryKind kind) {
  auto r = encoding::decode<T>(bytes, fmt::format("{} payload", kind_name(kind)));
  if (!r.ok()) return std::move(r).error();
  return Payload{std::move(r).value()};
}
// participant.update in either form (domain.hpp, docs/FORMAT.md): the v1 fields,
// then, if bytes remain, the version byte 2 and the v2 corrections. A v2 part that
// corrects nothing is refused: re-encoding would drop it, and an update has one
// encoding.
Result<Payload> decode_update(ByteView bytes) {
  const std::string what = "participant.update payload";
  encoding::detail::SpanSource src(bytes);
  std::istream is(&src);
  ParticipantUpdate value;
  try {
    if (bytes.empty() || bytes[0] != 0x01) {
      return Error{Code::bad_input, what + ": does not start with the little-endian flag 0x01"};
    }
    cereal::PortableBinaryInputArchive ar(is, cereal::PortableBinaryInputArchive::Options::LittleEndian());
    ar(value);
    if (src.remaining() != 0) {
      std::uint8_t version = 0;
      ar(version);
      if (version != ParticipantUpdate::v2_tag) {
        return Error{Code::bad_input, fmt::format("{}: version byte after the heirs is {}, not 2; this program reads "
                                                  "participant.update v1 and v2 only",
                                                  what, version)};
      }
      value.v2_fields(ar);
      if (!value.is_v2()) {
        return Error{Code::bad_input, what +
                                          ": its v2 part corrects nothing; an update without corrections is "
                                          "written in the v1 form"};
      }
    }
  } catch (const encoding::DecodeError& e) {
    return Error{Code::bad_input, what + ": " + e.what()};
  } catch (const cereal::Exception& e) {
    return Error{Code::bad_input, what + ": truncated (" + e.what() + ")"};
  } catch (const std::exception& e) {
    return Error{Code::bad_input, what + ": malformed (" + e.what() + ")"};
  }
  if (src.remaining() != 0) {
    return Error{Code::bad_input, fmt::format("{}: {} unexpected bytes after the end", what, src.remaining())};
  }
  return Payload{std::move(value)};
}
}  // namespace

EntryKind kind_of(const Payload& p) {
  return std::visit([](const auto& v) { return kind_of_type(v); }, p);
}

Result<Bytes> encode_payload(const Payload& p) {
  return std::visit(
      [](const auto& v) -> Result<Bytes> {
        auto r = encoding::encode(v);
        if (!r.ok()) return std::move(r).error().prefix(fmt::format("{} payload", kind_name(kind_of_type(v))));
        return r;
      },
      p);
}

Result<Payload> decode_payload(EntryKind kind, ByteView bytes) {
  switch (kind) {
    case EntryKind::principal_register:
      return decode_as<PrincipalRegister>(bytes, kind);
    case EntryKind::principal_revoke:
      return decode_as<PrincipalRevoke>(bytes, kind);
    case EntryKind::schedule_set:
      return decode_as<ScheduleSet>(bytes, kind);
    case EntryKind::participant_enroll:
      return decode_as<ParticipantEnroll>(bytes, kind);
    case EntryKind::participant_update:
      return decode_update(bytes);
    case EntryKind::contribution_paid:
      return decode_as<ContributionPaid>(bytes, kind);
    case EntryKind::claim_filed:
      return decode_as<ClaimFiled>(bytes, kind);
    case EntryKind::payout_made:
      return decode_as<PayoutMade>(bytes, kind);
    case EntryKind::entry_void:
      return decode_as<EntryVoid>(bytes, kind);
  }
  return Error{Code::bad_input, fmt::format("entry kind {} is unknown; this program reads only the v1 kinds",
                                            static_cast<unsigned>(kind))};
}

}  // namespace lontar::domain
