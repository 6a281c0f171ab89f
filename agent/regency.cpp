#include "regency.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <vector>

#include "values.hpp"

namespace lontar::agent {

extern const std::string_view regencies_csv;  // regency_data.cpp, generated from data/regencies.csv

namespace {
struct Entry {
  Regency regency;
  std::string base;  // folded name without "Kabupaten"/"Kota": "surabaya"
  bool city = false;
};

std::vector<Entry> load() {
  std::vector<Entry> out;
  std::string_view rest = regencies_csv;
  while (!rest.empty()) {
    const auto eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    if (line.empty() || line.starts_with('#') || line.starts_with("code,")) continue;
    const auto comma = line.find(',');
    Entry e;
    e.regency.code = std::string(line.substr(0, comma));
    e.regency.name = std::string(line.substr(comma + 1));
    std::string_view n = e.regency.name;
    for (std::string_view p : {"Kabupaten ", "Kota ", "Provinsi "}) {
      if (n.starts_with(p)) {
        e.city = p == "Kota ";
        n.remove_prefix(p.size());
        break;
      }
    }
    e.base = fold(n);
    out.push_back(std::move(e));
  }
  return out;
}

const std::vector<Entry>& entries() {
  static const std::vector<Entry> table = load();
  return table;
}

// Folded prefixes that say "regency" (false) or "city" (true), longest first.
constexpr std::pair<std::string_view, bool> kind_prefixes[] = {
    {"kabupatenadministrasi", false}, {"kabadministrasi", false}, {"kabupaten", false}, {"kab", false},
    {"kotaadministrasi", true},       {"kotamadya", true},        {"kodya", true},      {"kota", true},
};
}  // namespace

std::span<const Regency> regency_table() {
  static const std::vector<Regency> table = [] {
    std::vector<Regency> out;
    for (const auto& e : entries()) out.push_back(e.regency);
    return out;
  }();
  return table;
}

std::optional<std::string_view> region_name(std::string_view code) {
  // By code, sorted once: an import asks once per row (a linear walk of the ~550
  // regions was 3 % of an import's CPU; docs/PERFORMANCE.md).
  static const std::vector<const Regency*> by_code = [] {
    std::vector<const Regency*> out;
    for (const auto& e : entries()) out.push_back(&e.regency);
    std::stable_sort(out.begin(), out.end(), [](const Regency* a, const Regency* b) { return a->code < b->code; });
    return out;
  }();
  auto it = std::lower_bound(by_code.begin(), by_code.end(), code,
                             [](const Regency* r, std::string_view c) { return r->code < c; });
  if (it == by_code.end() || (*it)->code != code) return std::nullopt;
  return std::string_view((*it)->name);
}

Result<std::string> parse_regency(std::string_view text, std::string_view nik_regency) {
  std::string digits;
  bool only_digits = true;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != '.' && c != ' ' && c != '\t') {
      only_digits = false;
    }
  }
  if (only_digits && !digits.empty()) {
    if (digits.size() == 4 && region_name(digits)) return digits;
    return Error{Code::bad_input,
                 fmt::format("'{}' bukan kode kabupaten/kota / is not a regency or city code (Permendagri 72/2019); "
                             "tulis 4 digit atau nama / write its 4 digits or its name, e.g. 3578 or Kota Surabaya",
                             text)};
  }
  const std::string f = fold(text);
  std::vector<const Entry*> found;
  for (const auto& e : entries()) {
    if (e.regency.code.size() != 4) continue;
    bool match = e.base == f;
    for (const auto& [prefix, city] : kind_prefixes) {
      if (f.size() > prefix.size() && f.starts_with(prefix) && e.city == city && e.base == f.substr(prefix.size())) {
        match = true;
      }
    }
    if (match) found.push_back(&e);
  }
  if (found.size() == 1) return found[0]->regency.code;
  for (const auto* e : found) {
    if (e->regency.code == nik_regency) return e->regency.code;
  }
  if (found.empty()) {
    return Error{Code::bad_input,
                 fmt::format("'{}' bukan nama kabupaten/kota yang dikenal / is not a known regency or city; tulis "
                             "namanya seperti di KTP atau kodenya / write its name as on the KTP or its code, e.g. "
                             "Kota Surabaya, Kab. Sidoarjo or 3515",
                             text)};
  }
  std::string names;
  for (const auto* e : found)
    names += fmt::format("{}{} ({})", names.empty() ? "" : ", ", e->regency.name, e->regency.code);
  return Error{Code::bad_input, fmt::format("'{}' bisa berarti / could mean {}; tulis Kab. atau Kota / write Kab. or "
                                            "Kota before the name, or the code",
                                            text, names)};
}

}  // namespace lontar::agent
