#include <doctest/doctest.h>

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "encoding/encoding.hpp"
#include "rules/overlay_state.hpp"
#include "rules/person_filter.hpp"
#include "rules/rules.hpp"
#include "store/db.hpp"
#include "support/examples.hpp"
#include "support/property.hpp"
#include "support/temp_dir.hpp"

using namespace lontar;
using namespace lontar::domain;
namespace reason = lontar::rules::reason;

namespace {

// ---- fixed people, principals and payloads ----

rules::NikKey ledger_key(std::uint8_t fill = 0x4b) {
  rules::NikKey k{};
  k.fill(fill);
  return k;
}

crypto::PublicKey key_of(std::uint8_t n) {
  crypto::PublicKey k{};
  k.fill(n);
  return k;
}

// NIK of person n (1..9999): a man from Kota Surabaya born on 17 March 1985.
std::string nik(std::uint16_t n) {
  auto r = make_nik("3578", "12", {1985, 3, 17}, Sex::male, n);
  REQUIRE(r.ok());
  return r->str();
}

ParticipantEnroll enroll(std::uint16_t person, Date coverage_start = {2018, 5, 1},
                         ProgrammeSet programmes = programme_bit(Programme::jkk) | programme_bit(Programme::jkm)) {
  ParticipantEnroll e = lontar::test::tagana_volunteer();
  e.nik = nik(person);
  e.programmes = programmes;
  e.coverage_start = coverage_start;
  return e;
}

ContributionPaid contribution(std::uint16_t person, std::string receipt, YearMonth first = {2018, 5},
                              std::uint16_t months = 6) {
  return {nik(person),       first, months, {{Programme::jkk, 60'000}, {Programme::jkm, 40'800}}, "DINSOS-JATIM",
          std::move(receipt)};
}

ClaimFiled claim(std::string claim_no, std::uint16_t person, Date event = {2018, 5, 10},
                 Programme programme = Programme::jkm) {
  return {std::move(claim_no), nik(person), programme, event, Heir{"Sri Wahyuni", "spouse", ""}};
}

PayoutMade payout(std::string claim_no, Rupiah amount) {
  return {std::move(claim_no), amount, "Sri Wahyuni", PayMethod::bank, "BRI/TRF/180521/0042"};
}

ScheduleSet schedule(Date effective, Rupiah jkm_benefit) {
  return {effective, {{Programme::jkk, 0, 10'000}, {Programme::jkm, jkm_benefit, 6'800}, {Programme::jht, 0, 20'000}}};
}

const char* const admin = "ADMIN";
const char* const rungkut = "SBY-RUNGKUT";
const char* const darmo = "SBY-DARMO";
const char* const auditor = "AUDIT-PUSAT";

// Reason codes of a verdict, in order.
std::vector<std::string> codes(const Verdict& v) {
  std::vector<std::string> out;
  for (const auto& r : v.reasons) out.push_back(r.code);
  return out;
}

std::vector<std::string> codes(std::initializer_list<std::string_view> list) { return {list.begin(), list.end()}; }

// A ledger of several principals writing into one rules state, numbering each
// principal's entries 1, 2, 3...
class Ledger {
 public:
  explicit Ledger(rules::State& state) : state_(state) {}

  chain::Entry entry(const std::string& principal, const Payload& payload) {
    auto e = chain::make_entry(principal, seqs_[principal] + 1, Hash{}, 0, "clerk", payload);
    REQUIRE(e.ok());
    return *e;
  }

  // Judges and applies the next entry of `principal`.
  Verdict record(const std::string& principal, const Payload& payload) {
    chain::Entry e = entry(principal, payload);
    seqs_[principal] = e.seq;
    auto v = rules::judge_and_apply(e, state_);
    REQUIRE_MESSAGE(v.ok(), v.error().message);
    log_.emplace_back(std::move(e), *v);
    return *v;
  }

  // Judges the next entry of `principal` without applying or numbering it.
  Verdict judge(const std::string& principal, const Payload& payload) {
    auto v = rules::judge(entry(principal, payload), state_);
    REQUIRE_MESSAGE(v.ok(), v.error().message);
    return *v;
  }

  // Every recorded entry with its verdict, in order (what the central log holds).
  const std::vector<std::pair<chain::Entry, Verdict>>& log() const { return log_; }

  // Genesis, two offices, an auditor and the 2018 schedule (JKM benefit Rp 24,000,000).
  void found() {
    REQUIRE(record(admin, PrincipalRegister{admin, Role::admin, key_of(1), "Admin Pusat", ""}) == Verdict{});
    REQUIRE(record(admin, PrincipalRegister{rungkut, Role::office, key_of(2), "Surabaya Rungkut", "3578"}) ==
            Verdict{});
    REQUIRE(record(admin, PrincipalRegister{darmo, Role::office, key_of(3), "Surabaya Darmo", "3578"}) == Verdict{});
    REQUIRE(record(admin, PrincipalRegister{auditor, Role::auditor, key_of(4), "Auditor Pusat", ""}) == Verdict{});
    REQUIRE(record(admin, schedule({2018, 1, 1}, 24'000'000)) == Verdict{});
  }

 private:
  rules::State& state_;
  std::map<std::string, std::uint64_t> seqs_;
  std::vector<std::pair<chain::Entry, Verdict>> log_;
};

// A rules state in a real SQLite file.
struct SqliteFixture {
  test::TempDir dir;
  std::unique_ptr<store::Db> db = std::move(store::Db::open(dir.file("rules.db"))).value();
  std::unique_ptr<rules::State> state = std::move(rules::make_sqlite_state(*db, ledger_key())).value();
  Ledger ledger{*state};
};

const Verdict accepted{};

}  // namespace

// ================= person keys, genesis, payloads, roles =================

TEST_CASE("docs/RULES.md lists every reason code with its outcome") {
  const auto path = std::filesystem::path(LONTAR_SOURCE_DIR) / "docs/RULES.md";
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::stringstream text;
  text << in.rdbuf();
  for (std::string_view code : reason::all) {
    INFO(code);
    const bool flagged = code == reason::event_before_coverage || code == reason::above_schedule ||
                         code == reason::claim_overpaid || code == reason::second_death_benefit ||
                         code == reason::no_coverage;
    const std::string row = fmt::format("| `{}` | {} |", code, flagged ? "flagged" : "rejected");
    CHECK(text.str().find(row) != std::string::npos);
  }
}

TEST_CASE("a person key is HMAC-SHA-256 of the NIK under the ledger's key") {
  const auto k = ledger_key();
  CHECK(rules::person_key(k, nik(1)) == crypto::hmac_sha256(k, as_bytes(nik(1))));
  CHECK(rules::person_key(k, nik(1)) != rules::person_key(k, nik(2)));
  CHECK(rules::person_key(k, nik(1)) != rules::person_key(ledger_key(0x17), nik(1)));
}

TEST_CASE("the first entry of an empty ledger may register its own writer as admin, and nothing else may") {
  SqliteFixture f;
  const PrincipalRegister self{admin, Role::admin, key_of(1), "Admin Pusat", ""};
  // Not genesis: an office registering itself, or an admin registered by someone else.
  CHECK(codes(f.ledger.judge(rungkut, PrincipalRegister{rungkut, Role::office, key_of(2), "Rungkut", ""})) ==
        codes({reason::unknown_principal}));
  CHECK(codes(f.ledger.judge("SOMEONE", self)) == codes({reason::unknown_principal}));
  CHECK(codes(f.ledger.judge(rungkut, enroll(1))) == codes({reason::unknown_principal}));
  CHECK(f.ledger.record(admin, self) == accepted);
  // Once the ledger has an admin, a second self-registration is no genesis.
  auto second = f.ledger.judge("ADMIN-2", PrincipalRegister{"ADMIN-2", Role::admin, key_of(9), "Second", ""});
  CHECK(codes(second) == codes({reason::unknown_principal}));
  CHECK(second.reasons[0].text.find("ADMIN-2 is not registered") != std::string::npos);
}

TEST_CASE(
    "a seal is allowed for a registered, unrevoked key, or at genesis for the key its first entry registers as "
    "admin") {
  SqliteFixture f;
  auto seal_by = [](const std::string& principal, const crypto::PublicKey& key) {
    chain::Seal s;
    s.principal = principal;
    s.key = key;
    return s;
  };
  auto grant = [&](const chain::Seal& s, const chain::Entry* first) {
    auto g = rules::seal_allowed(s, first, *f.state);
    REQUIRE(g.ok());
    return *g;
  };
  const PrincipalRegister self{admin, Role::admin, key_of(1), "Admin Pusat", ""};
  const chain::Entry genesis = f.ledger.entry(admin, self);
  // An empty ledger: only the writer registering itself as admin, with the seal's own key.
  CHECK(grant(seal_by(admin, key_of(1)), &genesis) == rules::SealGrant::genesis);
  CHECK(grant(seal_by(admin, key_of(1)), nullptr) == rules::SealGrant::refused);
  CHECK(grant(seal_by(admin, key_of(9)), &genesis) == rules::SealGrant::refused);
  CHECK(grant(seal_by("SOMEONE", key_of(1)), &genesis) == rules::SealGrant::refused);
  const chain::Entry office_self =
      f.ledger.entry(rungkut, PrincipalRegister{rungkut, Role::office, key_of(2), "R", ""});
  CHECK(grant(seal_by(rungkut, key_of(2)), &office_self) == rules::SealGrant::refused);
  // Once principals exist: the registered keys, and no second genesis.
  f.ledger.found();
  CHECK(grant(seal_by(admin, key_of(1)), &genesis) == rules::SealGrant::registered_key);
  CHECK(grant(seal_by(rungkut, key_of(2)), nullptr) == rules::SealGrant::registered_key);
  CHECK(grant(seal_by(rungkut, key_of(3)), nullptr) == rules::SealGrant::refused);  // darmo's key
  const chain::Entry second = f.ledger.entry("ADMIN-2", PrincipalRegister{"ADMIN-2", Role::admin, key_of(9), "2", ""});
  CHECK(grant(seal_by("ADMIN-2", key_of(9)), &second) == rules::SealGrant::refused);
  REQUIRE(f.ledger.record(admin, PrincipalRevoke{rungkut, key_of(2), "laptop stolen"}) == accepted);
  CHECK(grant(seal_by(rungkut, key_of(2)), nullptr) == rules::SealGrant::refused);
}

TEST_CASE("an undecodable or invalid payload is rejected with the validation message") {
  SqliteFixture f;
  f.ledger.found();
  auto bad = enroll(1);
  bad.regency_code = "3515";
  auto v = f.ledger.judge(rungkut, bad);
  REQUIRE(codes(v) == codes({reason::invalid_payload}));
  CHECK(v.outcome == Outcome::rejected);
  CHECK(v.reasons[0].text.starts_with("participant.enroll: regency_code:"));

  chain::Entry garbled = f.ledger.entry(rungkut, enroll(1));
  garbled.payload.resize(garbled.payload.size() - 3);
  auto g = rules::judge(garbled, *f.state);
  REQUIRE(g.ok());
  CHECK(codes(*g) == codes({reason::invalid_payload}));
  CHECK(g->reasons[0].text.find("record it again") != std::string::npos);

  garbled.kind = static_cast<EntryKind>(99);
  CHECK(codes(*rules::judge(garbled, *f.state)) == codes({reason::invalid_payload}));
}

TEST_CASE("admin kinds need an admin, office kinds an office, and auditors write nothing") {
  SqliteFixture f;
  f.ledger.found();
  auto office_schedule = f.ledger.judge(rungkut, schedule({2019, 1, 1}, 42'000'000));
  CHECK(codes(office_schedule) == codes({reason::not_authorized}));
  CHECK(office_schedule.reasons[0].text.find("only admin principals may write schedule.set") != std::string::npos);
  CHECK(codes(f.ledger.judge(admin, enroll(1))) == codes({reason::not_authorized}));
  CHECK(codes(f.ledger.judge(auditor, enroll(1))) == codes({reason::not_authorized}));
  CHECK(codes(f.ledger.judge(auditor, PrincipalRevoke{rungkut, key_of(2), "test"})) == codes({reason::not_authorized}));
  CHECK(codes(f.ledger.judge("SBY-GHOST", enroll(1))) == codes({reason::unknown_principal}));
  CHECK(f.ledger.judge(rungkut, enroll(1)) == accepted);
}

TEST_CASE("a principal keeps its role; a new key for the same role is a replacement laptop") {
  SqliteFixture f;
  f.ledger.found();
  auto change = f.ledger.record(admin, PrincipalRegister{rungkut, Role::auditor, key_of(7), "Rungkut", ""});
  CHECK(codes(change) == codes({reason::role_change}));
  CHECK(change.reasons[0].text.find("registered as office") != std::string::npos);
  // The rejected register added no key: revoking that key is refused.
  CHECK(codes(f.ledger.judge(admin, PrincipalRevoke{rungkut, key_of(7), "never added"})) ==
        codes({reason::unknown_key}));

  CHECK(f.ledger.record(admin, PrincipalRegister{rungkut, Role::office, key_of(8), "Surabaya Rungkut", "3578"}) ==
        accepted);
  CHECK(f.ledger.record(admin, PrincipalRevoke{rungkut, key_of(2), "laptop stolen"}) == accepted);
  CHECK(f.ledger.record(rungkut, enroll(1)) == accepted);  // the new key still serves
  CHECK(codes(f.ledger.judge(admin, PrincipalRevoke{rungkut, key_of(2), "again"})) == codes({reason::unknown_key}));
}

TEST_CASE("an office whose every key is revoked has its entries rejected") {
  SqliteFixture f;
  f.ledger.found();
  REQUIRE(f.ledger.record(admin, PrincipalRevoke{darmo, key_of(3), "office closed"}) == accepted);
  auto v = f.ledger.record(darmo, enroll(1));
  CHECK(codes(v) == codes({reason::principal_revoked}));
  CHECK(v.reasons[0].text.find("register its new key") != std::string::npos);
  CHECK(f.ledger.record(rungkut, enroll(1)) == accepted);  // the rejected one left no enrollment
}

// ================= participants, contributions, claims =================

TEST_CASE("a second enrollment of one person is rejected and names the office and the date, never the seq or NIK") {
  SqliteFixture f;
  f.ledger.found();
  REQUIRE(f.ledger.record(darmo, enroll(1)) == accepted);
  REQUIRE(f.ledger.record(darmo, enroll(2)) == accepted);
  for (const char* office : {rungkut, darmo}) {
    auto v = f.ledger.judge(office, enroll(2));
    REQUIRE(codes(v) == codes({reason::duplicate_enrollment}));
    CHECK(v.outcome == Outcome::rejected);
    CHECK(v.reasons[0].text.find("already enrolled by SBY-DARMO (Surabaya Darmo), coverage from 2018-05-01") !=
          std::string::npos);
    CHECK(v.reasons[0].text.find("seq") == std::string::npos);
    CHECK(v.reasons[0].text.find(nik(2)) == std::string::npos);
  }
}

TEST_CASE("updates, contributions and claims for a person with no active enrollment are rejected") {
  SqliteFixture f;
  f.ledger.found();
  REQUIRE(f.ledger.record(rungkut, enroll(1)) == accepted);
  const ParticipantUpdate update{nik(2), std::string("081299998888"), std::nullopt, false, {}, {}, {}, {}};
  CHECK(codes(f.ledger.judge(rungkut, update)) == codes({reason::unknown_participant}));
  CHECK(codes(f.ledger.judge(rungkut, contribution(2, "KWT-1"))) == codes({reason::unknown_participant}));
  CHECK(codes(f.ledger.judge(rungkut, claim("C-1", 2))) == codes({reason::unknown_participant}));
  // Any office may serve an enrolled person.
  const ParticipantUpdate update1{nik(1), std::string("081299998888"), std::nullopt, false, {}, {}, {}, {}};
  CHECK(f.ledger.judge(darmo, update1) == accepted);
  CHECK(f.ledger.judge(darmo, contribution(1, "KWT-1")) == accepted);
}

TEST_CASE("a participant.update v2 correcting the birth date is judged against the coverage start") {
  SqliteFixture f;
  f.ledger.found();
  REQUIRE(f.ledger.record(rungkut, enroll(1)) == accepted);  // born 1985-03-17, covered from 2018-05-01
  ParticipantUpdate fix;
  fix.nik = nik(1);
  fix.name = "Agus Setiawan";
  fix.occupation = "TKSK";
  fix.birth_date = Date{1985, 3, 17};
  CHECK(f.ledger.judge(darmo, fix) == accepted);
  // 2085 agrees with the NIK (year 85) but comes after the coverage start.
  fix.birth_date = Date{2085, 3, 17};
  auto v = f.ledger.judge(rungkut, fix);
  REQUIRE(codes(v) == codes({reason::birth_date_conflict}));
  CHECK(v.reasons[0].text.find("coverage start 2018-05-01") != std::string::npos);
  CHECK(v.reasons[0].text.find("SBY-RUNGKUT seq") != std::string::npos);
  CHECK(v.reasons[0].text.find("2085") == std::string::npos);  // no birth date in a text other offices see
  // A date the NIK does not say is invalid before any rule.
  fix.birth_date = Date{1985, 3, 18};
  CHECK(codes(f.ledger.judge(rungkut, fix)) == codes({reason::invalid_payload}));
  // A correction of an unknown person is refused as any update.
  fix.nik = nik(2);
  fix.birth_date.reset();
  CHECK(codes(f.ledger.judge(rungkut, fix)) == codes({reason::unknown_participant}));
}

TEST_CASE("a receipt number may be used once per office") {
  SqliteFixture f;
  f.ledger.found();
  REQUIRE(f.ledger.record(rungkut, enroll(1)) == accepted);
  REQUIRE(f.ledger.record(rungkut, contribution(1, "KWT-2018-0001")) == accepted);
  auto v = f.ledger.record(rungkut, contribution(1, "KWT-2018-0001", {2018, 11}));
  CHECK(codes(v) == codes({reason::duplicate_receipt}));
  CHECK(v.reasons[0].text.find("receipt KWT-2018-0001 was already used by SBY-RUNGKUT") != std::string::npos);
  CHECK(f.ledger.record(darmo, contribution(1, "KWT-2018-0001")) == accepted);  // another office's book
}

TEST_CASE("a claim number is unique in the whole ledger and its programme must be enrolled") {
  SqliteFixture f;
  f.ledger.found();
  REQUIRE(f.ledger.record(rungkut, enroll(1)) == accepted);
  REQUIRE(f.ledger.record(rungkut, enroll(2)) == accepted);
  REQUIRE(f.ledger.record(rungkut, claim("SBY/2018/0001", 1)) == accepted);
  auto dup = f.ledger.judge(darmo, claim("SBY/2018/0001", 2));
  CHECK(codes(dup) == codes({reason::duplicate_claim}));
  CHECK(dup.reasons[0].text.find("(SBY-RUNGKUT seq 3)") != std::string::npos);
  auto jht = f.ledger.judge(rungkut, claim("SBY/2018/0002", 2, {2018, 6, 1}, Programme::jht));
  CHECK(codes(jht) == codes({reason::programme_not_enrolled}));
  CHECK(jht.reasons[0].text.find("enrolled in JKK+JKM") != std::string::npos);
}

TEST_CASE("an event before the coverage start is flagged, and the claim is still filed") {
  SqliteFixture f;
  f.ledger.found();
  REQUIRE(f.ledger.record(rungkut, enroll(1, {2018, 5, 1})) == accepted);
  auto v = f.ledger.record(rungkut, claim("C-1", 1, {2018, 4, 30}));
  CHECK(v.outcome == Outcome::flagged);
  CHECK(codes(v) == codes({reason::event_before_coverage}));
  CHECK(v.reasons[0].text.find("event date 2018-04-30 is before the coverage start 2018-05-01") != std::string::npos);
  CHECK(codes(f.ledger.judge(rungkut, claim("C-1", 1))) == codes({reason::duplicate_claim}));
}

// ================= payouts =================

TEST_CASE("a payout for an unknown claim is rejected") {
  SqliteFixture f;
  f.ledger.found();
  auto v = f.ledger.judge(rungkut, payout("SBY/2018/0404", 24'000'000));
  CHECK(codes(v) == codes({reason::unknown_claim}));
  CHECK(v.reasons[0].text.find("claim SBY/2018/0404 is not on the ledger") != std::string::npos);
}

TEST_CASE(
    "the 2018 case: Rp 24,000,000 death benefits pass, Rp 42,000,000 is above the 2018 schedule, and the "
    "2019 schedule raises it without changing 2018 verdicts") {
  SqliteFixture f;
  Ledger& l = f.ledger;
  l.found();
  // Three Tagana volunteers enrolled and covered in May 2018 died; their heirs were paid the same day.
  for (std::uint16_t p = 1; p <= 4; ++p) {
    REQUIRE(l.record(rungkut, enroll(p, {2018, 5, 1})) == accepted);
    REQUIRE(l.record(rungkut, contribution(p, "KWT-" + std::to_string(p))) == accepted);
  }
  std::vector<Verdict> verdicts_2018;
  for (std::uint16_t p = 1; p <= 3; ++p) {
    const std::string no = "SBY-RUNGKUT/2018/000" + std::to_string(p);
    REQUIRE(l.record(rungkut, claim(no, p, {2018, 5, 10})) == accepted);
    verdicts_2018.push_back(l.record(rungkut, payout(no, 24'000'000)));
    CHECK(verdicts_2018.back() == accepted);
  }
  REQUIRE(l.record(rungkut, claim("SBY-RUNGKUT/2018/0004", 4, {2018, 6, 2})) == accepted);
  auto high = l.judge(rungkut, payout("SBY-RUNGKUT/2018/0004", 42'000'000));
  CHECK(high.outcome == Outcome::flagged);
  CHECK(codes(high) == codes({reason::above_schedule}));
  CHECK(high.reasons[0].text.find("payout Rp 42.000.000 is above the JKM benefit of Rp 24.000.000 in force on "
                                  "2018-06-02") != std::string::npos);

  REQUIRE(l.record(admin, schedule({2019, 1, 1}, 42'000'000)) == accepted);
  REQUIRE(l.record(rungkut, enroll(5, {2019, 1, 1})) == accepted);
  REQUIRE(l.record(rungkut, contribution(5, "KWT-5", {2019, 1}, 12)) == accepted);
  REQUIRE(l.record(rungkut, claim("SBY-RUNGKUT/2019/0001", 5, {2019, 3, 4})) == accepted);
  CHECK(l.record(rungkut, payout("SBY-RUNGKUT/2019/0001", 42'000'000)) == accepted);
  // A 2018 death is still judged by the 2018 schedule.
  CHECK(l.judge(rungkut, payout("SBY-RUNGKUT/2018/0004", 42'000'000)) == high);
  CHECK(l.judge(rungkut, payout("SBY-RUNGKUT/2018/0004", 24'000'000)) == accepted);

  // An auditor replaying the whole log reaches every verdict again, the three 2018 payouts included.
  auto replayed = rules::make_memory_state(ledger_key());
  std::vector<Verdict> payouts_2018;
  for (const auto& [entry, verdict] : l.log()) {
    auto v = rules::judge_and_apply(entry, *replayed);
    REQUIRE(v.ok());
    CHECK(*v == verdict);
    if (entry.kind == EntryKind::payout_made && payouts_2018.size() < 3) payouts_2018.push_back(*v);
  }
  CHECK(payouts_2018 == verdicts_2018);
}

TEST_CASE("payouts on one claim that add up above the schedule are flagged, and flagged money still counts") {
  SqliteFixture f;
  f.ledger.found();
  REQUIRE(f.ledger.record(rungkut, enroll(1)) == accepted);
  REQUIRE(f.ledger.record(rungkut, contribution(1, "KWT-1")) == accepted);
  REQUIRE(f.ledger.record(rungkut, claim("C-1", 1)) == accepted);
  CHECK(f.ledger.record(rungkut, payout("C-1", 20'000'000)) == accepted);
  auto second = f.ledger.record(rungkut, payout("C-1", 20'000'000));
  CHECK(second.outcome == Outcome::flagged);
  CHECK(codes(second) == codes({reason::claim_overpaid}));
  CHECK(second.reasons[0].text.find("now add up to Rp 40.000.000") != std::string::npos);
  auto third = f.ledger.record(rungkut, payout("C-1", 1));
  CHECK(third.reasons[0].text.find("now add up to Rp 40.000.001") != std::string::npos);
}

TEST_CASE("a second death benefit for one person is flagged, even on another office's claim") {
  SqliteFixture f;
  f.ledger.found();
  REQUIRE(f.ledger.record(rungkut, enroll(1)) == accepted);
  REQUIRE(f.ledger.record(rungkut, contribution(1, "KWT-1")) == accepted);
  REQUIRE(f.ledger.record(rungkut, claim("RKT/1", 1)) == accepted);
  REQUIRE(f.ledger.record(rungkut, payout("RKT/1", 24'000'000)) == accepted);
  REQUIRE(f.ledger.record(darmo, claim("DRM/1", 1)) == accepted);
  auto v = f.ledger.record(darmo, payout("DRM/1", 24'000'000));
  CHECK(v.outcome == Outcome::flagged);
  CHECK(codes(v) == codes({reason::second_death_benefit}));
  CHECK(v.reasons[0].text.find("already received Rp 24.000.000 of death benefit") != std::string::npos);
  // A JKK (accident) claim of the same person is no death benefit.
  REQUIRE(f.ledger.record(darmo, claim("DRM/2", 1, {2018, 5, 10}, Programme::jkk)) == accepted);
  CHECK(f.ledger.judge(darmo, payout("DRM/2", 5'000'000)) == accepted);
}

TEST_CASE("a payout with no paid month covering the event is flagged, and flags accumulate") {
  SqliteFixture f;
  f.ledger.found();
  REQUIRE(f.ledger.record(rungkut, enroll(1)) == accepted);
  REQUIRE(f.ledger.record(rungkut, contribution(1, "KWT-1", {2018, 5}, 2)) == accepted);  // May and June
  REQUIRE(f.ledger.record(rungkut, claim("C-JUN", 1, {2018, 6, 30})) == accepted);
  CHECK(f.ledger.record(rungkut, payout("C-JUN", 24'000'000)) == accepted);
  REQUIRE(f.ledger.record(rungkut, claim("C-JUL", 1, {2018, 7, 1})) == accepted);
  auto v = f.ledger.record(rungkut, payout("C-JUL", 30'000'000));
  CHECK(v.outcome == Outcome::flagged);
  CHECK(codes(v) == codes({reason::above_schedule, reason::second_death_benefit, reason::no_coverage}));
  CHECK(v.reasons[2].text.find("no paid contribution covers 2018-07") != std::string::npos);
}

// ================= voids =================

TEST_CASE("voiding an enrollment ends it, and the person can be enrolled again") {
  SqliteFixture f;
  f.ledger.found();
  REQUIRE(f.ledger.record(darmo, enroll(1)) == accepted);
  REQUIRE(f.ledger.record(darmo, EntryVoid{darmo, 1, "wrong person"}) == accepted);
  CHECK(codes(f.ledger.judge(darmo, contribution(1, "KWT-1"))) == codes({reason::unknown_participant}));
  CHECK(f.ledger.record(rungkut, enroll(1)) == accepted);
  // Voiding the old enrollment again changes nothing: it is already voided.
  CHECK(codes(f.ledger.judge(darmo, EntryVoid{darmo, 1, "again"})) == codes({reason::void_target_invalid}));
}

TEST_CASE("voiding a contribution removes its months and frees its receipt number") {
  SqliteFixture f;
  f.ledger.found();
  REQUIRE(f.ledger.record(rungkut, enroll(1)) == accepted);                               // seq 1
  REQUIRE(f.ledger.record(rungkut, contribution(1, "KWT-1", {2018, 5}, 1)) == accepted);  // seq 2
  REQUIRE(f.ledger.record(rungkut, contribution(1, "KWT-2", {2018, 5}, 1)) == accepted);  // seq 3: same month
  REQUIRE(f.ledger.record(rungkut, claim("C-1", 1)) == accepted);                         // seq 4
  REQUIRE(f.ledger.record(rungkut, EntryVoid{rungkut, 2, "typed twice"}) == accepted);
  CHECK(f.ledger.judge(rungkut, payout("C-1", 1'000'000)) == accepted);  // KWT-2 still covers May
  REQUIRE(f.ledger.record(rungkut, EntryVoid{rungkut, 3, "typed twice"}) == accepted);
  CHECK(codes(f.ledger.judge(rungkut, payout("C-1", 1'000'000))) == codes({reason::no_coverage}));
  CHECK(f.ledger.judge(rungkut, contribution(1, "KWT-1")) == accepted);
}

TEST_CASE("voiding a payout takes its amount off the claim; a claim with payouts is voided only after them") {
  SqliteFixture f;
  f.ledger.found();
  REQUIRE(f.ledger.record(rungkut, enroll(1)) == accepted);                  // seq 1
  REQUIRE(f.ledger.record(rungkut, contribution(1, "KWT-1")) == accepted);   // seq 2
  REQUIRE(f.ledger.record(rungkut, claim("C-1", 1)) == accepted);            // seq 3
  REQUIRE(f.ledger.record(rungkut, payout("C-1", 24'000'000)) == accepted);  // seq 4
  auto early = f.ledger.record(rungkut, EntryVoid{rungkut, 3, "wrong claim"});
  CHECK(codes(early) == codes({reason::void_target_invalid}));
  CHECK(early.reasons[0].text.find("void those payouts first") != std::string::npos);
  REQUIRE(f.ledger.record(rungkut, EntryVoid{rungkut, 4, "paid twice"}) == accepted);  // seq 6
  CHECK(f.ledger.judge(rungkut, payout("C-1", 24'000'000)) == accepted);               // not overpaid any more
  REQUIRE(f.ledger.record(rungkut, EntryVoid{rungkut, 3, "wrong claim"}) == accepted);
  CHECK(codes(f.ledger.judge(rungkut, payout("C-1", 24'000'000))) == codes({reason::unknown_claim}));
  CHECK(f.ledger.judge(rungkut, claim("C-1", 1)) == accepted);  // the number is free for the corrected claim
}

TEST_CASE("a void must name an applied, unvoided, non-void entry of its own office") {
  SqliteFixture f;
  f.ledger.found();
  REQUIRE(f.ledger.record(darmo, enroll(1)) == accepted);                                        // darmo seq 1
  REQUIRE(codes(f.ledger.record(rungkut, enroll(1))) == codes({reason::duplicate_enrollment}));  // rungkut seq 1
  auto check = [&](const std::string& office, EntryVoid v, std::string_view why) {
    auto verdict = f.ledger.judge(office, v);
    REQUIRE(codes(verdict) == codes({reason::void_target_invalid}));
    CHECK(verdict.reasons[0].text.find(why) != std::string::npos);
  };
  check(rungkut, EntryVoid{darmo, 1, "not mine"}, "ask SBY-DARMO to void it");
  check(rungkut, EntryVoid{rungkut, 1, "was rejected"}, "no applied entry has that seq");
  check(darmo, EntryVoid{darmo, 7, "never written"}, "no applied entry has that seq");
  REQUIRE(f.ledger.record(darmo, EntryVoid{darmo, 1, "wrong person"}) == accepted);  // darmo seq 2
  check(darmo, EntryVoid{darmo, 1, "again"}, "already voided");
  check(darmo, EntryVoid{darmo, 2, "undo the void"}, "itself a void");
}

// ================= redaction and replicas =================

TEST_CASE("a redacted entry keeps what judge needs and no NIK, name, heir or address") {
  SqliteFixture f;
  f.ledger.found();
  const auto e = f.ledger.entry(rungkut, enroll(1));
  auto r = rules::redact(e, accepted, ledger_key());
  REQUIRE(r.ok());
  CHECK(r->nik_key == rules::person_key(ledger_key(), nik(1)));
  CHECK(r->programmes == (programme_bit(Programme::jkk) | programme_bit(Programme::jkm)));
  CHECK(r->date == Date{2018, 5, 1});
  auto bytes = encoding::encode(*r);
  REQUIRE(bytes.ok());
  const std::string_view text = as_chars(*bytes);
  for (const std::string& secret :
       {nik(1), std::string("Agus"), std::string("Sri Wahyuni"), std::string("Rungkut Asri"), std::string("0812")}) {
    CHECK(text.find(secret) == std::string_view::npos);
  }

  auto p = rules::redact(f.ledger.entry(rungkut, payout("C-1", 24'000'000)), accepted, ledger_key());
  REQUIRE(p.ok());
  CHECK(p->reference == "C-1");
  CHECK(p->amount == 24'000'000);

  // A contribution carries its months, not its amount or receipt number (receipts are
  // checked within one office).
  auto c = rules::redact(f.ledger.entry(rungkut, contribution(1, "KWT-R1")), accepted, ledger_key());
  REQUIRE(c.ok());
  CHECK(c->months > 0);
  CHECK(c->amount == 0);
  CHECK(c->reference.empty());

  // A rejected entry's validation message may quote the payload: others see the outcome only,
  // and nothing of its payload.
  auto bad = enroll(1);
  bad.regency_code = "3515";
  const auto bad_entry = f.ledger.entry(rungkut, bad);
  auto verdict = rules::judge(bad_entry, *f.state);
  REQUIRE(verdict.ok());
  REQUIRE_FALSE(verdict->reasons.empty());
  auto rb = rules::redact(bad_entry, *verdict, ledger_key());
  REQUIRE(rb.ok());
  CHECK(rb->verdict.outcome == Outcome::rejected);
  CHECK(rb->verdict.reasons.empty());
  CHECK(rb->nik_key == Hash{});
  CHECK(rb->date == Date{});
}

TEST_CASE(
    "an office replica fed others' redacted entries catches duplicate enrollments and second death benefits "
    "offline") {
  SqliteFixture centre;
  test::TempDir dir;
  auto db = std::move(store::Db::open(dir.file("office.db"))).value();
  auto replica = std::move(rules::make_sqlite_state(*db, ledger_key())).value();
  Ledger office(*replica);

  // Admin entries reach offices in full; Darmo's entries reach Rungkut redacted.
  Ledger& c = centre.ledger;
  auto redacted = [&](const Payload& p) {
    auto e = c.entry(darmo, p);
    auto v = c.record(darmo, p);
    auto r = rules::redact(e, v, ledger_key());
    REQUIRE(r.ok());
    REQUIRE(rules::apply_redacted(*r, *replica).ok());
  };
  for (const Payload& p :
       std::vector<Payload>{PrincipalRegister{admin, Role::admin, key_of(1), "Admin Pusat", ""},
                            PrincipalRegister{rungkut, Role::office, key_of(2), "Surabaya Rungkut", "3578"},
                            PrincipalRegister{darmo, Role::office, key_of(3), "Surabaya Darmo", "3578"},
                            schedule({2018, 1, 1}, 24'000'000)}) {
    auto e = c.entry(admin, p);
    auto v = c.record(admin, p);
    REQUIRE(v == accepted);
    REQUIRE(rules::apply(e, v, *replica).ok());
  }
  redacted(enroll(1));
  redacted(contribution(1, "KWT-D1"));
  redacted(claim("DRM/1", 1));
  redacted(payout("DRM/1", 24'000'000));
  redacted(enroll(2));
  redacted(EntryVoid{darmo, 5, "wrong person"});

  auto dup = office.judge(rungkut, enroll(1));
  CHECK(codes(dup) == codes({reason::duplicate_enrollment}));
  CHECK(dup.reasons[0].text.find("already enrolled by SBY-DARMO (Surabaya Darmo), coverage from") != std::string::npos);
  CHECK(office.judge(rungkut, enroll(2)) == accepted);  // Darmo voided that one
  REQUIRE(office.record(rungkut, claim("RKT/1", 1)) == accepted);
  auto second = office.judge(rungkut, payout("RKT/1", 24'000'000));
  CHECK(codes(second) == codes({reason::second_death_benefit}));
  CHECK(codes(office.judge(rungkut, claim("DRM/1", 1))) == codes({reason::duplicate_claim}));
}

// ================= the SQLite state =================

TEST_CASE("the SQLite state survives reopening the database") {
  test::TempDir dir;
  std::vector<Verdict> first;
  {
    auto db = std::move(store::Db::open(dir.file("r.db"))).value();
    auto state = std::move(rules::make_sqlite_state(*db, ledger_key())).value();
    Ledger l(*state);
    l.found();
    REQUIRE(l.record(rungkut, enroll(1)) == accepted);
    REQUIRE(l.record(rungkut, contribution(1, "KWT-1")) == accepted);
    REQUIRE(l.record(rungkut, claim("C-1", 1)) == accepted);
  }
  auto db = std::move(store::Db::open(dir.file("r.db"))).value();
  auto state = std::move(rules::make_sqlite_state(*db, ledger_key())).value();
  Ledger l(*state);
  CHECK(codes(l.judge(darmo, enroll(1))) == codes({reason::duplicate_enrollment}));
  CHECK(codes(l.judge(darmo, payout("C-1", 42'000'000))) == codes({reason::above_schedule}));
}

TEST_CASE("every SQLite lookup and update of the rules uses an index, never a table scan") {
  SqliteFixture f;
  Ledger& l = f.ledger;
  l.found();
  {
    auto tx = std::move(store::Transaction::begin(*f.db)).value();
    for (std::uint16_t p = 1; p <= 200; ++p) {
      REQUIRE(l.record(p % 2 ? rungkut : darmo, enroll(p)) == accepted);
      REQUIRE(l.record(rungkut, contribution(p, "KWT-" + std::to_string(p))) == accepted);
      REQUIRE(l.record(darmo, claim("C-" + std::to_string(p), p)) == accepted);
      REQUIRE(l.record(darmo, payout("C-" + std::to_string(p), 1'000'000)).outcome != Outcome::rejected);
    }
    REQUIRE(l.record(rungkut, EntryVoid{rungkut, 2, "typo"}) == accepted);
    REQUIRE(l.record(darmo, EntryVoid{darmo, 3, "typo"}) == accepted);
    REQUIRE(tx.commit().ok());
  }
  int statements = 0;
  for (sqlite3_stmt* s = sqlite3_next_stmt(f.db->native(), nullptr); s; s = sqlite3_next_stmt(f.db->native(), s)) {
    const std::string sql = sqlite3_sql(s);
    if (sql.find("rules_") == std::string::npos || sql.starts_with("SELECT EXISTS")) continue;
    ++statements;
    INFO(sql);
    CHECK(sqlite3_stmt_status(s, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0) == 0);
    CHECK(sqlite3_stmt_status(s, SQLITE_STMTSTATUS_SORT, 0) == 0);
    CHECK(sqlite3_stmt_status(s, SQLITE_STMTSTATUS_AUTOINDEX, 0) == 0);
  }
  CHECK(statements >= 20);
}

TEST_CASE("a full disk while applying is an error for the caller's transaction to roll back, not a verdict") {
  SqliteFixture f;
  f.ledger.found();
  const auto e = f.ledger.entry(rungkut, enroll(1));
  {
    auto tx = std::move(store::Transaction::begin(*f.db)).value();
    f.db->set_write_failure_after(1);
    auto v = rules::judge_and_apply(e, *f.state);
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().code == Code::io);
    CHECK(v.error().message.find("full") != std::string::npos);
  }
  f.db->set_write_failure_after(0);
  auto again = rules::judge_and_apply(e, *f.state);
  REQUIRE(again.ok());
  CHECK(*again == accepted);
}

TEST_CASE(
    "apply ignores a rejected entry and refuses damaged input: an undecodable payload, an admin or out-of-range "
    "redaction") {
  auto state = rules::make_memory_state(ledger_key());
  Ledger l(*state);
  l.found();
  auto e = l.entry(rungkut, enroll(1));
  e.payload.pop_back();
  CHECK(rules::apply(e, Verdict{Outcome::rejected, {Reason{"invalid_payload", "x"}}}, *state).ok());
  auto s = rules::apply(e, accepted, *state);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == Code::corrupt);
  CHECK(s.error().message.starts_with("SBY-RUNGKUT seq 1:"));

  auto admin_entry = l.entry(admin, schedule({2019, 1, 1}, 42'000'000));
  auto r = rules::redact(admin_entry, accepted, ledger_key());
  REQUIRE(r.ok());
  CHECK_FALSE(rules::apply_redacted(*r, *state).ok());

  auto contribution_entry = l.entry(darmo, contribution(1, "KWT-1"));
  auto rc = rules::redact(contribution_entry, accepted, ledger_key());
  REQUIRE(rc.ok());
  rc->amount = -1;
  auto negative = rules::apply_redacted(*rc, *state);
  REQUIRE_FALSE(negative.ok());
  CHECK(negative.error().message.find("the feed is damaged") != std::string::npos);
  rc->amount = 100'800;
  rc->months = 0;
  CHECK_FALSE(rules::apply_redacted(*rc, *state).ok());
}

// ================= properties over random ledgers =================

namespace {

const std::vector<std::string_view> principal_pool = {"ADMIN", "SBY-RUNGKUT", "SBY-DARMO", "AUDIT-PUSAT", "SBY-GHOST"};

Date gen_event_date() {
  return {*rc::gen::inRange<std::uint16_t>(2017, 2020), *rc::gen::inRange<std::uint8_t>(1, 13),
          *rc::gen::inRange<std::uint8_t>(1, 29)};
}

std::string gen_nik() {
  auto n = make_nik("3578", "12", {1985, 3, 17}, Sex::male, *rc::gen::inRange<std::uint16_t>(1, 4));
  RC_ASSERT(n.ok());
  return n->str();
}

std::string gen_claim_no() { return *rc::gen::element<std::string>("C-1", "C-2", "C-3", "C-4"); }

// A payload of a random kind over small pools of people, claims and receipts, so
// that duplicates, voids and second payouts happen often; written mostly by a
// principal allowed to write it, sometimes by anyone.
std::pair<std::string, Payload> gen_step() {
  const int pick = *rc::gen::inRange(0, 19);
  const bool admin_kind = pick < 3;
  std::string writer(admin_kind ? "ADMIN" : *rc::gen::element<std::string_view>(rungkut, darmo));
  if (*rc::gen::inRange(0, 10) == 0) writer = *rc::gen::elementOf(principal_pool);
  switch (pick) {
    case 0:
      return {writer, PrincipalRegister{std::string(*rc::gen::elementOf(principal_pool)),
                                        *rc::gen::element(Role::office, Role::auditor, Role::admin),
                                        key_of(*rc::gen::inRange<std::uint8_t>(1, 6)), "Kantor", ""}};
    case 1:
      return {writer, PrincipalRevoke{std::string(*rc::gen::elementOf(principal_pool)),
                                      key_of(*rc::gen::inRange<std::uint8_t>(1, 6)), "laptop stolen"}};
    case 2:
      return {writer, schedule(gen_event_date(), *rc::gen::element<Rupiah>(0, 24'000'000, 42'000'000))};
    case 3:
    case 4:
    case 5: {
      auto e = enroll(1, gen_event_date(),
                      programme_bit(Programme::jkk) | programme_bit(Programme::jkm) |
                          (*rc::gen::arbitrary<bool>() ? programme_bit(Programme::jht) : 0));
      e.nik = gen_nik();
      return {writer, e};
    }
    case 6:
      return {writer, ParticipantUpdate{gen_nik(), std::string("081299998888"), std::nullopt, false, {}, {}, {}, {}}};
    case 7:
    case 8:
    case 9: {
      auto c = contribution(1, *rc::gen::element<std::string>("R-1", "R-2", "R-3"), month_of(gen_event_date()),
                            *rc::gen::inRange<std::uint16_t>(1, 13));
      c.nik = gen_nik();
      return {writer, c};
    }
    case 10:
    case 11:
    case 12: {
      auto c = claim(gen_claim_no(), 1, gen_event_date(),
                     *rc::gen::element(Programme::jkm, Programme::jkm, Programme::jkk, Programme::jht));
      c.nik = gen_nik();
      return {writer, c};
    }
    case 13:
    case 14:
    case 15:
      return {writer, payout(gen_claim_no(), *rc::gen::element<Rupiah>(1'000'000, 20'000'000, 24'000'000, 42'000'000))};
    default: {
      const bool own = *rc::gen::inRange(0, 5) != 0;
      return {writer, EntryVoid{own ? writer : std::string(*rc::gen::element<std::string_view>(rungkut, darmo)),
                                *rc::gen::inRange<std::uint64_t>(1, 11), "correction"}};
    }
  }
}

// The founding entries, then up to 120 random ones, numbered per principal.
std::vector<chain::Entry> gen_ledger_sized(int steps_max) {
  std::vector<std::pair<std::string, Payload>> steps = {
      {admin, PrincipalRegister{admin, Role::admin, key_of(1), "Admin Pusat", ""}},
      {admin, PrincipalRegister{rungkut, Role::office, key_of(2), "Surabaya Rungkut", "3578"}},
      {admin, PrincipalRegister{darmo, Role::office, key_of(3), "Surabaya Darmo", "3578"}},
      {admin, PrincipalRegister{auditor, Role::auditor, key_of(4), "Auditor Pusat", ""}},
      {admin, schedule({2018, 1, 1}, 24'000'000)},
  };
  const auto n = *rc::gen::inRange(0, steps_max + 1);
  for (int i = 0; i < n; ++i) steps.push_back(gen_step());
  std::map<std::string, std::uint64_t> seqs;
  std::vector<chain::Entry> entries;
  for (auto& [who, payload] : steps) {
    auto e = chain::make_entry(who, ++seqs[who], Hash{}, 0, "clerk", payload);
    RC_ASSERT(e.ok());
    entries.push_back(std::move(*e));
  }
  return entries;
}

// rapidcheck scales integer ranges with the test size; picks of kinds, people and
// seqs must cover their whole small ranges from the first test on.
std::vector<chain::Entry> gen_ledger(int steps_max = 120) {
  return *rc::gen::resize(100, rc::gen::exec([steps_max] { return gen_ledger_sized(steps_max); }));
}

std::vector<Verdict> replay(const std::vector<chain::Entry>& entries, rules::State& state) {
  std::vector<Verdict> verdicts;
  for (const auto& e : entries) {
    auto v = rules::judge_and_apply(e, state);
    RC_ASSERT(v.ok());
    verdicts.push_back(std::move(*v));
  }
  return verdicts;
}

// Replays into a fresh SQLite file, in one transaction.
std::vector<Verdict> replay_sqlite(const std::vector<chain::Entry>& entries, const test::TempDir& dir) {
  static int files = 0;
  auto db = store::Db::open(dir.file("p" + std::to_string(++files) + ".db"));
  RC_ASSERT(db.ok());
  RC_ASSERT((*db)->exec("PRAGMA synchronous=OFF").ok());  // a scratch file: speed over durability
  auto state = rules::make_sqlite_state(**db, ledger_key());
  RC_ASSERT(state.ok());
  auto tx = store::Transaction::begin(**db);
  RC_ASSERT(tx.ok());
  auto verdicts = replay(entries, **state);
  RC_ASSERT(tx->commit().ok());
  return verdicts;
}

// A canonical dump of every rules_ table of `db`: each row's values with their
// types (blobs byte for byte), rows sorted, tables in name order.
std::string dump_rules(store::Db& db) {
  std::vector<std::string> tables;
  {
    auto q = db.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rules\\_%' ESCAPE '\\' "
        "ORDER BY name");
    RC_ASSERT(q.ok());
    for (;;) {
      auto row = q->step();
      RC_ASSERT(row.ok());
      if (!*row) break;
      tables.push_back(q->text(0));
    }
  }
  RC_ASSERT(tables.size() >= 8u);
  std::string out;
  for (const auto& t : tables) {
    sqlite3_stmt* s = nullptr;
    RC_ASSERT(sqlite3_prepare_v2(db.native(), ("SELECT * FROM " + t).c_str(), -1, &s, nullptr) == SQLITE_OK);
    std::vector<std::string> rows;
    while (sqlite3_step(s) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        const int type = sqlite3_column_type(s, c);
        row += static_cast<char>('0' + type);
        if (type == SQLITE_INTEGER) {
          row += std::to_string(sqlite3_column_int64(s, c));
        } else if (type != SQLITE_NULL) {
          const auto* p = static_cast<const char*>(sqlite3_column_blob(s, c));
          row += std::to_string(sqlite3_column_bytes(s, c)) + ":";
          row.append(p == nullptr ? "" : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, c))));
        }
        row += '|';
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(s);
    std::sort(rows.begin(), rows.end());
    out += t + "\n";
    for (const auto& r : rows) out += r + "\n";
  }
  return out;
}

struct Replayed {
  std::vector<Verdict> verdicts;
  std::string dump;
};

// How a replay goes through overlays (replay_overlay).
struct Via {
  std::size_t rows_max = 0;      // the overlay's cap; 0: no overlay, the SQLite state itself
  std::vector<int> flush_after;  // also flush after entry i when flush_after[i] == 0
  rules::OverlayState::Base base = rules::OverlayState::Base::any;
  bool nested = false;         // through a second overlay over the first (which has no batch writer)
  bool person_filter = false;  // the SQLite state keeps a PersonFilter, armed for the transaction
};

// Replays into a fresh SQLite file in one transaction as `via` says; returns the
// verdicts and the dump of the committed tables.
Replayed replay_overlay(const std::vector<chain::Entry>& entries, const test::TempDir& dir, const Via& via) {
  static int files = 0;
  auto db = store::Db::open(dir.file("o" + std::to_string(++files) + ".db"));
  RC_ASSERT(db.ok());
  RC_ASSERT((*db)->exec("PRAGMA synchronous=OFF").ok());
  rules::PersonFilter filter;
  auto base = via.person_filter ? rules::make_sqlite_state(**db, ledger_key(), filter)
                                : rules::make_sqlite_state(**db, ledger_key());
  RC_ASSERT(base.ok());
  Replayed out;
  {
    auto tx = store::Transaction::begin(**db);
    RC_ASSERT(tx.ok());
    if (via.person_filter) RC_ASSERT(filter.arm(**db).ok());
    std::optional<rules::OverlayState> overlay, outer;
    if (via.rows_max > 0) overlay.emplace(**base, via.nested ? 1'000'000 : via.rows_max, via.base);
    // The outer overlay flushes row by row (an OverlayState is no BatchWriter); the
    // inner one then writes them in batches.
    if (via.nested) outer.emplace(*overlay, via.rows_max, via.base);
    rules::State& state = outer     ? static_cast<rules::State&>(*outer)
                          : overlay ? static_cast<rules::State&>(*overlay)
                                    : **base;
    rules::OverlayState* flushed = outer ? &*outer : overlay ? &*overlay : nullptr;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      // Half of the entries go the office's way: prepared once, judged, then applied.
      const rules::Prepared prepared(entries[i], state);
      auto v = i % 2 == 0 ? rules::judge_and_apply(entries[i], state) : rules::judge_and_apply(prepared, state);
      RC_ASSERT(v.ok());
      out.verdicts.push_back(std::move(*v));
      if (flushed && i < via.flush_after.size() && via.flush_after[i] == 0) RC_ASSERT(flushed->flush().ok());
    }
    if (outer) RC_ASSERT(outer->flush().ok());
    if (overlay) {
      RC_ASSERT(overlay->flush().ok());
      RC_ASSERT(overlay->pending() == 0u);
    }
    RC_ASSERT(tx->commit().ok());
  }
  out.dump = dump_rules(**db);
  return out;
}

// Every verdict and the final tables of `entries` through the SQLite state itself,
// then through overlays flushed only at the end, with a small cap (early flushes),
// flushed after random entries (one in sixteen), each over a base of any content and
// over one known empty (the audit's in-memory replay), and through two nested
// overlays (the outer one flushing row by row instead of in batches).
void check_overlays(const std::vector<chain::Entry>& entries, const test::TempDir& dir) {
  using Base = rules::OverlayState::Base;
  const Replayed direct = replay_overlay(entries, dir, Via{});
  const auto small_cap = *rc::gen::element<std::size_t>(1, 2, 3, 5, 8, 13);
  const auto flush_after = *rc::gen::container<std::vector<int>>(entries.size(), rc::gen::inRange(0, 16));
  for (const Base base : {Base::any, Base::empty}) {
    for (const Via& via : {Via{1'000'000, {}, base}, Via{small_cap, {}, base}, Via{1'000'000, flush_after, base},
                           Via{small_cap, flush_after, base, true}}) {
      const Replayed overlaid = replay_overlay(entries, dir, via);
      RC_ASSERT(overlaid.verdicts == direct.verdicts);
      RC_ASSERT(overlaid.dump == direct.dump);
    }
  }
  // The server's way: the SQLite state with its person filter, alone and under an overlay.
  for (const Via& via : {Via{0, {}, Base::any, false, true}, Via{small_cap, flush_after, Base::any, false, true}}) {
    const Replayed filtered = replay_overlay(entries, dir, via);
    RC_ASSERT(filtered.verdicts == direct.verdicts);
    RC_ASSERT(filtered.dump == direct.dump);
  }
}

}  // namespace

TEST_CASE("the batch overlay gives every verdict and the final state of the SQLite state it overlays") {
  test::TempDir dir;
  CHECK(test::property("overlay == direct", [&] { check_overlays(gen_ledger(), dir); }));
}

TEST_CASE("the batch overlay's multi-row writes, on ledgers of up to 700 entries") {
  // Enough applied entries in one flush for every statement size (256, 64, 16, 4, 1);
  // one flush at the end, over a base of any content and over one known empty.
  test::TempDir dir;
  CHECK(test::property("long ledgers: overlay == direct", [&] {
    const auto entries = gen_ledger(700);
    const Replayed direct = replay_overlay(entries, dir, Via{});
    for (const auto base : {rules::OverlayState::Base::any, rules::OverlayState::Base::empty}) {
      const Replayed overlaid = replay_overlay(entries, dir, Via{1'000'000, {}, base});
      RC_ASSERT(overlaid.verdicts == direct.verdicts);
      RC_ASSERT(overlaid.dump == direct.dump);
    }
  }));
}

TEST_CASE("the memory and SQLite states give identical verdicts on random ledgers") {
  test::TempDir dir;
  CHECK(test::property("same verdicts", [&] {
    const auto entries = gen_ledger();
    auto memory = rules::make_memory_state(ledger_key());
    const auto in_memory = replay(entries, *memory);
    RC_ASSERT(in_memory == replay_sqlite(entries, dir));
    auto has = [&](std::string_view code) {
      return std::any_of(in_memory.begin(), in_memory.end(), [&](const Verdict& v) {
        return std::any_of(v.reasons.begin(), v.reasons.end(), [&](const Reason& r) { return r.code == code; });
      });
    };
    RC_CLASSIFY(has(reason::duplicate_enrollment), "duplicate_enrollment");
    RC_CLASSIFY(has(reason::above_schedule), "above_schedule");
    RC_CLASSIFY(has(reason::second_death_benefit), "second_death_benefit");
    RC_CLASSIFY(has(reason::no_coverage), "no_coverage");
    RC_CLASSIFY(has(reason::claim_overpaid), "claim_overpaid");
    RC_CLASSIFY(has(reason::void_target_invalid), "void_target_invalid");
    RC_CLASSIFY(std::any_of(entries.begin(), entries.end(),
                            [&](const chain::Entry& e) { return e.kind == EntryKind::entry_void; }) &&
                    !has(reason::void_target_invalid),
                "every void applied");
  }));
}

TEST_CASE("replaying the same ledger twice from empty gives identical verdicts") {
  test::TempDir dir;
  CHECK(test::property("deterministic verdicts", [&] {
    const auto entries = gen_ledger();
    RC_ASSERT(replay_sqlite(entries, dir) == replay_sqlite(entries, dir));
    auto a = rules::make_memory_state(ledger_key());
    auto b = rules::make_memory_state(ledger_key());
    RC_ASSERT(replay(entries, *a) == replay(entries, *b));
  }));
}

TEST_CASE("an office replica fed redacted entries judges its own entries exactly as the centre does") {
  CHECK(test::property("replica verdicts equal the centre's", [] {
    const auto entries = gen_ledger();
    auto centre = rules::make_memory_state(ledger_key());
    auto replica = rules::make_memory_state(ledger_key());
    for (const auto& e : entries) {
      auto v = rules::judge(e, *centre);
      RC_ASSERT(v.ok());
      RC_ASSERT(rules::apply(e, *v, *centre).ok());
      if (e.principal == rungkut) {
        auto offline = rules::judge(e, *replica);
        RC_ASSERT(offline.ok());
        RC_ASSERT(*offline == *v);
      }
      // The feed: own and admin entries in full, other offices' entries redacted.
      if (e.principal == rungkut || is_admin_kind(e.kind)) {
        RC_ASSERT(rules::apply(e, *v, *replica).ok());
      } else {
        auto r = rules::redact(e, *v, ledger_key());
        RC_ASSERT(r.ok());
        RC_ASSERT(rules::apply_redacted(*r, *replica).ok());
      }
    }
  }));
}

TEST_CASE("judge never crashes on random payload bytes and accepts only payloads that validate") {
  auto state = rules::make_memory_state(ledger_key());
  Ledger l(*state);
  l.found();
  REQUIRE(l.record(rungkut, enroll(1)) == accepted);
  REQUIRE(l.record(rungkut, claim("C-1", 1)) == accepted);
  CHECK(test::property("judge is total", [&] {
    chain::Entry e;
    e.principal = *rc::gen::element<std::string>(admin, rungkut, "SBY-GHOST");
    e.seq = 99;
    const auto kind = *rc::gen::element<std::uint16_t>(1, 2, 3, 10, 11, 12, 13, 14, 15, 0, 4, 999);
    e.kind = static_cast<EntryKind>(kind);
    if (*rc::gen::arbitrary<bool>()) {
      e.payload = *rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>());
    } else {  // a valid payload of some kind with a few bytes changed
      auto base = domain::encode_payload(*rc::gen::element<Payload>(
          enroll(1), claim("C-1", 1), payout("C-1", 5), EntryVoid{rungkut, 1, "x"}, schedule({2019, 1, 1}, 1)));
      RC_ASSERT(base.ok());
      e.payload = *base;
      const auto flips = *rc::gen::inRange(1, 4);
      for (int i = 0; i < flips; ++i) {
        e.payload[*rc::gen::inRange<std::size_t>(0, e.payload.size())] ^= *rc::gen::inRange<std::uint8_t>(1, 255);
      }
    }
    auto v = rules::judge(e, *state);
    RC_ASSERT(v.ok());
    if (v->outcome != Outcome::rejected) {
      auto p = domain::decode_payload(e.kind, e.payload);
      RC_ASSERT(p.ok());
      RC_ASSERT(domain::validate(*p).ok());
    }
    for (const auto& r : v->reasons) RC_ASSERT(r.text.size() <= text_bytes_max);
  }));
}

// ================= the SQLite state's principal and schedule cache =================

namespace {

// Replays into a fresh SQLite file in chunks of random length, each chunk first
// applied and rolled back, then applied again and committed: what the server does
// when a group commit fails and is retried.
std::vector<Verdict> replay_sqlite_chunked(const std::vector<chain::Entry>& entries, const test::TempDir& dir) {
  static int files = 0;
  auto db = store::Db::open(dir.file("c" + std::to_string(++files) + ".db"));
  RC_ASSERT(db.ok());
  RC_ASSERT((*db)->exec("PRAGMA synchronous=OFF").ok());
  auto state = rules::make_sqlite_state(**db, ledger_key());
  RC_ASSERT(state.ok());
  std::vector<Verdict> verdicts;
  for (std::size_t begin = 0; begin < entries.size();) {
    const auto n = *rc::gen::inRange<std::size_t>(1, 12);
    const std::vector<chain::Entry> chunk(
        entries.begin() + static_cast<std::ptrdiff_t>(begin),
        entries.begin() + static_cast<std::ptrdiff_t>(std::min(begin + n, entries.size())));
    {
      auto tx = store::Transaction::begin(**db);
      RC_ASSERT(tx.ok());
      (void)replay(chunk, **state);
    }  // rolled back
    auto tx = store::Transaction::begin(**db);
    RC_ASSERT(tx.ok());
    for (auto& v : replay(chunk, **state)) verdicts.push_back(std::move(v));
    RC_ASSERT(tx->commit().ok());
    begin += chunk.size();
  }
  return verdicts;
}

}  // namespace

TEST_CASE("the SQLite state gives the memory state's verdicts when rollbacks and commits cut the replay") {
  test::TempDir dir;
  CHECK(test::property("same verdicts across rollbacks", [&] {
    const auto entries = gen_ledger();
    auto memory = rules::make_memory_state(ledger_key());
    RC_ASSERT(replay(entries, *memory) == replay_sqlite_chunked(entries, dir));
  }));
}

TEST_CASE("a revocation rolled back is forgotten, even by a state that had looked the principal up") {
  SqliteFixture f;
  f.ledger.found();
  const auto rungkut_enroll = [&] { return rules::judge(f.ledger.entry(rungkut, enroll(1)), *f.state); };
  {
    auto tx = std::move(store::Transaction::begin(*f.db)).value();
    REQUIRE(*rungkut_enroll() == accepted);
    REQUIRE(f.ledger.record(admin, PrincipalRevoke{rungkut, key_of(2), "laptop stolen"}) == accepted);
    CHECK(codes(*rungkut_enroll()) == codes({reason::principal_revoked}));
  }  // rolled back
  for (int i = 0; i < 2; ++i) {
    auto tx = std::move(store::Transaction::begin(*f.db)).value();
    CHECK(*rungkut_enroll() == accepted);
    REQUIRE(tx.commit().ok());
  }
}

TEST_CASE("a revocation through another connection or another state on the same one is seen at once") {
  SqliteFixture f;
  f.ledger.found();
  const auto enroll_verdict = [&](rules::State& state) {
    auto v = rules::judge(f.ledger.entry(rungkut, enroll(1)), state);
    REQUIRE(v.ok());
    return *v;
  };
  {
    auto tx = std::move(store::Transaction::begin(*f.db)).value();
    REQUIRE(enroll_verdict(*f.state) == accepted);  // looked up (and remembered) in a transaction
    REQUIRE(tx.commit().ok());
  }
  // Another process's connection revokes the key and commits.
  auto other_db = std::move(store::Db::open(f.dir.file("rules.db"))).value();
  auto other = std::move(rules::make_sqlite_state(*other_db, ledger_key())).value();
  {
    auto tx = std::move(store::Transaction::begin(*other_db)).value();
    Ledger admin_elsewhere(*other);
    REQUIRE(admin_elsewhere.record(admin, PrincipalRevoke{rungkut, key_of(2), "laptop stolen"}) == accepted);
    REQUIRE(tx.commit().ok());
  }
  {
    auto tx = std::move(store::Transaction::begin(*f.db)).value();
    CHECK(codes(enroll_verdict(*f.state)) == codes({reason::principal_revoked}));
    REQUIRE(tx.commit().ok());
  }
  // A second state on the first connection registers a new key inside the same transaction.
  auto second = std::move(rules::make_sqlite_state(*f.db, ledger_key())).value();
  {
    auto tx = std::move(store::Transaction::begin(*f.db)).value();
    CHECK(codes(enroll_verdict(*f.state)) == codes({reason::principal_revoked}));
    Ledger admin_here(*second);
    REQUIRE(admin_here.record(admin, PrincipalRegister{rungkut, Role::office, key_of(9), "Surabaya Rungkut", "3578"}) ==
            accepted);
    CHECK(enroll_verdict(*f.state) == accepted);
    REQUIRE(tx.commit().ok());
  }
}

TEST_CASE("the person filter answers for persons never seen, and another connection's enrollment makes it read again") {
  test::TempDir dir;
  auto db = std::move(store::Db::open(dir.file("rules.db"))).value();
  rules::PersonFilter filter;
  auto state = std::move(rules::make_sqlite_state(*db, ledger_key(), filter)).value();
  Ledger here(*state);
  auto in_transaction = [&](const std::function<void()>& body, bool commit = true) {
    auto tx = std::move(store::Transaction::begin(*db)).value();
    REQUIRE(filter.arm(*db).ok());
    body();
    filter.disarm();
    if (commit) REQUIRE(tx.commit().ok());
  };
  in_transaction([&] {
    here.found();
    CHECK(here.record(rungkut, enroll(1)) == accepted);
  });
  CHECK(filter.loads() == 1);
  // A person enrolled in a rolled-back transaction is free again (its key stays in the filter).
  in_transaction([&] { CHECK(here.record(rungkut, enroll(2)) == accepted); }, false);
  in_transaction([&] {
    CHECK(here.record(rungkut, enroll(2)) == accepted);
    CHECK(codes(here.judge(darmo, enroll(1))) == codes({reason::duplicate_enrollment}));
  });
  CHECK(filter.loads() == 1);

  // Another process's connection enrolls person 3 and commits.
  {
    auto other_db = std::move(store::Db::open(dir.file("rules.db"))).value();
    auto other = std::move(rules::make_sqlite_state(*other_db, ledger_key())).value();
    auto tx = std::move(store::Transaction::begin(*other_db)).value();
    const auto e = std::move(chain::make_entry(darmo, 1, Hash{}, 0, "clerk", enroll(3))).value();
    CHECK(*rules::judge_and_apply(e, *other) == accepted);
    REQUIRE(tx.commit().ok());
  }
  // The next transaction here sees it: the filter was emptied at arm() and read again.
  in_transaction([&] { CHECK(codes(here.judge(rungkut, enroll(3))) == codes({reason::duplicate_enrollment})); });
  CHECK(filter.loads() == 2);
  // Unarmed, the state reads SQLite as always.
  CHECK(codes(here.judge(darmo, enroll(2))) == codes({reason::duplicate_enrollment}));
}
