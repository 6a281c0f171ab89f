// pg_state.cpp — the rules engine's state (rules::State) in PostgreSQL tables prefixed
// "rules_" (pg_schema/0001_initial.sql), on the integrator's connection: what apply()
// writes belongs to the WriteSide's open transaction.
//
// The same queries as shared/rules/sqlite_state.cpp, one indexed lookup each; dates are
// YYYYMMDD integers and months year * 12 + month - 1. The row inserts and upserts wait in
// memory until the next read, other write or the commit (pg_storage.hpp, PgRulesState),
// then go as one multi-row INSERT ... SELECT FROM unnest(...) per table.
#include "log/pg_storage.hpp"

#include <map>
#include <set>

namespace lontar::server {
namespace {

using domain::Programme;
using domain::Rupiah;
using pg::Params;

std::int64_t date_int(domain::Date d) { return d.year * 10000 + d.month * 100 + d.day; }
domain::Date date_of(std::int64_t v) {
  return {static_cast<std::uint16_t>(v / 10000), static_cast<std::uint8_t>(v / 100 % 100),
          static_cast<std::uint8_t>(v % 100)};
}
std::int64_t month_int(domain::YearMonth m) { return m.year * 12 + (m.month - 1); }

class PgState final : public PgRulesState {
 public:
  PgState(pg::Conn& c, const rules::NikKey& key) : c_(c), key_(key) {}

  const rules::NikKey& nik_key() const override { return key_; }

  Result<std::optional<Participant>> participant(const Hash& person) const override {
    LONTAR_ASSIGN(auto r, read("SELECT principal, seq, programmes, coverage_start FROM rules_participants "
                               "WHERE person = $1",
                               Params().bytes(person)));
    if (r.size() == 0) return std::optional<Participant>{};
    return std::optional<Participant>(
        Participant{r.text(0, 0), r.u64(0, 1), static_cast<domain::ProgrammeSet>(r.i64(0, 2)), date_of(r.i64(0, 3))});
  }

  Result<std::optional<Claim>> claim(std::string_view claim_no) const override {
    LONTAR_ASSIGN(auto r, read("SELECT person, principal, seq, programme, event_date, paid FROM rules_claims "
                               "WHERE claim_no = $1",
                               Params().text(claim_no)));
    if (r.size() == 0) return std::optional<Claim>{};
    return std::optional<Claim>(Claim{r.hash(0, 0), r.text(0, 1), r.u64(0, 2), static_cast<Programme>(r.i64(0, 3)),
                                      date_of(r.i64(0, 4)), r.i64(0, 5)});
  }

  Result<bool> has_principals() const override {
    LONTAR_ASSIGN(auto r, read("SELECT 1::bigint FROM rules_principals LIMIT 1"));
    return r.size() != 0;
  }

  Result<std::optional<Principal>> principal(std::string_view id) const override {
    LONTAR_ASSIGN(auto r, read("SELECT role, name, scope, (SELECT count(*) FROM rules_keys k WHERE k.id = p.id "
                               "AND k.active = 1) FROM rules_principals p WHERE id = $1",
                               Params().text(id)));
    if (r.size() == 0) return std::optional<Principal>{};
    return std::optional<Principal>(Principal{static_cast<domain::Role>(r.i64(0, 0)), r.text(0, 1), r.text(0, 2),
                                              static_cast<std::uint32_t>(r.i64(0, 3))});
  }

  Result<bool> key_active(std::string_view id, const crypto::PublicKey& key) const override {
    LONTAR_ASSIGN(auto r,
                  read("SELECT active FROM rules_keys WHERE id = $1 AND key = $2", Params().text(id).bytes(key)));
    return r.size() != 0 && r.i64(0, 0) != 0;
  }

  Result<bool> receipt_used(std::string_view principal, std::string_view receipt_no) const override {
    LONTAR_ASSIGN(auto r, read("SELECT 1::bigint FROM rules_receipts WHERE principal = $1 AND receipt_no = $2",
                               Params().text(principal).text(receipt_no)));
    return r.size() != 0;
  }

  Result<bool> covered(const Hash& person, domain::YearMonth month) const override {
    LONTAR_ASSIGN(auto r, read("SELECT 1::bigint FROM rules_coverage WHERE person = $1 AND first_month <= $2 AND "
                               "last_month >= $3 LIMIT 1",
                               Params().bytes(person).i64(month_int(month)).i64(month_int(month))));
    return r.size() != 0;
  }

  Result<Rupiah> death_benefits_paid(const Hash& person) const override {
    LONTAR_ASSIGN(auto r, read("SELECT coalesce(sum(paid), 0)::bigint FROM rules_claims WHERE person = $1 AND "
                               "programme = $2",
                               Params().bytes(person).i64(static_cast<int>(Programme::jkm))));
    return r.size() != 0 ? r.i64(0, 0) : Rupiah{0};
  }

  Result<std::optional<domain::ScheduleItem>> schedule(Programme programme, domain::Date on) const override {
    LONTAR_ASSIGN(auto r, read("SELECT benefit_max, contribution_monthly FROM rules_schedules WHERE programme = "
                               "$1 AND effective <= $2 ORDER BY effective DESC LIMIT 1",
                               Params().i64(static_cast<int>(programme)).i64(date_int(on))));
    if (r.size() == 0) return std::optional<domain::ScheduleItem>{};
    return std::optional<domain::ScheduleItem>(domain::ScheduleItem{programme, r.i64(0, 0), r.i64(0, 1)});
  }

  Result<std::optional<Applied>> applied(std::string_view principal, std::uint64_t seq) const override {
    LONTAR_ASSIGN(auto r, read("SELECT kind, voided, undo FROM rules_applied WHERE principal = $1 AND seq = $2",
                               Params().text(principal).u64(seq)));
    if (r.size() == 0) return std::optional<Applied>{};
    return std::optional<Applied>(
        Applied{static_cast<domain::EntryKind>(r.i64(0, 0)), r.i64(0, 1) != 0, r.bytes(0, 2)});
  }

  Status put_participant(const Hash& person, const Participant& p) override {
    participants_[person] = p;
    return {};
  }
  Status end_participant(const Hash& person) override {
    return run("DELETE FROM rules_participants WHERE person = $1", Params().bytes(person));
  }
  Status put_claim(std::string_view claim_no, const Claim& c) override {
    claims_[std::string(claim_no)] = c;
    return {};
  }
  Status end_claim(std::string_view claim_no) override {
    return run("DELETE FROM rules_claims WHERE claim_no = $1", Params().text(claim_no));
  }
  Status add_paid(std::string_view claim_no, Rupiah amount) override {
    return run("UPDATE rules_claims SET paid = paid + $1 WHERE claim_no = $2", Params().i64(amount).text(claim_no));
  }
  Status put_principal(std::string_view id, const Principal& p, const crypto::PublicKey& key) override {
    LONTAR_TRY(
        run("INSERT INTO rules_principals VALUES($1, $2, $3, $4) ON CONFLICT(id) DO UPDATE SET "
            "role = excluded.role, name = excluded.name, scope = excluded.scope",
            Params().text(id).i64(static_cast<int>(p.role)).text(p.name).text(p.scope)));
    return run("INSERT INTO rules_keys VALUES($1, $2, 1) ON CONFLICT(id, key) DO UPDATE SET active = 1",
               Params().text(id).bytes(key));
  }
  Status revoke_key(std::string_view id, const crypto::PublicKey& key) override {
    return run("UPDATE rules_keys SET active = 0 WHERE id = $1 AND key = $2", Params().text(id).bytes(key));
  }
  Status put_receipt(std::string_view principal, std::string_view receipt_no) override {
    receipts_.emplace(std::string(principal), std::string(receipt_no));
    return {};
  }
  Status remove_receipt(std::string_view principal, std::string_view receipt_no) override {
    return run("DELETE FROM rules_receipts WHERE principal = $1 AND receipt_no = $2",
               Params().text(principal).text(receipt_no));
  }
  Status add_coverage(const Hash& person, domain::YearMonth first, std::uint16_t months, int sign) override {
    const std::int64_t f = month_int(first), l = month_int(first) + months - 1;
    if (sign > 0) {
      coverage_.person.emplace_back(person.begin(), person.end());
      coverage_.first.push_back(f);
      coverage_.last.push_back(l);
      return {};
    }
    return run(
        "DELETE FROM rules_coverage WHERE id = (SELECT id FROM rules_coverage WHERE person = $1 AND "
        "first_month = $2 AND last_month = $3 LIMIT 1)",
        Params().bytes(person).i64(f).i64(l));
  }
  Status put_schedule(const domain::ScheduleSet& set) override {
    for (const auto& item : set.items) {
      LONTAR_TRY(
          run("INSERT INTO rules_schedules VALUES($1, $2, $3, $4) ON CONFLICT(programme, effective) DO "
              "UPDATE SET benefit_max = excluded.benefit_max, "
              "contribution_monthly = excluded.contribution_monthly",
              Params()
                  .i64(static_cast<int>(item.programme))
                  .i64(date_int(set.effective))
                  .i64(item.benefit_max)
                  .i64(item.contribution_monthly)));
    }
    return {};
  }
  Status put_applied(std::string_view principal, std::uint64_t seq, domain::EntryKind kind, ByteView undo) override {
    applied_[{std::string(principal), seq}] = AppliedRow{kind, Bytes(undo.begin(), undo.end())};
    return {};
  }
  Status mark_voided(std::string_view principal, std::uint64_t seq) override {
    return run("UPDATE rules_applied SET voided = 1 WHERE principal = $1 AND seq = $2",
               Params().text(principal).u64(seq));
  }

  Status flush_writes() override {
    if (!participants_.empty()) {
      std::vector<Bytes> person;
      std::vector<std::string> principal;
      std::vector<std::int64_t> seq, programmes, start;
      for (const auto& [k, p] : participants_) {
        person.emplace_back(k.begin(), k.end());
        principal.push_back(p.principal);
        seq.push_back(static_cast<std::int64_t>(p.seq));
        programmes.push_back(p.programmes);
        start.push_back(date_int(p.coverage_start));
      }
      participants_.clear();
      LONTAR_TRY(write(
          "INSERT INTO rules_participants SELECT * FROM unnest($1::bytea[], $2::text[], $3::bigint[], $4::bigint[], "
          "$5::bigint[]) ON CONFLICT(person) DO UPDATE SET principal = excluded.principal, seq = excluded.seq, "
          "programmes = excluded.programmes, coverage_start = excluded.coverage_start",
          Params().bytes_array(person).text_array(principal).i64_array(seq).i64_array(programmes).i64_array(start)));
    }
    if (!claims_.empty()) {
      std::vector<std::string> no, principal;
      std::vector<Bytes> person;
      std::vector<std::int64_t> seq, programme, event, paid;
      for (const auto& [k, c] : claims_) {
        no.push_back(k);
        person.emplace_back(c.person.begin(), c.person.end());
        principal.push_back(c.principal);
        seq.push_back(static_cast<std::int64_t>(c.seq));
        programme.push_back(static_cast<int>(c.programme));
        event.push_back(date_int(c.event_date));
        paid.push_back(c.paid);
      }
      claims_.clear();
      LONTAR_TRY(write(
          "INSERT INTO rules_claims SELECT * FROM unnest($1::text[], $2::bytea[], $3::text[], $4::bigint[], "
          "$5::bigint[], $6::bigint[], $7::bigint[]) ON CONFLICT(claim_no) DO UPDATE SET person = excluded.person, "
          "principal = excluded.principal, seq = excluded.seq, programme = excluded.programme, "
          "event_date = excluded.event_date, paid = excluded.paid",
          Params()
              .text_array(no)
              .bytes_array(person)
              .text_array(principal)
              .i64_array(seq)
              .i64_array(programme)
              .i64_array(event)
              .i64_array(paid)));
    }
    if (!receipts_.empty()) {
      std::vector<std::string> principal, no;
      for (const auto& [p, n] : receipts_) {
        principal.push_back(p);
        no.push_back(n);
      }
      receipts_.clear();
      LONTAR_TRY(write("INSERT INTO rules_receipts SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
                       Params().text_array(principal).text_array(no)));
    }
    if (!coverage_.person.empty()) {
      auto rows = std::move(coverage_);
      coverage_ = {};
      LONTAR_TRY(
          write("INSERT INTO rules_coverage(person, first_month, last_month) "
                "SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::bigint[])",
                Params().bytes_array(rows.person).i64_array(rows.first).i64_array(rows.last)));
    }
    if (!applied_.empty()) {
      std::vector<std::string> principal;
      std::vector<std::int64_t> seq, kind;
      std::vector<Bytes> undo;
      for (auto& [k, a] : applied_) {
        principal.push_back(k.first);
        seq.push_back(static_cast<std::int64_t>(k.second));
        kind.push_back(static_cast<int>(a.kind));
        undo.push_back(std::move(a.undo));
      }
      applied_.clear();
      LONTAR_TRY(
          write("INSERT INTO rules_applied SELECT p, s, k, 0, u FROM unnest($1::text[], $2::bigint[], $3::bigint[], "
                "$4::bytea[]) AS t(p, s, k, u) ON CONFLICT(principal, seq) DO UPDATE SET kind = excluded.kind, "
                "voided = 0, undo = excluded.undo",
                Params().text_array(principal).i64_array(seq).i64_array(kind).bytes_array(undo)));
    }
    return {};
  }

  void discard_writes() override {
    participants_.clear();
    claims_.clear();
    receipts_.clear();
    coverage_ = {};
    applied_.clear();
  }

 private:
  // A read, or a write not kept for later: the waiting writes go first, in the same session.
  Result<pg::Rows> read(std::string_view sql, const Params& p = {}) const {
    LONTAR_TRY(const_cast<PgState*>(this)->flush_writes());
    return c_.query(sql, p);
  }
  Status run(std::string_view sql, const Params& p) {
    LONTAR_TRY(flush_writes());
    return write(sql, p);
  }
  Status write(std::string_view sql, const Params& p) {
    LONTAR_TRY(c_.query(sql, p));
    return {};
  }

  struct HashLess {
    bool operator()(const Hash& a, const Hash& b) const { return a < b; }
  };
  struct AppliedRow {
    domain::EntryKind kind;
    Bytes undo;
  };

  pg::Conn& c_;  // the query layer's session state is not the rules state
  rules::NikKey key_;
  // Writes waiting for flush_writes(): the newest value of each upserted row.
  std::map<Hash, Participant, HashLess> participants_;
  std::map<std::string, Claim> claims_;
  std::set<std::pair<std::string, std::string>> receipts_;
  struct {
    std::vector<Bytes> person;
    std::vector<std::int64_t> first, last;
  } coverage_;
  std::map<std::pair<std::string, std::uint64_t>, AppliedRow> applied_;
};

}  // namespace

std::unique_ptr<PgRulesState> make_pg_state(pg::Conn& conn, const rules::NikKey& key) {
  return std::make_unique<PgState>(conn, key);
}

}  // namespace lontar::server
