// domain.hpp — the v1 entry kinds of DESIGN.md and their validation.
//
// A payload is what an entry says (an enrollment, a payout...). It travels inside
// an Entry (chain/chain.hpp) as the bytes of encode_payload(); its kind is the
// Entry's `kind`. validate() enforces every field rule; an invalid payload never
// gets past the office, and the server and auditor re-check it.
//
// Money is integer rupiah. Dates are calendar dates (no time zone, no clock).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "crypto/crypto.hpp"
#include "encoding/encoding.hpp"

namespace lontar::domain {

// ---- limits (checked where input enters and on decode) ----
constexpr std::size_t principal_id_bytes_max = 32;  // "SBY-RUNGKUT"
constexpr std::size_t name_chars_max = 128;         // a person's or office's name, in characters (code points)
constexpr std::size_t text_chars_max = 512;         // addresses, reasons, in characters
// Encoding bounds of those texts: UTF-8 takes at most 4 bytes a character.
constexpr std::size_t name_bytes_max = 4 * name_chars_max;
constexpr std::size_t text_bytes_max = 4 * text_chars_max;
constexpr std::size_t code_bytes_max = 32;  // occupation, receipt and claim numbers
constexpr std::size_t heirs_max = 16;
constexpr std::size_t schedule_items_max = 8;
constexpr std::uint16_t contribution_months_max = 120;
constexpr std::int64_t rupiah_max = 1'000'000'000'000;  // Rp 1 trillion: far above any real amount
constexpr int age_years_max = 120;                      // at coverage start

// ---- value types ----
using Rupiah = std::int64_t;

// A calendar date (proleptic Gregorian). Encoded as uint16 year, uint8 month, uint8 day.
struct Date {
  std::uint16_t year = 1970;
  std::uint8_t month = 1;
  std::uint8_t day = 1;

  auto operator<=>(const Date&) const = default;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(year, month, day);
  }
};
// "YYYY-MM-DD" of a real date between 1900-01-01 and 2199-12-31.
Result<Date> parse_date(std::string_view text);
std::string to_string(const Date& d);
bool is_valid(const Date& d);
// Days since 1970-01-01 (for arithmetic; never stored). Requires is_valid(d).
std::int64_t days_since_epoch(const Date& d);
// Completed years of a person born on `birth` on the day `on` (negative if `on`
// is before `birth`). Someone born on 29 February turns a year older on 1 March
// in non-leap years. Requires both dates valid.
int age_on(const Date& birth, const Date& on);

// A month of coverage. Encoded as uint16 year, uint8 month.
struct YearMonth {
  std::uint16_t year = 1970;
  std::uint8_t month = 1;

  auto operator<=>(const YearMonth&) const = default;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(year, month);
  }
};
// "YYYY-MM", year 1900..2199.
Result<YearMonth> parse_year_month(std::string_view text);
std::string to_string(const YearMonth& m);
bool is_valid(const YearMonth& m);
YearMonth month_of(const Date& d);
// Months from `from` to `to` (negative if `to` is earlier).
int months_between(const YearMonth& from, const YearMonth& to);

enum class Sex : std::uint8_t { male = 1, female = 2 };
bool valid_sex(Sex s);
const char* sex_name(Sex s);                   // "male", "female"
Result<Sex> parse_sex(std::string_view text);  // "M"/"L"/"male"/"laki-laki" or "F"/"P"/"female"/"perempuan"

// Programmes of BPJS Ketenagakerjaan for non-wage earners (BPU).
enum class Programme : std::uint8_t { jkk = 1, jkm = 2, jht = 3 };
bool valid_programme(Programme p);
Result<Programme> parse_programme(std::string_view text);  // "JKK", "JKM", "JHT" (any case)
const char* programme_name(Programme p);                   // "JKK", ...

// A set of programmes as a bitmask: bit (p - 1) for programme p.
using ProgrammeSet = std::uint8_t;
constexpr ProgrammeSet programme_bit(Programme p) {
  return static_cast<ProgrammeSet>(1u << (static_cast<unsigned>(p) - 1));
}
constexpr bool contains(ProgrammeSet set, Programme p) { return (set & programme_bit(p)) != 0; }
// "JKK+JKM+JHT" or "JKK,JKM" (either separator).
Result<ProgrammeSet> parse_programmes(std::string_view text);
std::string programmes_to_string(ProgrammeSet set);

enum class Role : std::uint8_t { office = 1, auditor = 2, admin = 3 };
bool valid_role(Role r);
Result<Role> parse_role(std::string_view text);
const char* role_name(Role r);

enum class PayMethod : std::uint8_t { bank = 1, cash = 2 };
bool valid_pay_method(PayMethod m);
Result<PayMethod> parse_pay_method(std::string_view text);
const char* pay_method_name(PayMethod m);

// A NIK (Nomor Induk Kependudukan): 16 digits = province(2) regency(2) district(2)
// DDMMYY (day + 40 for women) serial(4). Construct only through parse_nik().
class Nik {
 public:
  Nik() = default;
  const std::string& str() const { return digits_; }
  std::string_view province() const { return std::string_view(digits_).substr(0, 2); }
  std::string_view regency() const { return std::string_view(digits_).substr(0, 4); }  // province + regency
  auto operator<=>(const Nik&) const = default;

 private:
  friend Result<Nik> parse_nik(std::string_view text);
  std::string digits_;
};
// Exactly 16 ASCII digits; province 11..94; regency and district parts not 00;
// day part 01..31 or 41..71 and a day that exists in its month (29 February always
// allowed: the century is not in the NIK); month 01..12; serial not 0000.
// The error says which part is wrong and what it should be.
Result<Nik> parse_nik(std::string_view text);
// Builds the NIK of a person from its parts (for generators and tests):
// regency4 = province + regency ("3578"), district2 ("01"), serial 1..9999.
Result<Nik> make_nik(std::string_view regency4, std::string_view district2, Date birth, Sex sex, std::uint16_t serial);
// The NIK's date part must agree with `birth` and `sex`; the error says which part
// disagrees ("NIK 3578...: day 52 means a woman born on the 12th, but sex is male").
Status check_nik_matches(const Nik& nik, const Date& birth, Sex sex);

// ---- payloads (one per entry kind) ----
enum class EntryKind : std::uint16_t {
  principal_register = 1,
  principal_revoke = 2,
  schedule_set = 3,
  participant_enroll = 10,
  participant_update = 11,
  contribution_paid = 12,
  claim_filed = 13,
  payout_made = 14,
  entry_void = 15,
};
bool valid_kind(EntryKind k);
const char* kind_name(EntryKind k);                   // "participant.enroll"
Result<EntryKind> parse_kind(std::string_view text);  // accepts kind_name()
bool is_admin_kind(EntryKind k);                      // principal.*, schedule.set

// Registers a key for a principal. A second register for the same id with a new
// key adds that key (a replacement laptop); the role must stay the same.
struct PrincipalRegister {
  std::string principal_id;  // [A-Z0-9-]{2,32}, e.g. "SBY-RUNGKUT"
  Role role = Role::office;
  crypto::PublicKey key{};
  std::string name;   // "Surabaya Rungkut"
  std::string scope;  // region the principal serves: 2-digit province or 4-digit regency code, "" = all

  template <class Archive>
  void serialize(Archive& ar) {
    namespace e = encoding;
    ar(e::bounded(principal_id, principal_id_bytes_max, "principal_id"), e::checked(role, valid_role, "role"), key,
       e::bounded(name, name_bytes_max, "name"), e::bounded(scope, 4, "scope"));
  }
};

// Revokes one key of a principal from this point of the log on.
struct PrincipalRevoke {
  std::string principal_id;
  crypto::PublicKey key{};
  std::string reason;

  template <class Archive>
  void serialize(Archive& ar) {
    namespace e = encoding;
    ar(e::bounded(principal_id, principal_id_bytes_max, "principal_id"), key,
       e::bounded(reason, text_bytes_max, "reason"));
  }
};

struct ScheduleItem {
  Programme programme = Programme::jkm;
  Rupiah benefit_max = 0;           // highest payout for one claim; 0 = no fixed ceiling (JKK care costs)
  Rupiah contribution_monthly = 0;  // per participant per month

  template <class Archive>
  void serialize(Archive& ar) {
    ar(encoding::checked(programme, valid_programme, "programme"), benefit_max, contribution_monthly);
  }
};

// The schedule in force for events on or after `effective` (until a later one).
struct ScheduleSet {
  Date effective;
  std::vector<ScheduleItem> items;  // at most one per programme

  template <class Archive>
  void serialize(Archive& ar) {
    ar(effective, encoding::bounded(items, schedule_items_max, "items"));
  }
};

struct Heir {
  std::string name;
  std::string relation;  // "spouse", "child", "parent", "sibling", "other"
  std::string nik;       // "" if unknown; else a valid NIK

  template <class Archive>
  void serialize(Archive& ar) {
    namespace e = encoding;
    ar(e::bounded(name, name_bytes_max, "heir.name"), e::bounded(relation, code_bytes_max, "heir.relation"),
       e::bounded(nik, 16, "heir.nik"));
  }
};

struct ParticipantEnroll {
  std::string nik;
  std::string name;
  Date birth_date;
  Sex sex = Sex::male;
  std::string regency_code;     // 4 digits, e.g. "3578" (Kota Surabaya)
  std::string occupation;       // [A-Z0-9_]{2,32}: TAGANA, TKSK, KPM_PKH, ...
  std::string sponsor;          // collective/sponsor ("DINSOS-JATIM"), "" = self
  Rupiah declared_income = 0;   // monthly
  ProgrammeSet programmes = 0;  // must include JKK and JKM
  Date coverage_start;
  std::vector<Heir> heirs;
  std::string phone;
  std::string address;

  template <class Archive>
  void serialize(Archive& ar) {
    namespace e = encoding;
    ar(e::bounded(nik, 16, "nik"), e::bounded(name, name_bytes_max, "name"), birth_date,
       e::checked(sex, valid_sex, "sex"), e::bounded(regency_code, 4, "regency_code"),
       e::bounded(occupation, code_bytes_max, "occupation"), e::bounded(sponsor, code_bytes_max, "sponsor"),
       declared_income, programmes, coverage_start, e::bounded(heirs, heirs_max, "heirs"),
       e::bounded(phone, code_bytes_max, "phone"), e::bounded(address, text_bytes_max, "address"));
  }
};

// Changes contact details and/or heirs, and corrects a mistyped name, birth date
// or occupation; absent fields stay as they were.
//
// Two forms (docs/FORMAT.md): v1 is the contact fields alone; v2 appends a version
// byte 2 and the three corrections. An update carries the v2 part exactly when it
// corrects something (is_v2()), so every update has one encoding, and entries
// written before v2 decode and re-encode byte for byte. load() reads the v1 fields
// only: decode_payload() reads the v2 part, which needs to know whether bytes
// remain.
struct ParticipantUpdate {
  std::string nik;
  std::optional<std::string> phone;
  std::optional<std::string> address;
  bool replace_heirs = false;
  std::vector<Heir> heirs;  // the new list when replace_heirs
  // v2: corrections of what the enrollment said.
  std::optional<std::string> name;
  std::optional<Date> birth_date;
  std::optional<std::string> occupation;

  static constexpr std::uint8_t v2_tag = 2;
  bool is_v2() const { return name || birth_date || occupation; }

  template <class Archive>
  void save(Archive& ar) const {
    auto& self = const_cast<ParticipantUpdate&>(*this);
    self.v1_fields(ar);
    if (is_v2()) {
      ar(v2_tag);
      self.v2_fields(ar);
    }
  }
  template <class Archive>
  void load(Archive& ar) {
    v1_fields(ar);
  }
  template <class Archive>
  void v1_fields(Archive& ar) {
    namespace e = encoding;
    ar(e::bounded(nik, 16, "nik"), e::optional(phone, code_bytes_max, "phone"),
       e::optional(address, text_bytes_max, "address"), e::flag(replace_heirs, "replace_heirs"),
       e::bounded(heirs, heirs_max, "heirs"));
  }
  template <class Archive>
  void v2_fields(Archive& ar) {
    namespace e = encoding;
    ar(e::optional(name, name_bytes_max, "name"), e::optional(birth_date, "birth_date"),
       e::optional(occupation, code_bytes_max, "occupation"));
  }
};

struct ProgrammeAmount {
  Programme programme = Programme::jkm;
  Rupiah amount = 0;  // total for all months

  template <class Archive>
  void serialize(Archive& ar) {
    ar(encoding::checked(programme, valid_programme, "programme"), amount);
  }
};

struct ContributionPaid {
  std::string nik;
  YearMonth first_month;
  std::uint16_t months = 1;              // 1..contribution_months_max
  std::vector<ProgrammeAmount> amounts;  // one per programme paid
  std::string payer;                     // "SELF" or the sponsor code
  std::string receipt_no;                // unique per office

  template <class Archive>
  void serialize(Archive& ar) {
    namespace e = encoding;
    ar(e::bounded(nik, 16, "nik"), first_month, months, e::bounded(amounts, 3, "amounts"),
       e::bounded(payer, code_bytes_max, "payer"), e::bounded(receipt_no, code_bytes_max, "receipt_no"));
  }
};

struct ClaimFiled {
  std::string claim_no;  // unique in the whole ledger, e.g. "SBY-RUNGKUT/2018/0001"
  std::string nik;
  Programme programme = Programme::jkm;  // JKM: death; JKK: work accident
  Date event_date;
  Heir claimant;

  template <class Archive>
  void serialize(Archive& ar) {
    namespace e = encoding;
    ar(e::bounded(claim_no, code_bytes_max, "claim_no"), e::bounded(nik, 16, "nik"),
       e::checked(programme, valid_programme, "programme"), event_date, claimant);
  }
};

struct PayoutMade {
  std::string claim_no;
  Rupiah amount = 0;
  std::string beneficiary;  // name
  PayMethod method = PayMethod::bank;
  std::string reference;  // bank transfer or cash receipt reference

  template <class Archive>
  void serialize(Archive& ar) {
    namespace e = encoding;
    ar(e::bounded(claim_no, code_bytes_max, "claim_no"), amount, e::bounded(beneficiary, name_bytes_max, "beneficiary"),
       e::checked(method, valid_pay_method, "method"), e::bounded(reference, code_bytes_max * 2, "reference"));
  }
};

// Corrects an earlier entry of the same office by cancelling its effect.
struct EntryVoid {
  std::string target_principal;
  std::uint64_t target_seq = 0;
  std::string reason;

  template <class Archive>
  void serialize(Archive& ar) {
    namespace e = encoding;
    ar(e::bounded(target_principal, principal_id_bytes_max, "target_principal"), target_seq,
       e::bounded(reason, text_bytes_max, "reason"));
  }
};

using Payload = std::variant<PrincipalRegister, PrincipalRevoke, ScheduleSet, ParticipantEnroll, ParticipantUpdate,
                             ContributionPaid, ClaimFiled, PayoutMade, EntryVoid>;

EntryKind kind_of(const Payload& p);

// Field-by-field validation; the error names the field and says how to fix it:
// "participant.enroll: regency_code: 3579 is not the NIK's regency 3578; ...".
// Pure: no clock, no state (whether a NIK is already enrolled is the rules' job).
Status validate(const Payload& p);

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF).
bool is_valid_utf8(std::string_view text);

// The payload bytes carried in an Entry: the portable-binary encoding of the
// payload struct alone (with its leading 0x01 flag).
Result<Bytes> encode_payload(const Payload& p);
// Decodes the payload for `kind`; does not validate() it.
Result<Payload> decode_payload(EntryKind kind, ByteView bytes);

// ---- verdicts (written into the central log next to each entry) ----
enum class Outcome : std::uint8_t { accepted = 1, rejected = 2, flagged = 3 };
bool valid_outcome(Outcome o);
const char* outcome_name(Outcome o);

// How many verdicts of each outcome a sync, an import or a recovery saw.
struct OutcomeCounts {
  std::uint64_t accepted = 0, rejected = 0, flagged = 0;
  void count(Outcome o) {
    if (o == Outcome::accepted) ++accepted;
    if (o == Outcome::rejected) ++rejected;
    if (o == Outcome::flagged) ++flagged;
  }
};

// A stable reason code ("duplicate_enrollment") and human text that says what
// happened and what to do.
struct Reason {
  std::string code;
  std::string text;

  bool operator==(const Reason&) const = default;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(encoding::bounded(code, 48, "reason.code"), encoding::bounded(text, text_bytes_max, "reason.text"));
  }
};

struct Verdict {
  Outcome outcome = Outcome::accepted;
  std::vector<Reason> reasons;  // empty when accepted

  bool operator==(const Verdict&) const = default;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(encoding::checked(outcome, valid_outcome, "outcome"), encoding::bounded(reasons, 8, "reasons"));
  }
};

}  // namespace lontar::domain
