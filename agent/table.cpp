#include "table.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "csv.hpp"

namespace lontar::agent {

namespace {
constexpr std::size_t human_cell_chars_max = 40;

// `s` as a JSON string literal (nlohmann's escaping; invalid UTF-8 replaced).
std::string quoted(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Display width: count UTF-8 lead bytes only.
std::size_t width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string cut(const std::string& s) {
  if (width(s) <= human_cell_chars_max) return s;
  std::string out;
  std::size_t w = 0;
  for (char c : s) {
    if ((c & 0xC0) != 0x80 && ++w > human_cell_chars_max - 1) break;
    out.push_back(c);
  }
  return out + "…";
}
}  // namespace

std::string Table::json() const {
  std::string out = "[";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    out += r ? ",\n  {" : "\n  {";
    for (std::size_t c = 0; c < headers.size() && c < rows[r].size(); ++c) {
      out += fmt::format("{}{}: {}", c ? ", " : "", quoted(headers[c]), quoted(rows[r][c]));
    }
    out += "}";
  }
  return out + (rows.empty() ? "]" : "\n]");
}

void Table::print(Format f, std::FILE* out) const {
  if (f == Format::json) {
    fmt::print(out, "{}\n", json());
    return;
  }
  if (f == Format::csv) {
    auto line = [out](const std::vector<std::string>& cells) {
      std::string s;
      for (std::size_t i = 0; i < cells.size(); ++i) s += (i ? "," : "") + csv::quote_field(cells[i]);
      fmt::print(out, "{}\r\n", s);
    };
    line(headers);
    for (const auto& r : rows) line(r);
    return;
  }
  std::vector<std::size_t> w(headers.size());
  for (std::size_t c = 0; c < headers.size(); ++c) w[c] = width(headers[c]);
  for (const auto& r : rows) {
    for (std::size_t c = 0; c < w.size() && c < r.size(); ++c) w[c] = std::max(w[c], width(cut(r[c])));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (std::size_t c = 0; c < w.size(); ++c) {
      std::string cell = c < cells.size() ? cut(cells[c]) : "";
      s += cell;
      if (c + 1 < w.size()) s += std::string(w[c] - width(cell) + 2, ' ');
    }
    fmt::print(out, "{}\n", s);
  };
  line(headers);
  for (const auto& r : rows) line(r);
  if (rows.empty()) fmt::print(out, "(none)\n");
}

}  // namespace lontar::agent
