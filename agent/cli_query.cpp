// lontar-agent list | find | show: participants, claims, payouts and entries.
#include <fmt/format.h>
#include <algorithm>
#include <ctime>

#include "cli.hpp"
#include "table.hpp"

namespace lontar::agent::cli {

namespace {

enum class View { entries, participants, contributions, claims, payouts };

struct Filter {
  std::optional<domain::EntryKind> kind;
  std::string nik, name, ref;
  std::string from, to;  // recorded dates YYYY-MM-DD (UTC), inclusive
  std::string sync;      // "", "synced", "unsynced"
  std::string verdict;   // "", "accepted", "rejected", "flagged" (the server's when it answered)
  std::optional<std::uint64_t> seq;
  std::size_t limit = 0;
};

struct Output {
  bool json = false, csv = false;
  Format format() const { return json ? Format::json : csv ? Format::csv : Format::human; }
};

std::string when(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

Result<std::int64_t> day_ms(const std::string& text, bool end_of_day) {
  LONTAR_ASSIGN(auto d, domain::parse_date(text));
  return (domain::days_since_epoch(d) + (end_of_day ? 1 : 0)) * 86'400'000LL - (end_of_day ? 1 : 0);
}

// The outcome and reason codes; with `texts`, each reason's text too.
std::string verdict_text(ByteView bytes, bool texts = false) {
  auto v = encoding::decode<domain::Verdict>(bytes, "verdict");
  if (!v.ok()) return "?";
  std::string out = domain::outcome_name(v->outcome);
  for (const auto& r : v->reasons) out += " " + r.code + (texts ? ": " + r.text : "");
  return out;
}

bool verdict_is(ByteView bytes, const std::string& outcome) {
  auto v = encoding::decode<domain::Verdict>(bytes, "verdict");
  return v.ok() && domain::outcome_name(v->outcome) == outcome;
}

std::vector<std::string> headers_of(View v) {
  switch (v) {
    case View::participants:
      return {"seq",     "nik",        "name",           "birth_date", "sex",     "occupation",
              "sponsor", "programmes", "coverage_start", "voided",     "verdict", "synced"};
    case View::contributions:
      return {"seq", "nik", "first_month", "months", "total", "payer", "receipt_no", "verdict", "synced"};
    case View::claims:
      return {"seq", "claim_no", "nik", "programme", "event_date", "claimant", "verdict", "synced"};
    case View::payouts:
      return {"seq", "claim_no", "amount", "beneficiary", "method", "reference", "verdict", "synced"};
    case View::entries:
      break;
  }
  return {"seq", "kind", "recorded", "operator", "nik", "name", "ref", "verdict", "synced"};
}

// In place of an entry whose stored bytes no longer hash to its stored hash: never shown as
// if it were fine (the row holds only its seq and this; short enough for a table cell, the
// message on stderr says the rest).
constexpr const char* damaged_row = "RUSAK/DAMAGED: lontar-agent verify";

bool is_damaged(const std::vector<std::string>& row) { return row.size() == 2 && row[1] == damaged_row; }

int damaged_exit() {
  fmt::print(stderr,
             "RUSAK: isi tersimpan sebagian entri tidak cocok lagi dengan hash-nya; jalankan lontar-agent verify / "
             "DAMAGED: the stored bytes of some entries no longer match their hash; run lontar-agent verify\n");
  return exit_verify;
}

std::vector<std::string> row_of(View v, store::Stmt& st, const std::string& synced, const std::string& voided,
                                bool reason_texts) {
  const auto seq = std::to_string(st.uint64(0));
  const Hash stored = st.hash(11);
  if (chain::entry_hash_of_bytes(st.blob_view(7)) != stored) return {seq, damaged_row};
  const auto kind = static_cast<domain::EntryKind>(st.int64(1));
  const std::string verdict = verdict_text(st.blob_view(8), reason_texts);
  if (v == View::entries) {
    return {seq,   domain::kind_name(kind), when(st.int64(2)), st.text(3), st.text(4), st.text(5), st.text(6), verdict,
            synced};
  }
  auto entry = encoding::decode<chain::Entry>(st.blob_view(7), "entry");
  if (!entry.ok()) return {seq, "(undecodable: run verify)"};
  auto payload = domain::decode_payload(kind, entry->payload);
  if (!payload.ok()) return {seq, "(undecodable: run verify)"};
  if (auto* p = std::get_if<domain::ParticipantEnroll>(&*payload)) {
    return {seq,
            p->nik,
            p->name,
            domain::to_string(p->birth_date),
            domain::sex_name(p->sex),
            p->occupation,
            p->sponsor,
            domain::programmes_to_string(p->programmes),
            domain::to_string(p->coverage_start),
            voided,
            verdict,
            synced};
  }
  if (auto* p = std::get_if<domain::ContributionPaid>(&*payload)) {
    domain::Rupiah total = 0;
    for (const auto& a : p->amounts) total += a.amount;
    return {seq,
            p->nik,
            domain::to_string(p->first_month),
            std::to_string(p->months),
            std::to_string(total),
            p->payer,
            p->receipt_no,
            verdict,
            synced};
  }
  if (auto* p = std::get_if<domain::ClaimFiled>(&*payload)) {
    return {seq,
            p->claim_no,
            p->nik,
            domain::programme_name(p->programme),
            domain::to_string(p->event_date),
            p->claimant.name,
            verdict,
            synced};
  }
  if (auto* p = std::get_if<domain::PayoutMade>(&*payload)) {
    return {seq,
            p->claim_no,
            std::to_string(p->amount),
            p->beneficiary,
            domain::pay_method_name(p->method),
            p->reference,
            verdict,
            synced};
  }
  return {seq};
}

Result<Table> run_query(Office& office, View view, Filter f) {
  if (view == View::participants) f.kind = domain::EntryKind::participant_enroll;
  if (view == View::contributions) f.kind = domain::EntryKind::contribution_paid;
  if (view == View::claims) f.kind = domain::EntryKind::claim_filed;
  if (view == View::payouts) f.kind = domain::EntryKind::payout_made;
  std::string sql =
      "SELECT e.seq, e.kind, e.recorded_at_ms, e.operator, e.nik, e.name, e.ref, e.bytes, "
      "COALESCE((SELECT r.verdict FROM receipts r WHERE r.seq = e.seq), e.verdict), "
      "EXISTS(SELECT 1 FROM outbox o WHERE o.seq = e.seq), "
      "EXISTS(SELECT 1 FROM entries v WHERE v.kind = 15 AND v.ref = ?1 || '#' || e.seq), e.hash "
      "FROM entries e WHERE 1";
  if (f.kind) sql += " AND e.kind = ?2";
  if (!f.nik.empty()) sql += " AND e.nik = ?3";
  if (!f.name.empty()) sql += " AND e.name LIKE '%' || ?4 || '%'";
  if (!f.ref.empty()) sql += " AND e.ref = ?5";
  if (!f.from.empty()) sql += " AND e.recorded_at_ms >= ?6";
  if (!f.to.empty()) sql += " AND e.recorded_at_ms <= ?7";
  if (f.seq) sql += " AND e.seq = ?8";
  if (f.sync == "unsynced") sql += " AND e.seq IN (SELECT seq FROM outbox)";
  if (f.sync == "synced") sql += " AND e.seq NOT IN (SELECT seq FROM outbox)";
  sql += " ORDER BY e.seq";
  if (f.limit && f.verdict.empty()) sql += " LIMIT ?9";
  LONTAR_ASSIGN(auto st, office.store->db().prepare(sql));
  st.bind(1, office.id);
  if (f.kind) st.bind(2, static_cast<int>(*f.kind));
  if (!f.nik.empty()) st.bind(3, f.nik);
  if (!f.name.empty()) st.bind(4, f.name);
  if (!f.ref.empty()) st.bind(5, f.ref);
  if (!f.from.empty()) {
    LONTAR_ASSIGN(auto ms, day_ms(f.from, false));
    st.bind(6, ms);
  }
  if (!f.to.empty()) {
    LONTAR_ASSIGN(auto ms, day_ms(f.to, true));
    st.bind(7, ms);
  }
  if (f.seq) st.bind(8, *f.seq);
  if (f.limit && f.verdict.empty()) st.bind(9, static_cast<std::int64_t>(f.limit));
  Table t;
  t.headers = headers_of(view);
  for (;;) {
    LONTAR_ASSIGN(bool row, st.step());
    if (!row) break;
    if (!f.verdict.empty()) {
      if (!verdict_is(st.blob_view(8), f.verdict)) continue;
      if (f.limit && t.rows.size() >= f.limit) break;
    }
    t.rows.push_back(row_of(view, st, st.int64(9) ? "no" : "yes", st.int64(10) ? "yes" : "no", !f.verdict.empty()));
  }
  return t;
}

void add_filter_options(CLI::App* cmd, Filter& f, Output& o) {
  cmd->add_option("--nik", f.nik, "only this NIK");
  cmd->add_option("--name", f.name, "names containing this text");
  cmd->add_option("--claim", f.ref, "only this claim number (or receipt number)");
  cmd->add_option_function<std::string>(
      "--date", [&f](const std::string& d) { f.from = f.to = d; }, "recorded on this day, YYYY-MM-DD (UTC)");
  cmd->add_option("--from", f.from, "recorded on or after this day, YYYY-MM-DD (UTC)");
  cmd->add_option("--to", f.to, "recorded on or before this day, YYYY-MM-DD (UTC)");
  cmd->add_option("--sync", f.sync, "synced or unsynced")->check(CLI::IsMember({"synced", "unsynced"}));
  cmd->add_option("--verdict", f.verdict,
                  "only entries with this verdict (the server's once synced), shown with the reasons")
      ->check(CLI::IsMember({"accepted", "rejected", "flagged"}));
  cmd->add_option("--limit", f.limit, "at most this many rows");
  cmd->add_flag("--json", o.json, "print JSON");
  cmd->add_flag("--csv", o.csv, "print CSV (for spreadsheets)");
}

int print_query(Context& ctx, View view, const Filter& f, const Output& o, bool need_rows) {
  auto office = open(ctx);
  if (!office.ok()) return fail(office.error());
  auto t = run_query(*office, view, f);
  if (!t.ok()) return fail(t.error());
  t->print(o.format());
  if (std::any_of(t->rows.begin(), t->rows.end(), is_damaged)) return damaged_exit();
  return need_rows && t->rows.empty() ? exit_not_found : exit_ok;
}

}  // namespace

void add_query(CLI::App& app, Context& ctx) {
  {
    struct O {
      Filter f;
      Output o;
      bool entries = false, contributions = false, claims = false, payouts = false;
    };
    auto o = std::make_shared<O>();
    auto* cmd = app.add_subcommand("list", "list participants (default), contributions, claims, payouts or entries");
    cmd->add_flag("--entries", o->entries, "list entries of every kind");
    cmd->add_flag("--contributions", o->contributions, "list contributions");
    cmd->add_flag("--claims", o->claims, "list claims");
    cmd->add_flag("--payouts", o->payouts, "list payouts");
    add_filter_options(cmd, o->f, o->o);
    cmd->callback([o, &ctx] {
      View v = o->entries         ? View::entries
               : o->contributions ? View::contributions
               : o->claims        ? View::claims
               : o->payouts       ? View::payouts
                                  : View::participants;
      ctx.exit_code = print_query(ctx, v, o->f, o->o, false);
    });
  }
  {
    struct O {
      Filter f;
      Output o;
      std::string kind;
    };
    auto o = std::make_shared<O>();
    auto* cmd = app.add_subcommand("find", "find entries by NIK, name, kind, claim, date or sync state");
    cmd->add_option("--kind", o->kind, "entry kind, e.g. participant.enroll, payout.made");
    cmd->add_option("--seq", o->f.seq, "the entry with this seq");
    add_filter_options(cmd, o->f, o->o);
    cmd->callback([o, &ctx] {
      auto f = o->f;
      if (!o->kind.empty()) {
        auto k = domain::parse_kind(o->kind);
        if (!k.ok()) {
          ctx.exit_code = fail(Error{Code::bad_input, "--kind: " + k.error().message});
          return;
        }
        f.kind = *k;
      }
      ctx.exit_code = print_query(ctx, View::entries, f, o->o, true);
    });
  }
  {
    struct O {
      Filter f;
      Output o;
    };
    auto o = std::make_shared<O>();
    auto* cmd = app.add_subcommand("show",
                                   "show one participant (--nik) with everything recorded about them, "
                                   "or one claim (--claim)");
    cmd->add_option("--nik", o->f.nik, "the participant's NIK");
    cmd->add_option("--claim", o->f.ref, "a claim number");
    cmd->add_flag("--json", o->o.json, "print JSON");
    cmd->add_flag("--csv", o->o.csv, "print CSV");
    cmd->callback([o, &ctx] {
      if (o->f.nik.empty() && o->f.ref.empty()) {
        ctx.exit_code = fail(Error{Code::bad_input, "show: give --nik NIK or --claim NO"});
        return;
      }
      auto office = open(ctx);
      if (!office.ok()) {
        ctx.exit_code = fail(office.error());
        return;
      }
      bool any = false;
      std::vector<std::string> claim_nos;
      std::string json;
      struct Part {
        View view;
        const char* title;
      };
      bool damaged = false;
      for (Part part : {Part{View::participants, "enrollment"}, Part{View::contributions, "contributions"},
                        Part{View::claims, "claims"}, Part{View::payouts, "payouts"}}) {
        Table all;
        all.headers = headers_of(part.view);
        // A person's payouts are found through their claims' numbers.
        std::vector<Filter> filters;
        if (part.view == View::payouts && !o->f.nik.empty()) {
          for (const auto& no : claim_nos) {
            Filter f;
            f.ref = no;
            filters.push_back(f);
          }
        } else {
          filters.push_back(o->f);
        }
        for (const auto& f : filters) {
          auto t = run_query(*office, part.view, f);
          if (!t.ok()) {
            ctx.exit_code = fail(t.error());
            return;
          }
          for (auto& row : t->rows) all.rows.push_back(std::move(row));
        }
        if (part.view == View::claims) {
          for (const auto& row : all.rows) claim_nos.push_back(row.at(1));
        }
        any = any || !all.rows.empty();
        damaged = damaged || std::any_of(all.rows.begin(), all.rows.end(), is_damaged);
        if (o->o.json) {
          json += fmt::format("{}\n\"{}\": {}", json.empty() ? "{" : ",", part.title, all.json());
          continue;
        }
        if (all.rows.empty()) continue;
        if (!o->o.csv) fmt::print("{}:\n", part.title);
        all.print(o->o.format());
      }
      if (o->o.json) fmt::print("{}\n}}\n", json);
      if (!any) fmt::print(stderr, "nothing recorded here for {}\n", o->f.nik.empty() ? o->f.ref : o->f.nik);
      ctx.exit_code = damaged ? damaged_exit() : any ? exit_ok : exit_not_found;
    });
  }
}

}  // namespace lontar::agent::cli
