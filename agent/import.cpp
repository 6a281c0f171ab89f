#include "import.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "csv.hpp"
#include "record.hpp"

namespace lontar::agent {

namespace {
constexpr std::uint64_t progress_every_rows = 1000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A quoted cell may span lines (spreadsheets allow it); an address is one line.
std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\r' || c == '\n') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// A field and the column it was mapped to, looked up once per import rather
// than once per cell.
struct Col {
  std::string_view field;
  std::optional<std::size_t> index;
};
Col col(const ColumnMap& map, std::string_view field) { return Col{field, map.find(field)}; }

struct EnrollColumns {
  explicit EnrollColumns(const ColumnMap& m)
      : nik(col(m, "nik")),
        name(col(m, "name")),
        birth_date(col(m, "birth_date")),
        sex(col(m, "sex")),
        regency(col(m, "regency")),
        occupation(col(m, "occupation")),
        sponsor(col(m, "sponsor")),
        income(col(m, "income")),
        programmes(col(m, "programmes")),
        coverage_start(col(m, "coverage_start")),
        phone(col(m, "phone")),
        address(col(m, "address")),
        heir_name(col(m, "heir_name")),
        heir_relation(col(m, "heir_relation")),
        heir_nik(col(m, "heir_nik")) {}
  Col nik, name, birth_date, sex, regency, occupation, sponsor, income, programmes, coverage_start, phone, address,
      heir_name, heir_relation, heir_nik;
};

struct ContributionColumns {
  explicit ContributionColumns(const ColumnMap& m)
      : nik(col(m, "nik")),
        first_month(col(m, "first_month")),
        months(col(m, "months")),
        payer(col(m, "payer")),
        receipt_no(col(m, "receipt_no")),
        amounts{col(m, "jkk"), col(m, "jkm"), col(m, "jht")} {}
  Col nik, first_month, months, payer, receipt_no;
  Col amounts[3];  // parallel to amount_programmes
};
constexpr domain::Programme amount_programmes[3] = {domain::Programme::jkk, domain::Programme::jkm,
                                                    domain::Programme::jht};

// Reads the cells of one record.
class Row {
 public:
  Row(const ColumnMap& map, const csv::Record& rec) : map_(map), rec_(rec) {}
  std::string_view cell(const Col& c) const {
    if (!c.index || *c.index >= rec_.fields.size()) return {};
    return trim(rec_.fields[*c.index]);
  }
  std::string or_default(const Col& c, const std::string& fallback) const {
    auto v = cell(c);
    return v.empty() ? fallback : std::string(v);
  }
  // "column 3 'tgl_lahir' (birth_date)" or "birth_date (no column; default)".
  std::string where(std::string_view field, const std::vector<std::string>& header) const {
    auto c = map_.find(field);
    if (!c) return fmt::format("{} (default)", field);
    return fmt::format("column {} '{}' ({})", *c + 1, *c < header.size() ? header[*c] : "", field);
  }

 private:
  const ColumnMap& map_;
  const csv::Record& rec_;
};

// The last date text parsed and its result: a partner's list usually gives every
// row the same coverage start, so it is parsed once.
class DateMemo {
 public:
  Result<domain::Date> parse(std::string_view text) {
    if (!last_ || text != text_) {
      text_.assign(text);
      last_.emplace(parse_partner_date(text));
    }
    return *last_;
  }

 private:
  std::string text_;
  std::optional<Result<domain::Date>> last_;
};

// Row errors carry the field they are about as "field<US>message" (US = the ASCII
// unit separator, which a CSV cell cannot smuggle in: quote() escapes controls),
// so that the report can name the column the field came from.
constexpr char field_separator = '\x1f';

Error row_error(std::string_view field, std::string_view message) {
  return Error{Code::bad_input, std::string(field) + field_separator + std::string(message)};
}

template <class T>
Result<T> in_field(std::string_view field, Result<T> r) {
  if (!r.ok()) return Error{Code::bad_input, std::string(field) + field_separator + std::move(r).error().message};
  return r;
}

Result<domain::Payload> enroll_row(const Row& row, const EnrollColumns& c, const ImportOptions& o, DateMemo& starts) {
  domain::ParticipantEnroll p;
  p.nik = std::string(row.cell(c.nik));
  if (p.nik.empty()) return row_error("nik", "is empty; every row needs the participant's 16-digit NIK");
  LONTAR_TRY(in_field("nik", domain::parse_nik(p.nik)));
  p.name = std::string(row.cell(c.name));
  LONTAR_ASSIGN(p.birth_date, in_field("birth_date", parse_partner_date(row.cell(c.birth_date))));
  auto sex = row.cell(c.sex);
  if (sex.empty()) {
    p.sex = sex_from_nik(p.nik);
  } else {
    LONTAR_ASSIGN(p.sex, in_field("sex", domain::parse_sex(sex)));
  }
  p.regency_code = row.or_default(c.regency, p.nik.substr(0, 4));
  p.occupation = row.or_default(c.occupation, o.occupation);
  p.sponsor = row.or_default(c.sponsor, o.sponsor);
  if (auto income = row.cell(c.income); !income.empty()) {
    LONTAR_ASSIGN(p.declared_income, in_field("income", parse_rupiah(income)));
  }
  LONTAR_ASSIGN(p.programmes,
                in_field("programmes", domain::parse_programmes(row.or_default(c.programmes, o.programmes))));
  std::string_view start = row.cell(c.coverage_start);
  if (start.empty()) start = o.coverage_start;
  if (start.empty()) return row_error("coverage_start", "is empty; fill it or pass --coverage-start");
  LONTAR_ASSIGN(p.coverage_start, in_field("coverage_start", starts.parse(start)));
  p.phone = std::string(row.cell(c.phone));
  p.address = one_line(row.cell(c.address));
  if (auto heir = row.cell(c.heir_name); !heir.empty()) {
    p.heirs.push_back(
        domain::Heir{std::string(heir), row.or_default(c.heir_relation, "other"), std::string(row.cell(c.heir_nik))});
  }
  return domain::Payload{std::move(p)};
}

Result<domain::Payload> contribution_row(const Row& row, const ContributionColumns& c, const ImportOptions& o) {
  domain::ContributionPaid p;
  p.nik = std::string(row.cell(c.nik));
  if (p.nik.empty()) return row_error("nik", "is empty; every row needs the participant's 16-digit NIK");
  LONTAR_ASSIGN(p.first_month,
                in_field("first_month", domain::parse_year_month(row.or_default(c.first_month, o.first_month))));
  if (auto m = row.cell(c.months); !m.empty()) {
    auto n = parse_rupiah(m);
    if (!n.ok() || *n < 1 || *n > domain::contribution_months_max) {
      return row_error("months",
                       fmt::format("'{}' is not a number of months 1..{}", m, domain::contribution_months_max));
    }
    p.months = static_cast<std::uint16_t>(*n);
  }
  for (std::size_t i = 0; i < std::size(amount_programmes); ++i) {
    auto cell = row.cell(c.amounts[i]);
    if (cell.empty()) continue;
    LONTAR_ASSIGN(domain::Rupiah amount, in_field(c.amounts[i].field, parse_rupiah(cell)));
    if (amount > 0) p.amounts.push_back(domain::ProgrammeAmount{amount_programmes[i], amount});
  }
  p.payer = row.or_default(c.payer, o.payer.empty() ? (o.sponsor.empty() ? "SELF" : o.sponsor) : o.payer);
  p.receipt_no = std::string(row.cell(c.receipt_no));
  return domain::Payload{std::move(p)};
}

class Rejects {
 public:
  Rejects(std::filesystem::path path, const std::vector<std::string>& header)
      : path_(std::move(path)), header_(header) {}
  Status add(const csv::Record& rec, const std::string& reason) {
    if (!writer_) {
      LONTAR_ASSIGN(auto w, csv::Writer::create(path_));
      writer_.emplace(std::move(w));
      auto h = header_;
      h.push_back("reason");
      LONTAR_TRY(writer_->write(h));
    }
    auto fields = rec.fields;
    fields.resize(std::max(fields.size(), header_.size()));
    fields.push_back(reason);
    return writer_->write(fields);
  }
  Status close() { return writer_ ? writer_->close() : Status{}; }
  bool used() const { return writer_.has_value(); }

 private:
  std::filesystem::path path_;
  std::vector<std::string> header_;
  std::optional<csv::Writer> writer_;
};

void show_progress(const csv::Reader& reader, const ImportSummary& s, bool done) {
  const double pct = reader.file_bytes()
                         ? 100.0 * static_cast<double>(reader.bytes_read()) / static_cast<double>(reader.file_bytes())
                         : 100.0;
  fmt::print(stderr, "\r  {} rows read ({:.0f}%): {} to record, {} already there, {} rejected{}", s.rows, pct,
             s.recorded, s.already, s.rejected, done ? "\n" : "");
  std::fflush(stderr);
}

bool is_duplicate(const domain::Verdict& v) {
  for (const auto& r : v.reasons) {
    if (r.code == rules::reason::duplicate_enrollment || r.code == rules::reason::duplicate_receipt) return true;
  }
  return false;
}

// When a duplicate was recorded by this very import (the file lists it twice),
// the seq of that earlier row's entry. Its statements are prepared once, at the
// first duplicate: re-importing a file makes every row one.
class EarlierRows {
 public:
  explicit EarlierRows(Office& office) : office_(office) {}

  Result<std::optional<std::uint64_t>> find(const domain::Payload& p, std::uint64_t first_seq) {
    if (first_seq == 0) return std::optional<std::uint64_t>{};
    const bool enroll = std::holds_alternative<domain::ParticipantEnroll>(p);
    auto& slot = enroll ? by_nik_ : by_receipt_;
    if (!slot) {
      LONTAR_ASSIGN(auto st, office_.store->db().prepare(
                                 enroll ? "SELECT max(seq) FROM entries WHERE nik = ?1 AND kind = ?2"
                                        : "SELECT max(seq) FROM entries WHERE nik = ?1 AND kind = ?2 AND ref = ?3"));
      slot.emplace(std::move(st));
    }
    store::Stmt& st = *slot;
    st.reset();
    if (enroll) {
      st.bind(1, std::get<domain::ParticipantEnroll>(p).nik)
          .bind(2, static_cast<int>(domain::EntryKind::participant_enroll));
    } else {
      const auto& c = std::get<domain::ContributionPaid>(p);
      st.bind(1, c.nik).bind(2, static_cast<int>(domain::EntryKind::contribution_paid)).bind(3, c.receipt_no);
    }
    LONTAR_ASSIGN(bool row, st.step());
    std::optional<std::uint64_t> seq;
    if (row && !st.is_null(0) && st.uint64(0) >= first_seq) seq = st.uint64(0);
    st.reset();
    return seq;
  }

 private:
  Office& office_;
  std::optional<store::Stmt> by_nik_, by_receipt_;
};

std::string verdict_text(const domain::Verdict& v) {
  std::string out;
  for (const auto& r : v.reasons) out += (out.empty() ? "" : "; ") + r.text + " [" + r.code + "]";
  return out.empty() ? "rejected by the rules" : out;
}
}  // namespace

Result<ImportSummary> import_csv(Office& office, const ImportOptions& o) {
  LONTAR_ASSIGN(auto reader, csv::Reader::open(o.file));
  csv::Record header;
  LONTAR_ASSIGN(bool any, reader.next(header));
  if (!any)
    return Error{Code::bad_input,
                 fmt::format("{}: the file is empty; it needs a header row and data rows", o.file.string())};
  if (!header.problem.empty()) {
    return Error{Code::bad_input, fmt::format("{}:{}: header, column {}: {}", o.file.string(), header.line,
                                              header.problem_column, header.problem)};
  }
  std::vector<std::string_view> defaults;
  if (!o.coverage_start.empty()) defaults.push_back("coverage_start");
  if (!o.occupation.empty()) defaults.push_back("occupation");
  if (!o.first_month.empty()) defaults.push_back("first_month");
  auto mapped = map_columns(o.kind, header.fields, defaults);
  if (!mapped.ok()) return std::move(mapped).error().prefix(fmt::format("{}:{}", o.file.string(), header.line));
  const ColumnMap map = std::move(mapped).value();
  const EnrollColumns enroll_columns(map);
  const ContributionColumns contribution_columns(map);
  DateMemo coverage_starts;

  ImportSummary s;
  s.ignored_columns = map.ignored;
  s.rejects_file = o.rejects.empty() ? std::filesystem::path(o.file.string() + ".rejects.csv") : o.rejects;
  Rejects rejects(s.rejects_file, header.fields);
  LONTAR_ASSIGN(auto rec, Recorder::begin(office, o.operator_id));
  EarlierRows earlier_rows(office);
  csv::Record r;
  for (;;) {
    LONTAR_ASSIGN(bool more, reader.next(r));
    if (!more) break;
    ++s.rows;
    if (o.progress && s.rows % progress_every_rows == 0) show_progress(reader, s, false);
    auto reject = [&](const std::string& reason) -> Status {
      ++s.rejected;
      return rejects.add(r, fmt::format("line {}: {}", r.line, reason));
    };
    if (!r.problem.empty()) {
      const std::size_t c = r.problem_column;
      LONTAR_TRY(
          reject(fmt::format("column {}{}: {}", c,
                             c >= 1 && c <= header.fields.size() ? " '" + header.fields[c - 1] + "'" : "", r.problem)));
      continue;
    }
    Row row(map, r);
    auto payload = o.kind == ImportKind::enroll ? enroll_row(row, enroll_columns, o, coverage_starts)
                                                : contribution_row(row, contribution_columns, o);
    auto appended = payload.ok() ? rec.append(*payload, o.confirm) : Result<Appended>(payload.error());
    if (!appended.ok() && appended.error().code != Code::bad_input) return std::move(appended).error();
    if (!appended.ok()) {
      const std::string& msg = appended.error().message;
      auto sep = msg.find(field_separator);
      LONTAR_TRY(reject(sep == std::string::npos ? msg
                                                 : fmt::format("{}: {}", row.where(msg.substr(0, sep), header.fields),
                                                               msg.substr(sep + 1))));
      continue;
    }
    const Appended& a = *appended;
    if (a.status == AppendStatus::recorded) {
      ++s.recorded;
      if (!s.first_seq) s.first_seq = a.seq;
      s.last_seq = a.seq;
    } else if (a.status == AppendStatus::rejected && is_duplicate(a.verdict)) {
      LONTAR_ASSIGN(auto earlier, earlier_rows.find(*payload, s.first_seq));
      if (earlier) {
        LONTAR_TRY(
            reject(fmt::format("the same {} is on an earlier row of this file (recorded as #{}); remove one "
                               "of the two rows",
                               o.kind == ImportKind::enroll ? "NIK" : "receipt number", *earlier)));
      } else {
        ++s.already;
      }
    } else if (a.status == AppendStatus::rejected) {
      LONTAR_TRY(reject(verdict_text(a.verdict)));
    } else {
      LONTAR_TRY(reject(verdict_text(a.verdict) + "; re-run with --confirm to record flagged rows"));
    }
  }
  LONTAR_TRY(rejects.close());
  if (!rejects.used()) s.rejects_file.clear();
  LONTAR_TRY(rec.commit());
  if (o.progress) show_progress(reader, s, true);
  return s;
}

}  // namespace lontar::agent
