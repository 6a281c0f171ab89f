// lontar-agent list | find | show: participants, claims, payouts and entries.
#include <fmt/format.h>
#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "base/clock.hpp"
#include "cli.hpp"
#include "table.hpp"

namespace lontar::agent::cli {

namespace {

enum class View { entries, participants, updates, contributions, claims, payouts, voids };

struct Filter {
  std::optional<domain::EntryKind> kind;
  std::string nik, name, ref;
  std::string from, to;  // recorded dates YYYY-MM-DD (UTC), inclusive
  std::string sync;      // "", "synced", "unsynced"
  std::string verdict;   // "", "accepted", "rejected", "flagged" (the server's when it answered)
  std::optional<std::uint64_t> seq;
  std::uint64_t limit = 0;
  std::uint64_t after = 0;  // paging: entries after this seq
};

struct Output {
  bool json = false, csv = false;
  Format format() const { return json ? Format::json : csv ? Format::csv : Format::human; }
};

// A human table shows this many rows unless --limit says otherwise; CSV and JSON
// stream everything.
constexpr std::uint64_t human_page_rows = 100;

std::string when(std::int64_t ms) { return utc_text(ms); }

Result<std::int64_t> day_ms(const std::string& text, bool end_of_day) {
  LONTAR_ASSIGN(auto d, domain::parse_date(text));
  return (domain::days_since_epoch(d) + (end_of_day ? 1 : 0)) * 86'400'000LL - (end_of_day ? 1 : 0);
}

// The outcome and reason codes; with `texts`, each reason's whole text too.
// Accepted verdicts without reasons (nearly all) are recognised by their bytes.
std::string verdict_text(ByteView bytes, bool texts = false) {
  static const Bytes accepted = encoding::encode(domain::Verdict{}).value();
  if (bytes.size() == accepted.size() && std::equal(bytes.begin(), bytes.end(), accepted.begin())) {
    return domain::outcome_name(domain::Outcome::accepted);
  }
  auto v = encoding::decode<domain::Verdict>(bytes, "verdict");
  if (!v.ok()) return "?";
  std::string out = domain::outcome_name(v->outcome);
  for (const auto& r : v->reasons) out += " " + r.code + (texts ? ": " + r.text : "");
  return out;
}

std::vector<std::string> headers_of(View v) {
  switch (v) {
    case View::participants:
      return {"seq",     "nik",        "name",           "birth_date", "sex",     "occupation",
              "sponsor", "programmes", "coverage_start", "voided",     "verdict", "synced"};
    case View::updates:
      return {"seq", "recorded", "nik", "phone", "address", "heirs", "corrections", "voided", "verdict", "synced"};
    case View::contributions:
      return {"seq", "nik", "first_month", "months", "total", "payer", "receipt_no", "voided", "verdict", "synced"};
    case View::claims:
      return {"seq", "claim_no", "nik", "programme", "event_date", "claimant", "voided", "verdict", "synced"};
    case View::payouts:
      return {"seq", "claim_no", "amount", "beneficiary", "method", "reference", "voided", "verdict", "synced"};
    case View::voids:
      return {"seq", "recorded", "operator", "target", "reason", "verdict", "synced"};
    case View::entries:
      break;
  }
  return {"seq", "kind", "recorded", "operator", "nik", "name", "ref", "voided", "verdict", "synced"};
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

std::vector<std::string> row_of(View v, const Store::ListedEntry& e, bool reason_texts) {
  const auto seq = std::to_string(e.seq);
  if (chain::entry_hash_of_bytes(e.bytes) != e.hash) return {seq, damaged_row};
  const std::string verdict = verdict_text(e.verdict, reason_texts);
  const std::string synced = e.synced ? "yes" : "no";
  const std::string voided = e.voided ? "yes" : "no";
  if (v == View::entries) {
    return {seq,
            domain::kind_name(e.kind),
            when(e.recorded_at_ms),
            std::string(e.operator_id),
            std::string(e.nik),
            std::string(e.name),
            std::string(e.ref),
            voided,
            verdict,
            synced};
  }
  auto entry = encoding::decode<chain::Entry>(e.bytes, "entry");
  if (!entry.ok()) return {seq, "(undecodable: run verify)"};
  auto payload = domain::decode_payload(e.kind, entry->payload);
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
  if (auto* p = std::get_if<domain::ParticipantUpdate>(&*payload)) {
    std::string heirs;
    if (p->replace_heirs) {
      for (const auto& h : p->heirs) heirs += (heirs.empty() ? "" : "; ") + h.name + " (" + h.nik + ")";
      if (heirs.empty()) heirs = "(none)";
    }
    std::string corrections;
    auto add = [&](const char* field, const std::string& value) {
      corrections += fmt::format("{}{}={}", corrections.empty() ? "" : "; ", field, value);
    };
    if (p->name) add("name", *p->name);
    if (p->birth_date) add("birth_date", domain::to_string(*p->birth_date));
    if (p->occupation) add("occupation", *p->occupation);
    return {seq,
            when(e.recorded_at_ms),
            p->nik,
            p->phone.value_or(""),
            p->address.value_or(""),
            heirs,
            corrections,
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
            voided,
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
            voided,
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
            voided,
            verdict,
            synced};
  }
  if (auto* p = std::get_if<domain::EntryVoid>(&*payload)) {
    return {seq,
            when(e.recorded_at_ms),
            std::string(e.operator_id),
            fmt::format("{}#{}", p->target_principal, p->target_seq),
            p->reason,
            verdict,
            synced};
  }
  return {seq};
}

std::optional<domain::EntryKind> kind_of_view(View view) {
  switch (view) {
    case View::participants:
      return domain::EntryKind::participant_enroll;
    case View::updates:
      return domain::EntryKind::participant_update;
    case View::contributions:
      return domain::EntryKind::contribution_paid;
    case View::claims:
      return domain::EntryKind::claim_filed;
    case View::payouts:
      return domain::EntryKind::payout_made;
    case View::voids:
      return domain::EntryKind::entry_void;
    case View::entries:
      break;
  }
  return std::nullopt;
}

Result<Store::EntryQuery> query_of(const Office& office, View view, const Filter& f) {
  Store::EntryQuery q;
  q.office_id = office.id;
  q.kind = kind_of_view(view);
  if (!q.kind) q.kind = f.kind;
  q.nik = f.nik;
  q.name = f.name;
  q.ref = f.ref;
  if (!f.from.empty()) {
    LONTAR_ASSIGN(q.from_ms, day_ms(f.from, false));
  }
  if (!f.to.empty()) {
    LONTAR_ASSIGN(q.to_ms, day_ms(f.to, true));
  }
  if (f.sync == "synced") q.sync = Store::EntryQuery::Sync::synced;
  if (f.sync == "unsynced") q.sync = Store::EntryQuery::Sync::unsynced;
  if (f.verdict == "accepted") q.outcome = domain::Outcome::accepted;
  if (f.verdict == "rejected") q.outcome = domain::Outcome::rejected;
  if (f.verdict == "flagged") q.outcome = domain::Outcome::flagged;
  q.seq = f.seq;
  q.after_seq = f.after;
  q.limit = f.limit;
  return q;
}

// Walks a person's enrollments and corrections at this office in seq order: `on_update` sees
// each correction (a participant.update v2) with the enrollment it corrects as the
// corrections before it left it (none for a person enrolled at another office) and whether
// it applies; an update voided, or rejected by the server, changes nothing. `on_enroll`
// sees each enrollment as every applied correction after it (up to the next enrollment of
// the same NIK) left it: the last one is what Store::own_enrollment gives.
struct CorrectionSeen {
  const Store::ListedEntry& entry;
  const domain::ParticipantUpdate& update;
  const std::optional<domain::ParticipantEnroll>& before;
  std::string applied;  // "yes", "no (voided)", "no (rejected)"
};
Status walk_corrections(Office& office, const std::string& nik,
                        const std::function<void(const CorrectionSeen&)>& on_update,
                        const std::function<void(std::uint64_t seq, const domain::ParticipantEnroll&)>& on_enroll) {
  Store::EntryQuery q;
  q.office_id = office.id;
  q.nik = nik;
  std::optional<domain::ParticipantEnroll> current;
  std::uint64_t current_seq = 0;
  auto close = [&] {
    if (current && on_enroll) on_enroll(current_seq, *current);
  };
  LONTAR_TRY(office.store->query_entries(q, [&](const Store::ListedEntry& e) -> Result<bool> {
    using domain::EntryKind;
    if (e.kind != EntryKind::participant_enroll && e.kind != EntryKind::participant_update) return true;
    if (chain::entry_hash_of_bytes(e.bytes) != e.hash) return true;  // the other parts say DAMAGED
    LONTAR_ASSIGN(auto entry, encoding::decode<chain::Entry>(e.bytes, "entry"));
    LONTAR_ASSIGN(auto payload, domain::decode_payload(e.kind, entry.payload));
    if (auto* enroll = std::get_if<domain::ParticipantEnroll>(&payload)) {
      close();
      current = *enroll;  // the newest enrollment, as Store::own_enrollment takes
      current_seq = e.seq;
      return true;
    }
    const auto& u = std::get<domain::ParticipantUpdate>(payload);
    if (!u.is_v2()) return true;
    LONTAR_ASSIGN(auto verdict, encoding::decode<domain::Verdict>(e.verdict, "verdict"));
    const bool rejected = verdict.outcome == domain::Outcome::rejected;
    if (on_update) on_update({e, u, current, e.voided ? "no (voided)" : rejected ? "no (rejected)" : "yes"});
    if (current && !e.voided && !rejected) apply_update(*current, u);
    return true;
  }));
  close();
  return {};
}

// The corrections of a person's enrollment at this office, in order: one row per
// field an update corrected, old value → new, with when and by which entry. An
// update voided, or rejected by the server, is listed but changes nothing
// ("applied" says so); the last applied row of a field is its current value
// (Store::own_enrollment gives the same). For a person enrolled at another office
// the old values are "?": they are kept at that office.
Result<Table> corrections_of(Office& office, const std::string& nik) {
  Table t;
  t.headers = {"seq", "recorded", "field", "old", "new", "applied"};
  LONTAR_TRY(walk_corrections(office, nik,
                              [&](const CorrectionSeen& c) {
                                auto add = [&](const char* field, std::string old_value, std::string new_value) {
                                  t.rows.push_back({std::to_string(c.entry.seq), when(c.entry.recorded_at_ms), field,
                                                    std::move(old_value), std::move(new_value), c.applied});
                                };
                                // A person enrolled at another office: the old values are kept there, not here.
                                const std::string elsewhere = "?";
                                const auto& u = c.update;
                                if (u.name) add("name", c.before ? c.before->name : elsewhere, *u.name);
                                if (u.birth_date) {
                                  add("birth_date", c.before ? domain::to_string(c.before->birth_date) : elsewhere,
                                      domain::to_string(*u.birth_date));
                                }
                                if (u.occupation)
                                  add("occupation", c.before ? c.before->occupation : elsewhere, *u.occupation);
                              },
                              {}));
  return t;
}

// The enrollments (by seq) whose name, birth date or occupation a correction at this office
// changed, as the corrections left them: what `list` shows in place of the enrolled values.
// Found through this office's updates (few), then each such person's entries (the NIK index).
using Corrected = std::map<std::uint64_t, domain::ParticipantEnroll>;
Result<Corrected> corrected_enrollments(Office& office, const Filter& f) {
  Store::EntryQuery q;
  q.office_id = office.id;
  q.kind = domain::EntryKind::participant_update;
  q.nik = f.nik;
  std::set<std::string> niks;
  LONTAR_TRY(office.store->query_entries(q, [&](const Store::ListedEntry& e) -> Result<bool> {
    niks.emplace(e.nik);
    return true;
  }));
  Corrected out;
  for (const auto& nik : niks) {
    LONTAR_TRY(walk_corrections(
        office, nik, {}, [&](std::uint64_t seq, const domain::ParticipantEnroll& now) { out.emplace(seq, now); }));
  }
  return out;
}

// Streams the matching rows to `out` (at most f.limit when set); says whether more
// rows were there and the last seq printed.
struct Streamed {
  std::uint64_t rows = 0, last_seq = 0;
  bool more = false;
  bool damaged = false;  // some row's bytes no longer match its hash
};
Result<Streamed> stream_query(Office& office, View view, const Filter& f, RowWriter& out) {
  LONTAR_ASSIGN(auto q, query_of(office, view, f));
  if (q.limit) ++q.limit;  // one more, to know whether there is a next page
  Streamed s;
  const bool texts = !f.verdict.empty() || view == View::entries;
  // Participants are listed with their details as this office's corrections left them.
  Corrected corrected;
  if (view == View::participants) {
    LONTAR_ASSIGN(corrected, corrected_enrollments(office, f));
  }
  LONTAR_TRY(office.store->query_entries(q, [&](const Store::ListedEntry& e) -> Result<bool> {
    if (f.limit && s.rows == f.limit) {
      s.more = true;
      return false;
    }
    auto row = row_of(view, e, texts);
    if (auto c = corrected.find(e.seq); c != corrected.end() && !is_damaged(row) && row.size() > 5) {
      row[2] = c->second.name;  // the columns of headers_of(View::participants)
      row[3] = domain::to_string(c->second.birth_date);
      row[5] = c->second.occupation;
    }
    s.damaged = s.damaged || is_damaged(row);
    out.row(std::move(row));
    ++s.rows;
    s.last_seq = e.seq;
    return true;
  }));
  return s;
}

// The person's details now: the enrollment as this office's corrections left it.
Result<Table> current_of(Office& office, const std::string& nik) {
  Table t;
  t.headers = {"nik", "name", "birth_date", "occupation", "phone", "address"};
  LONTAR_ASSIGN(auto p, office.store->own_enrollment(nik));
  if (p) {
    t.rows.push_back({p->nik, p->name, domain::to_string(p->birth_date), p->occupation, p->phone, p->address});
  }
  return t;
}

Result<Table> run_query(Office& office, View view, const Filter& f,
                        const std::function<void(const Store::ListedEntry&)>& also = {}) {
  Table t;
  t.headers = headers_of(view);
  LONTAR_ASSIGN(auto q, query_of(office, view, f));
  LONTAR_TRY(office.store->query_entries(q, [&](const Store::ListedEntry& e) -> Result<bool> {
    t.rows.push_back(row_of(view, e, true));
    if (also) also(e);
    return true;
  }));
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
  cmd->add_option("--limit", f.limit,
                  "at most this many rows (a table shows 100 unless told; --csv and --json give every row)");
  cmd->add_option("--after", f.after, "paging: only entries after this seq (the last seq of the previous page)");
  cmd->add_flag("--json", o.json, "print JSON");
  cmd->add_flag("--csv", o.csv, "print CSV (for spreadsheets)");
}

Filter by_ref(std::string ref) {
  Filter f;
  f.ref = std::move(ref);
  return f;
}

int print_query(Context& ctx, View view, Filter f, const Output& o, bool need_rows) {
  auto office = open(ctx);
  if (!office.ok()) return fail(office.error());
  const bool paged = o.format() == Format::human && f.limit == 0;
  if (paged) f.limit = human_page_rows;
  RowWriter out(o.format(), headers_of(view));
  auto s = stream_query(*office, view, f, out);
  if (!s.ok()) return fail(s.error());
  out.finish();
  if (o.format() == Format::human && s->more) {
    fmt::print(stderr, "{}\n", i18n::tr(ctx.lang, "query.more", s->last_seq));
  }
  if (s->damaged) return damaged_exit();
  return need_rows && s->rows == 0 ? exit_not_found : exit_ok;
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
      bool any = false, damaged = false;
      std::vector<std::string> claim_nos;
      std::vector<std::uint64_t> voided;
      std::string json;
      struct Part {
        View view;
        const char* title;
      };
      const bool by_nik = !o->f.nik.empty();
      for (Part part : {Part{View::participants, "enrollment"}, Part{View::updates, "updates"},
                        Part{View::contributions, "contributions"}, Part{View::claims, "claims"},
                        Part{View::payouts, "payouts"}, Part{View::voids, "voids"}}) {
        Table all;
        all.headers = headers_of(part.view);
        // A person's payouts are found through their claims' numbers, and the voids
        // through the entries they cancel.
        std::vector<Filter> filters;
        if (part.view == View::payouts && by_nik) {
          for (const auto& no : claim_nos) filters.push_back(by_ref(no));
        } else if (part.view == View::voids) {
          for (auto seq : voided) filters.push_back(by_ref(fmt::format("{}#{}", office->id, seq)));
        } else if (by_nik || part.view == View::claims || part.view == View::payouts) {
          filters.push_back(o->f);
        }
        for (const auto& f : filters) {
          auto t = run_query(*office, part.view, f, [&](const Store::ListedEntry& e) {
            if (e.voided) voided.push_back(e.seq);
          });
          if (!t.ok()) {
            ctx.exit_code = fail(t.error());
            return;
          }
          for (auto& row : t->rows) all.rows.push_back(std::move(row));
        }
        if (part.view == View::claims) {
          for (const auto& row : all.rows) claim_nos.push_back(row.at(1));
        }
        if (part.view == View::updates && by_nik) {
          // After the updates: the details as corrected, and each correction's history.
          auto corrections = corrections_of(*office, o->f.nik);
          auto current = corrections.ok() ? current_of(*office, o->f.nik) : Result<Table>(corrections.error());
          if (!current.ok()) {
            ctx.exit_code = fail(current.error());
            return;
          }
          if (o->o.json) {
            json += fmt::format(",\n\"current\": {},\n\"corrections\": {}", current->json(), corrections->json());
          } else if (!corrections->rows.empty()) {
            if (!current->rows.empty()) {
              if (!o->o.csv) fmt::print("{}:\n", "data terkini / current");
              current->print(o->o.format());
            }
            if (!o->o.csv) fmt::print("{}:\n", "koreksi / corrections");
            corrections->print(o->o.format());
          }
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
      if (!any) {
        fmt::print(stderr, "{}\n", i18n::tr(ctx.lang, "query.nothing_for", o->f.nik.empty() ? o->f.ref : o->f.nik));
      }
      ctx.exit_code = damaged ? damaged_exit() : any ? exit_ok : exit_not_found;
    });
  }
}

}  // namespace lontar::agent::cli
