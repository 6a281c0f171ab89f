#include "import.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <functional>
#include <memory>
#include <variant>

#include "record.hpp"
#include "regency.hpp"
#include "values.hpp"

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
    if (c == '\r' || c == '\n' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// What is wrong with one row: the field it is about (a FieldSpec name; "" = the
// row as a whole) and the message. The report turns the field into the column
// the partner's file has for it.
struct FieldError {
  std::string field;
  std::string message;
};
template <class T>
using Checked = std::variant<T, FieldError>;

FieldError in_field(std::string_view field, const Error& e) { return FieldError{std::string(field), e.message}; }

// Declares `decl` from a Result, or returns a FieldError for `field`.
#define IMPORT_FIELD(field, decl, expr) IMPORT_FIELD_IMPL_(LONTAR_CONCAT_(import_r_, __LINE__), field, decl, expr)
#define IMPORT_FIELD_IMPL_(tmp, field, decl, expr)    \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return in_field(field, tmp.error()); \
  decl = std::move(tmp).value()

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
        rt_rw(col(m, "rt_rw")),
        village(col(m, "village")),
        district(col(m, "district")),
        heir_name(col(m, "heir_name")),
        heir_relation(col(m, "heir_relation")),
        heir_nik(col(m, "heir_nik")) {}
  Col nik, name, birth_date, sex, regency, occupation, sponsor, income, programmes, coverage_start, phone, address,
      rt_rw, village, district, heir_name, heir_relation, heir_nik;
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
  explicit Row(const csv::Record& rec) : rec_(rec) {}
  std::string_view cell(const Col& c) const {
    if (!c.index || *c.index >= rec_.fields.size()) return {};
    return trim(rec_.fields[*c.index]);
  }
  std::string or_default(const Col& c, const std::string& fallback) const {
    auto v = cell(c);
    return v.empty() ? fallback : std::string(v);
  }

 private:
  const csv::Record& rec_;
};

// The last date text parsed and its result: a partner's list usually gives every
// row the same coverage start, so it is parsed once.
class DateMemo {
 public:
  Result<domain::Date> parse(std::string_view text) {
    if (!last_ || text != text_) {
      text_.assign(text);
      last_.emplace(parse_partner_date(text, current_year()));
    }
    return *last_;
  }

 private:
  std::string text_;
  std::optional<Result<domain::Date>> last_;
};

// ---- step 1: the record's shape ----

std::optional<FieldError> check_shape(const csv::Record& r, const ColumnMap& map) {
  if (!r.problem.empty()) return FieldError{fmt::format("#{}", r.problem_column), r.problem};
  for (std::size_t c = map.width; c < r.fields.size(); ++c) {
    if (!trim(r.fields[c]).empty()) {
      return FieldError{"", fmt::format("baris ini punya isi di kolom {} yang tidak ada di header / this row has a "
                                        "value in column {}, beyond the header's {} columns; hapus atau beri judul "
                                        "kolom / remove it or give the column a header",
                                        c + 1, c + 1, map.width)};
    }
  }
  return std::nullopt;
}

// ---- step 2: the row's values, as a payload ----

Checked<std::string> read_nik(std::string_view cell, std::string_view field) {
  if (cell.empty()) {
    return FieldError{std::string(field),
                      "kosong / is empty; setiap baris perlu NIK 16 digit / every row needs the "
                      "participant's 16-digit NIK"};
  }
  IMPORT_FIELD(field, std::string nik, clean_nik(cell));
  IMPORT_FIELD(field, domain::Nik parsed, domain::parse_nik(nik));
  return parsed.str();
}

Checked<std::string> read_text(std::string_view field, std::string text, std::size_t chars_max, bool required) {
  if (text.empty() && required) return FieldError{std::string(field), "kosong / is empty; isi / fill it in"};
  if (const std::size_t chars = utf8_chars(text); chars > chars_max) {
    return FieldError{std::string(field), fmt::format("{} karakter, lebih dari batas {} / has {} characters, more "
                                                      "than the limit of {}; persingkat / shorten it",
                                                      chars, chars_max, chars, chars_max)};
  }
  return text;
}

std::string sponsor_code(std::string_view text) {
  std::string out;
  for (char c : trim(text)) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == ' ') c = '-';
    if (c == '-' && !out.empty() && out.back() == '-') continue;
    out.push_back(c);
  }
  return out;
}

// The address with the RT/RW, village and district columns a partner may keep apart.
std::string full_address(const Row& row, const EnrollColumns& c) {
  std::string out = one_line(row.cell(c.address));
  auto add = [&](std::string_view label, std::string_view value) {
    if (value.empty()) return;
    out += fmt::format("{}{}{}", out.empty() ? "" : ", ", label, one_line(value));
  };
  add("RT/RW ", row.cell(c.rt_rw));
  add("Kel. ", row.cell(c.village));
  add("Kec. ", row.cell(c.district));
  return out;
}

Checked<domain::Payload> read_enroll(const Row& row, const EnrollColumns& c, const ImportOptions& o, DateMemo& starts) {
  domain::ParticipantEnroll p;
  auto nik = read_nik(row.cell(c.nik), "nik");
  if (auto* e = std::get_if<FieldError>(&nik)) return *e;
  p.nik = std::get<std::string>(std::move(nik));
  auto name = read_text("name", one_line(row.cell(c.name)), domain::name_chars_max, true);
  if (auto* e = std::get_if<FieldError>(&name)) return *e;
  p.name = std::get<std::string>(std::move(name));

  const domain::Date now = today();
  IMPORT_FIELD("birth_date", p.birth_date, parse_partner_date(row.cell(c.birth_date), now.year));
  if (p.birth_date > now) {
    return FieldError{"birth_date", fmt::format("{} ada di masa depan / is in the future (hari ini / today is {}); "
                                                "periksa / check it",
                                                domain::to_string(p.birth_date), domain::to_string(now))};
  }
  IMPORT_FIELD("nik", const domain::Nik nik_parsed, domain::parse_nik(p.nik));
  const domain::Sex nik_sex = sex_from_nik(p.nik);
  if (auto s = domain::check_nik_matches(nik_parsed, p.birth_date, nik_sex); !s.ok()) {
    return in_field("birth_date", s.error());
  }
  p.sex = nik_sex;
  if (auto sex = row.cell(c.sex); !sex.empty()) {
    IMPORT_FIELD("sex", p.sex, parse_partner_sex(sex));
    if (p.sex != nik_sex) {
      return FieldError{"sex", fmt::format("'{}' tidak cocok dengan NIK / disagrees with the NIK: digit 7-8 of {} say "
                                           "{} (women have day + 40); periksa NIK atau jenis kelamin / check the NIK "
                                           "or the sex",
                                           sex, p.nik, domain::sex_name(nik_sex))};
    }
  }
  const std::string nik_regency = p.nik.substr(0, 4);
  if (auto regency = row.cell(c.regency); regency.empty()) {
    p.regency_code = nik_regency;
  } else {
    IMPORT_FIELD("regency", p.regency_code, parse_regency(regency, nik_regency));
  }
  p.occupation = normalize_code(row.or_default(c.occupation, o.occupation));
  p.sponsor = sponsor_code(row.or_default(c.sponsor, o.sponsor));
  if (auto income = row.cell(c.income); !income.empty()) {
    IMPORT_FIELD("income", p.declared_income, parse_rupiah(income));
  }
  IMPORT_FIELD("programmes", p.programmes, domain::parse_programmes(row.or_default(c.programmes, o.programmes)));
  std::string_view start = row.cell(c.coverage_start);
  if (start.empty()) start = o.coverage_start;
  if (start.empty()) {
    return FieldError{"coverage_start", "kosong / is empty; isi atau pakai / fill it or pass --coverage-start"};
  }
  IMPORT_FIELD("coverage_start", p.coverage_start, starts.parse(start));
  if (domain::days_since_epoch(p.coverage_start) > domain::days_since_epoch(now) + coverage_start_days_ahead_max) {
    return FieldError{"coverage_start",
                      fmt::format("{} lebih dari {} hari setelah hari ini / is more than {} days after today ({}); "
                                  "periksa tahunnya / check the year",
                                  domain::to_string(p.coverage_start), coverage_start_days_ahead_max,
                                  coverage_start_days_ahead_max, domain::to_string(now))};
  }
  IMPORT_FIELD("phone", p.phone, normalize_phone(row.cell(c.phone)));
  auto address = read_text("address", full_address(row, c), domain::text_chars_max, false);
  if (auto* e = std::get_if<FieldError>(&address)) return *e;
  p.address = std::get<std::string>(std::move(address));
  if (auto heir = row.cell(c.heir_name); !heir.empty()) {
    domain::Heir h;
    auto heir_name = read_text("heir_name", one_line(heir), domain::name_chars_max, true);
    if (auto* e = std::get_if<FieldError>(&heir_name)) return *e;
    h.name = std::get<std::string>(std::move(heir_name));
    h.relation = "other";
    if (auto rel = row.cell(c.heir_relation); !rel.empty()) {
      IMPORT_FIELD("heir_relation", h.relation, parse_relation(rel));
    }
    if (auto heir_nik = row.cell(c.heir_nik); !heir_nik.empty()) {
      auto n = read_nik(heir_nik, "heir_nik");
      if (auto* e = std::get_if<FieldError>(&n)) return *e;
      h.nik = std::get<std::string>(std::move(n));
    }
    p.heirs.push_back(std::move(h));
  }
  return domain::Payload{std::move(p)};
}

Checked<domain::Payload> read_contribution(const Row& row, const ContributionColumns& c, const ImportOptions& o) {
  domain::ContributionPaid p;
  auto nik = read_nik(row.cell(c.nik), "nik");
  if (auto* e = std::get_if<FieldError>(&nik)) return *e;
  p.nik = std::get<std::string>(std::move(nik));
  IMPORT_FIELD("first_month", p.first_month, parse_partner_month(row.or_default(c.first_month, o.first_month)));
  if (auto m = row.cell(c.months); !m.empty()) {
    auto n = parse_rupiah(m);
    if (!n.ok() || *n < 1 || *n > domain::contribution_months_max) {
      return FieldError{"months", fmt::format("'{}' bukan jumlah bulan / is not a number of months 1..{}", m,
                                              domain::contribution_months_max)};
    }
    p.months = static_cast<std::uint16_t>(*n);
  }
  for (std::size_t i = 0; i < std::size(amount_programmes); ++i) {
    auto cell = row.cell(c.amounts[i]);
    if (cell.empty()) continue;
    IMPORT_FIELD(c.amounts[i].field, const domain::Rupiah amount, parse_rupiah(cell));
    if (amount > 0) p.amounts.push_back(domain::ProgrammeAmount{amount_programmes[i], amount});
  }
  p.payer = sponsor_code(row.or_default(c.payer, o.payer.empty() ? (o.sponsor.empty() ? "SELF" : o.sponsor) : o.payer));
  p.receipt_no = std::string(row.cell(c.receipt_no));
  return domain::Payload{std::move(p)};
}

// The import's column name for an entry field that domain::validate names in
// Error::field ("regency_code" is the regency column, "heirs[0].name" heir_name).
std::string column_field(const std::string& field) {
  if (field == "regency_code") return "regency";
  if (field == "declared_income") return "income";
  if (field.starts_with("heirs[")) {
    if (field.ends_with(".name")) return "heir_name";
    if (field.ends_with(".relation")) return "heir_relation";
    if (field.ends_with(".nik")) return "heir_nik";
  }
  return field;
}

// ---- step 3: this office's own earlier entries ----

// Where a row stands against what this office already recorded.
struct Earlier {
  enum class Kind { none, this_file, already, conflict } kind = Kind::none;
  std::uint64_t line = 0;  // this_file: the line of the first occurrence
  std::string what;        // conflict: what differs
};

std::string differences(const domain::ParticipantEnroll& had, const domain::ParticipantEnroll& now) {
  std::string out;
  auto add = [&](std::string_view what, const std::string& a, const std::string& b) {
    out += fmt::format("{}{} '{}' (file: '{}')", out.empty() ? "" : ", ", what, a, b);
  };
  if (fold(had.name) != fold(now.name)) add("nama/name", had.name, now.name);
  if (had.birth_date != now.birth_date) {
    add("tgl lahir/birth date", domain::to_string(had.birth_date), domain::to_string(now.birth_date));
  }
  if (had.occupation != now.occupation) add("pekerjaan/occupation", had.occupation, now.occupation);
  return out;
}

// Which NIKs may already be in the store: a Bloom filter of a fixed size (so an
// import's memory stays flat), filled with the store's NIKs when the import begins
// and with each row the import records. "No" is exact, so a new person costs no
// lookup in entries_nik (a miss was 6.6 % of an import's CPU; docs/PERFORMANCE.md);
// "maybe" falls back to the lookup.
class NikFilter {
 public:
  void add(std::string_view nik) {
    const auto [word, mask] = probe(nik);
    words_[word] |= mask;
  }
  bool may_contain(std::string_view nik) const {
    const auto [word, mask] = probe(nik);
    return (words_[word] & mask) == mask;
  }

 private:
  // 1 MiB; four bits of one 64-bit word per NIK (one cache line touched): at 450,000
  // NIKs about 1 lookup in 500 is made for nothing.
  static constexpr std::size_t words = std::size_t{1} << 17;
  static std::pair<std::size_t, std::uint64_t> probe(std::string_view nik) {
    const std::uint64_t h = std::hash<std::string_view>{}(nik);
    std::uint64_t mask = 0;
    for (int i = 0; i < 4; ++i) mask |= std::uint64_t{1} << ((h >> (40 + 6 * i)) & 63);
    return {static_cast<std::size_t>(h % words), mask};
  }
  std::vector<std::uint64_t> words_ = std::vector<std::uint64_t>(words);
};

class EarlierEntries {
 public:
  explicit EarlierEntries(Store& store) : store_(store) {}

  // Called in the import's transaction, before its first row: fills the NIK filter
  // from the store when that costs less than the lookups it saves (the store holds
  // at most a few times the rows the file can have; a file of `file_bytes` has at
  // most file_bytes / 32 rows: a row is far longer than a NIK and a name).
  Status begin(std::uint64_t file_bytes) {
    LONTAR_ASSIGN(const Head head, store_.head());
    if (head.seq > 4 * (file_bytes / 32)) return {};
    filter_ = std::make_unique<NikFilter>();
    return store_.each_nik([this](std::string_view nik) { filter_->add(nik); });
  }

  // The line of the row that an entry recorded by this import came from.
  void recorded(std::uint64_t seq, std::uint64_t line, const domain::Payload& p) {
    if (first_seq_ == 0) first_seq_ = seq;
    lines_.push_back(line);
    if (filter_) filter_->add(nik_of(p));
  }

  Result<Earlier> find(const domain::Payload& p) {
    const bool enroll = std::holds_alternative<domain::ParticipantEnroll>(p);
    const auto kind = enroll ? domain::EntryKind::participant_enroll : domain::EntryKind::contribution_paid;
    const std::string& nik = nik_of(p);
    Earlier out;
    // No entry of any kind carries this NIK: last_seq_of would find nothing.
    if (filter_ && !filter_->may_contain(nik)) return out;
    const std::string ref = enroll ? std::string() : std::get<domain::ContributionPaid>(p).receipt_no;
    LONTAR_ASSIGN(auto seq, store_.last_seq_of(kind, nik, ref));
    if (!seq) return out;
    if (first_seq_ != 0 && *seq >= first_seq_ && *seq - first_seq_ < lines_.size()) {
      out.kind = Earlier::Kind::this_file;
      out.line = lines_[*seq - first_seq_];
      return out;
    }
    out.kind = Earlier::Kind::already;
    if (enroll) {
      LONTAR_ASSIGN(auto had, store_.own_enrollment(nik));
      if (had) {
        out.what = differences(*had, std::get<domain::ParticipantEnroll>(p));
        if (!out.what.empty()) out.kind = Earlier::Kind::conflict;
      }
    }
    return out;
  }

 private:
  static const std::string& nik_of(const domain::Payload& p) {
    if (const auto* e = std::get_if<domain::ParticipantEnroll>(&p)) return e->nik;
    return std::get<domain::ContributionPaid>(p).nik;
  }

  Store& store_;
  std::unique_ptr<NikFilter> filter_;  // null: every row is looked up
  std::uint64_t first_seq_ = 0;
  std::vector<std::uint64_t> lines_;  // by seq - first_seq_
};

std::string verdict_text(const domain::Verdict& v) {
  std::string out;
  for (const auto& r : v.reasons) out += (out.empty() ? "" : "; ") + r.text + " [" + r.code + "]";
  return out.empty() ? "ditolak aturan / rejected by the rules" : out;
}

// ---- the rejects file ----

class Rejects {
 public:
  Rejects(std::filesystem::path path, const std::vector<std::string>& header, const ColumnMap& map)
      : path_(std::move(path)), header_(header), map_(map) {}

  // "column 3 'Tgl Lahir' (birth_date)", "column 2 'Nama'" (for "#2"), or the
  // field with "(no column; default)".
  std::string where(std::string_view field) const {
    if (field.starts_with('#')) {
      const std::size_t c = std::stoul(std::string(field.substr(1)));
      return c >= 1 && c <= header_.size() ? fmt::format("column {} '{}'", c, header_[c - 1])
                                           : fmt::format("column {}", c);
    }
    auto c = map_.find(field);
    if (!c) return fmt::format("{} (no column; default)", field);
    return fmt::format("column {} '{}' ({})", *c + 1, header_[*c], field);
  }

  Status add(const csv::Record& rec, const FieldError& e) {
    if (e.field.empty()) return add(rec, e.message);
    return add(rec, fmt::format("{}: {}", where(e.field), e.message));
  }

  Status add(const csv::Record& rec, const std::string& reason) {
    if (!writer_) {
      LONTAR_ASSIGN(auto w, csv::Writer::create(path_));
      writer_.emplace(std::move(w));
      LONTAR_TRY(writer_->write(row_of(header_, "reason")));
    }
    return writer_->write(row_of(rec.fields, fmt::format("line {}: {}", rec.line, reason)));
  }
  Status close() { return writer_ ? writer_->close() : Status{}; }
  bool used() const { return writer_.has_value(); }

 private:
  // The header's columns (without a `reason` column the input had) plus the reason.
  std::vector<std::string> row_of(const std::vector<std::string>& cells, std::string reason) const {
    std::vector<std::string> out;
    out.reserve(map_.width + 1);
    for (std::size_t c = 0; c < map_.width; ++c) {
      if (map_.reason && *map_.reason == c) continue;
      out.push_back(c < cells.size() ? cells[c] : std::string());
    }
    out.push_back(std::move(reason));
    return out;
  }

  std::filesystem::path path_;
  std::vector<std::string> header_;
  const ColumnMap& map_;
  std::optional<csv::Writer> writer_;
};

void show_progress(const csv::Reader& reader, const ImportSummary& s, bool done) {
  const double pct = reader.file_bytes()
                         ? 100.0 * static_cast<double>(reader.bytes_read()) / static_cast<double>(reader.file_bytes())
                         : 100.0;
  fmt::print(stderr,
             "\r  {} baris/rows ({:.0f}%): {} dicatat/to record, {} sudah ada/already there, {} ditolak/rejected{}",
             s.rows, pct, s.recorded, s.already, s.rejected, done ? "\n" : "");
  std::fflush(stderr);
}

// The header row and its column map, or the error that stops the import.
struct Header {
  csv::Record record;
  ColumnMap map;
};
Result<Header> read_header(csv::Reader& reader, const ImportOptions& o) {
  Header h;
  LONTAR_ASSIGN(bool any, reader.next(h.record));
  if (!any) {
    return Error{Code::bad_input, fmt::format("{}: file kosong / the file is empty; perlu baris judul dan baris data / "
                                              "it needs a header row and data rows",
                                              o.file.string())};
  }
  if (!h.record.problem.empty()) {
    return Error{Code::bad_input, fmt::format("{}:{}: header, column {}: {}", o.file.string(), h.record.line,
                                              h.record.problem_column, h.record.problem)};
  }
  std::vector<std::string_view> defaults;
  if (!o.coverage_start.empty()) defaults.push_back("coverage_start");
  if (!o.occupation.empty()) defaults.push_back("occupation");
  if (!o.first_month.empty()) defaults.push_back("first_month");
  auto mapped = map_columns(o.kind, h.record.fields, defaults);
  if (!mapped.ok()) return std::move(mapped).error().prefix(fmt::format("{}:{}", o.file.string(), h.record.line));
  h.map = std::move(mapped).value();
  return h;
}

// One import: the steps every row goes through, and the tally.
class ImportRun {
 public:
  ImportRun(Office& office, const ImportOptions& o, const Header& header, Recorder& rec, Rejects& rejects,
            ImportSummary& s)
      : office_(office),
        o_(o),
        map_(header.map),
        enroll_columns_(header.map),
        contribution_columns_(header.map),
        rec_(rec),
        rejects_(rejects),
        earlier_(*office.store),
        s_(s) {}

  Status begin(std::uint64_t file_bytes) { return earlier_.begin(file_bytes); }

  Status row(const csv::Record& r) {
    ++s_.rows;
    if (auto bad = check_shape(r, map_)) return reject(r, *bad);
    Row row(r);
    auto payload = o_.kind == ImportKind::enroll ? read_enroll(row, enroll_columns_, o_, coverage_starts_)
                                                 : read_contribution(row, contribution_columns_, o_);
    if (auto* bad = std::get_if<FieldError>(&payload)) return reject(r, *bad);
    const domain::Payload& p = std::get<domain::Payload>(payload);
    LONTAR_ASSIGN(const Earlier earlier, earlier_.find(p));
    switch (earlier.kind) {
      case Earlier::Kind::this_file:
        return reject(r, fmt::format("{} sama dengan baris {} file ini / the same {} is on line {} of this file; hapus "
                                     "salah satu / remove one of the two rows",
                                     o_.kind == ImportKind::enroll ? "NIK" : "kuitansi", earlier.line,
                                     o_.kind == ImportKind::enroll ? "NIK" : "receipt number", earlier.line));
      case Earlier::Kind::conflict:
        ++s_.conflicts;
        return reject(r,
                      fmt::format("konflik / conflict: NIK ini sudah terdaftar di kantor ini dengan data lain / this "
                                  "NIK is already enrolled here with other details: {}; periksa mana yang benar / "
                                  "check which is right, then fix this row or correct the enrollment",
                                  earlier.what));
      case Earlier::Kind::already:
        ++s_.already;
        return {};
      case Earlier::Kind::none:
        break;
    }
    return judge(r, p);
  }

 private:
  // ---- step 4: the rules, and the chain ----
  Status judge(const csv::Record& r, const domain::Payload& p) {
    auto appended = rec_.append(p, o_.confirm);
    if (!appended.ok()) {
      if (appended.error().code != Code::bad_input) return std::move(appended).error();
      const Error& e = appended.error();
      const std::string field = column_field(e.field);
      return reject(r, FieldError{map_.find(field) ? field : std::string(), e.message});
    }
    const Appended& a = *appended;
    switch (a.status) {
      case AppendStatus::recorded:
        ++s_.recorded;
        if (!s_.first_seq) s_.first_seq = a.seq;
        s_.last_seq = a.seq;
        earlier_.recorded(a.seq, r.line, p);
        return {};
      case AppendStatus::rejected:
        return reject(r, verdict_text(a.verdict) + enrolled_elsewhere(p, a.verdict));
      case AppendStatus::needs_confirmation:
        return reject(r, verdict_text(a.verdict) +
                             "; ulangi dengan --confirm untuk mencatat baris bertanda / re-run "
                             "with --confirm to record flagged rows");
    }
    return {};
  }

  // For a duplicate enrollment: which office enrolled the person, and when, from the
  // replica's redacted view (at this office `show --nik` finds nothing). "" when this
  // office enrolled them or the view does not say.
  std::string enrolled_elsewhere(const domain::Payload& p, const domain::Verdict& v) {
    const auto* enroll = std::get_if<domain::ParticipantEnroll>(&p);
    const bool duplicate = std::any_of(v.reasons.begin(), v.reasons.end(), [](const domain::Reason& r) {
      return r.code == rules::reason::duplicate_enrollment;
    });
    if (!enroll || !duplicate) return "";
    auto state = office_.store->rules_state();
    if (!state.ok()) return "";
    auto who = (*state)->participant(rules::person_key((*state)->nik_key(), enroll->nik));
    if (!who.ok() || !*who || (*who)->principal == office_.id) return "";
    const std::string start = domain::to_string((*who)->coverage_start);
    return fmt::format(
        "; sudah didaftarkan oleh kantor {} (catatan #{}, kepesertaan mulai {}): jangan daftarkan lagi, catat iuran "
        "dan klaim dengan NIK ini / already enrolled by office {} (entry #{}, coverage from {}): do not enroll again, "
        "record contributions and claims under this NIK",
        (*who)->principal, (*who)->seq, start, (*who)->principal, (*who)->seq, start);
  }

  template <class Why>
  Status reject(const csv::Record& r, const Why& why) {
    ++s_.rejected;
    return rejects_.add(r, why);
  }

  Office& office_;
  const ImportOptions& o_;
  const ColumnMap& map_;
  const EnrollColumns enroll_columns_;
  const ContributionColumns contribution_columns_;
  DateMemo coverage_starts_;
  Recorder& rec_;
  Rejects& rejects_;
  EarlierEntries earlier_;
  ImportSummary& s_;
};
}  // namespace

Result<ImportSummary> import_csv(Office& office, const ImportOptions& o) {
  LONTAR_ASSIGN(auto reader, csv::Reader::open(o.file));
  LONTAR_ASSIGN(const Header header, read_header(reader, o));
  ImportSummary s;
  s.encoding = reader.encoding();
  s.separator = reader.separator();
  s.unused_columns = header.map.unused;
  s.rejects_file = o.rejects.empty() ? std::filesystem::path(o.file.string() + ".rejects.csv") : o.rejects;
  Rejects rejects(s.rejects_file, header.record.fields, header.map);
  LONTAR_ASSIGN(auto rec, Recorder::begin(office, o.operator_id));
  ImportRun run(office, o, header, rec, rejects, s);
  LONTAR_TRY(run.begin(reader.file_bytes()));
  csv::Record r;
  for (;;) {
    LONTAR_ASSIGN(bool more, reader.next(r));
    if (!more) break;
    LONTAR_TRY(run.row(r));
    if (s.rows % progress_every_rows == 0) {
      if (o.progress) show_progress(reader, s, false);
      if (o.on_progress && !o.on_progress(ImportProgress{s.rows, reader.bytes_read(), reader.file_bytes()})) {
        return Error{Code::bad_input,
                     fmt::format("{}: import stopped before its end; nothing was recorded", o.file.string())};
      }
    }
  }
  if (s.rows == 0) {
    return Error{Code::bad_input,
                 fmt::format("{}: hanya ada baris judul, tidak ada data / the file has a header but no "
                             "data rows; nothing was imported",
                             o.file.string())};
  }
  LONTAR_TRY(rejects.close());
  if (!rejects.used()) s.rejects_file.clear();
  if (o.dry_run) {
    // The Recorder's transaction ends unsealed and uncommitted: SQLite rolls it back.
    s.first_seq = s.last_seq = 0;
  } else {
    LONTAR_TRY(rec.commit());
    s.seals = rec.seals();
  }
  if (o.progress) show_progress(reader, s, true);
  if (o.on_progress) (void)o.on_progress(ImportProgress{s.rows, reader.bytes_read(), reader.file_bytes()});
  return s;
}

}  // namespace lontar::agent
