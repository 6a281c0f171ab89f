#include "report_book.hpp"

#include <ctime>
#include <string_view>

#include "rules/rules.hpp"

namespace lontar::audit {
namespace {

constexpr std::string_view schema = R"sql(
CREATE TABLE IF NOT EXISTS report_people (person BLOB PRIMARY KEY, occupation TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS report_claims (claim_no TEXT PRIMARY KEY, programme TEXT NOT NULL,
                                          occupation TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS report_items (leaf INTEGER NOT NULL, office TEXT NOT NULL, seq INTEGER NOT NULL,
  kind TEXT NOT NULL, programme TEXT NOT NULL, occupation TEXT NOT NULL, month TEXT NOT NULL,
  rupiah INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS report_voids (office TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (office, seq))
  WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS report_exceptions (leaf INTEGER PRIMARY KEY, office TEXT NOT NULL, seq INTEGER NOT NULL,
  kind TEXT NOT NULL, outcome TEXT NOT NULL, reasons TEXT NOT NULL);
)sql";

// "YYYY-MM" of a Unix time in milliseconds (UTC); "unknown" when out of range.
std::string month_of_ms(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  if (ms < 0 || gmtime_r(&t, &tm) == nullptr) return "unknown";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
  return buf;
}

std::string reasons_text(const domain::Verdict& v) {
  std::string out;
  for (const auto& r : v.reasons) {
    if (!out.empty()) out += "; ";
    out += r.code + ": " + r.text;
  }
  return out;
}

constexpr std::array<std::string_view, 7> statements = {
    "INSERT OR REPLACE INTO report_exceptions (leaf, office, seq, kind, outcome, reasons) VALUES (?, ?, ?, ?, ?, ?)",
    "INSERT OR REPLACE INTO report_people (person, occupation) VALUES (?, ?)",
    "UPDATE report_people SET occupation = ? WHERE person = ?",
    "SELECT occupation FROM report_people WHERE person = ?",
    "INSERT OR REPLACE INTO report_claims (claim_no, programme, occupation) VALUES (?, ?, ?)",
    "SELECT programme, occupation FROM report_claims WHERE claim_no = ?",
    "INSERT OR IGNORE INTO report_voids (office, seq) VALUES (?, ?)",
};

}  // namespace

Result<ReportBook> ReportBook::open(AuditState& state) {
  LONTAR_TRY(state.db().exec(schema));
  return ReportBook(state);
}

Result<store::Stmt*> ReportBook::stmt(Sql which) {
  auto& s = stmts_[which];
  if (!s) {
    LONTAR_ASSIGN(store::Stmt prepared, state_->db().prepare(statements[which]));
    s.emplace(std::move(prepared));
  } else {
    s->reset();
  }
  return &*s;
}

Result<std::string> ReportBook::occupation_of(const std::optional<Hash>& person) {
  if (!person) return std::string("unknown");
  LONTAR_ASSIGN(store::Stmt * s, stmt(person_get));
  s->bind(1, *person);
  LONTAR_ASSIGN(bool row, s->step());
  return row ? s->text(0) : std::string("unknown");
}

Status ReportBook::item(std::uint64_t leaf, const chain::Entry& e, std::string_view programme,
                        std::string_view occupation, domain::Rupiah rupiah) {
  items_.push_back(Item{leaf, e.principal, e.seq, domain::kind_name(e.kind), std::string(programme),
                        std::string(occupation), month_of_ms(e.recorded_at_ms), rupiah});
  if (items_.size() >= items_buffered_max) return write_items();
  return {};
}

// The buffered items in order, as many per statement as fit (64, 16, 4, then 1).
Status ReportBook::write_items() {
  constexpr std::array<std::size_t, 4> sizes = {64, 16, 4, 1};
  std::size_t at = 0;
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    const std::size_t n = sizes[k];
    while (items_.size() - at >= n) {
      auto& s = item_batches_[k];
      if (!s) {
        std::string sql =
            "INSERT INTO report_items (leaf, office, seq, kind, programme, occupation, month, rupiah) VALUES ";
        for (std::size_t i = 0; i < n; ++i) sql += i ? ", (?, ?, ?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?, ?, ?)";
        LONTAR_ASSIGN(store::Stmt prepared, state_->db().prepare(sql));
        s.emplace(std::move(prepared));
      } else {
        s->reset();
      }
      for (std::size_t i = 0; i < n; ++i) {
        const Item& it = items_[at + i];
        const int p = static_cast<int>(8 * i);
        s->bind(p + 1, it.leaf).bind(p + 2, it.office).bind(p + 3, it.seq).bind(p + 4, it.kind);
        s->bind(p + 5, it.programme).bind(p + 6, it.occupation).bind(p + 7, it.month).bind(p + 8, it.rupiah);
      }
      LONTAR_TRY(s->run());
      s->reset();
      at += n;
    }
  }
  items_.clear();
  return {};
}

Status ReportBook::flush() {
  std::lock_guard lock(state_->db_mutex());
  return write_items();
}

Status ReportBook::record(std::uint64_t leaf, const chain::Entry& e, const domain::Verdict& v,
                          const std::optional<domain::Payload>& payload, const std::optional<Hash>& person) {
  std::lock_guard lock(state_->db_mutex());
  Status done = record_locked(leaf, e, v, payload, person);
  // Leave no statement holding a read open on the connection between records.
  for (auto& s : stmts_) {
    if (s) s->reset();
  }
  return done;
}

Status ReportBook::record_locked(std::uint64_t leaf, const chain::Entry& e, const domain::Verdict& v,
                                 const std::optional<domain::Payload>& payload, const std::optional<Hash>& person) {
  if (v.outcome != domain::Outcome::accepted) {
    LONTAR_ASSIGN(store::Stmt * s, stmt(exception));
    s->bind(1, leaf).bind(2, e.principal).bind(3, e.seq).bind(4, domain::kind_name(e.kind));
    s->bind(5, domain::outcome_name(v.outcome)).bind(6, reasons_text(v));
    LONTAR_TRY(s->run());
  }
  if (v.outcome == domain::Outcome::rejected) return {};
  if (!payload) return {};  // the rules applied it, so it decoded; nothing to report otherwise
  if (auto* p = std::get_if<domain::ParticipantEnroll>(&*payload)) {
    LONTAR_ASSIGN(store::Stmt * s, stmt(person_put));
    if (!person) return Error{Code::internal, "an enrollment without a person key"};
    s->bind(1, *person).bind(2, p->occupation);
    LONTAR_TRY(s->run());
    return item(leaf, e, domain::programmes_to_string(p->programmes), p->occupation, 0);
  }
  if (auto* p = std::get_if<domain::ParticipantUpdate>(&*payload); p && p->occupation && person) {
    // A corrected occupation (participant.update v2): the person's later contributions,
    // claims and payouts count under it; items already reported keep theirs.
    LONTAR_ASSIGN(store::Stmt * s, stmt(person_update));
    s->bind(1, *p->occupation).bind(2, *person);
    return s->run();
  }
  if (auto* p = std::get_if<domain::ContributionPaid>(&*payload)) {
    LONTAR_ASSIGN(std::string occupation, occupation_of(person));
    for (const auto& a : p->amounts) {
      LONTAR_TRY(item(leaf, e, domain::programme_name(a.programme), occupation, a.amount));
    }
    return {};
  }
  if (auto* p = std::get_if<domain::ClaimFiled>(&*payload)) {
    LONTAR_ASSIGN(std::string occupation, occupation_of(person));
    LONTAR_ASSIGN(store::Stmt * s, stmt(claim_put));
    s->bind(1, p->claim_no).bind(2, domain::programme_name(p->programme)).bind(3, occupation);
    LONTAR_TRY(s->run());
    return item(leaf, e, domain::programme_name(p->programme), occupation, 0);
  }
  if (auto* p = std::get_if<domain::PayoutMade>(&*payload)) {
    LONTAR_ASSIGN(store::Stmt * s, stmt(claim_get));
    s->bind(1, p->claim_no);
    LONTAR_ASSIGN(bool row, s->step());
    std::string programme = row ? s->text(0) : "unknown";
    std::string occupation = row ? s->text(1) : "unknown";
    return item(leaf, e, programme, occupation, p->amount);
  }
  if (auto* p = std::get_if<domain::EntryVoid>(&*payload)) {
    LONTAR_ASSIGN(store::Stmt * s, stmt(void_put));
    s->bind(1, p->target_principal).bind(2, p->target_seq);
    return s->run();
  }
  return {};
}

// ---------------------------------------------------------------- ReportWriter

Result<std::unique_ptr<ReportWriter>> ReportWriter::open(AuditState& state, Mode mode) {
  LONTAR_ASSIGN(ReportBook book, ReportBook::open(state));
  std::unique_ptr<ReportWriter> w(new ReportWriter(std::move(book)));
  if (mode == Mode::thread) w->thread_ = std::thread([p = w.get()] { p->run(); });
  return w;
}

ReportWriter::~ReportWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status ReportWriter::record(const ReportChunk& chunk) {
  for (const auto& j : chunk.judged) {
    const DecodedLeaf& d = chunk.leaves[j.at];
    LONTAR_TRY(book_.record(d.index, d.leaf.entry, j.verdict, d.payload, d.person));
  }
  return {};
}

Status ReportWriter::add(ReportChunk chunk) {
  if (!thread_.joinable()) {
    if (!failed_.ok()) return failed_;
    failed_ = record(chunk);
    return failed_;
  }
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return queue_.size() < report_chunks_queued_max || !failed_.ok(); });
  if (!failed_.ok()) return failed_;
  queue_.push_back(std::move(chunk));
  lock.unlock();
  cv_.notify_all();
  return {};
}

Status ReportWriter::finish() {
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  if (!failed_.ok()) return failed_;
  failed_ = book_.flush();
  return failed_;
}

void ReportWriter::run() {
  for (;;) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return stop_ || closing_ || !queue_.empty(); });
    if (stop_ || queue_.empty()) return;  // abandoned, or closing with nothing left
    ReportChunk chunk = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    cv_.notify_all();
    Status done = record(chunk);
    if (!done.ok()) {
      std::lock_guard relock(mu_);
      failed_ = std::move(done);
      cv_.notify_all();
      return;
    }
  }
}

}  // namespace lontar::audit
