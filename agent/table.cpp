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
// Plain ASCII without quotes, backslashes or control characters (nearly every
// cell) is only wrapped in quotes: a full export stays fast.
std::string quoted(const std::string& s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b >= 0x20 && b < 0x7f && c != '"' && c != '\\';
  });
  if (plain) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    out += s;
    out += '"';
    return out;
  }
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

// One JSON object keyed by `headers`.
void append_object(std::string& out, const std::vector<std::string>& headers, const std::vector<std::string>& cells) {
  out += "{";
  for (std::size_t c = 0; c < headers.size() && c < cells.size(); ++c) {
    if (c) out += ", ";
    out += quoted(headers[c]);
    out += ": ";
    out += quoted(cells[c]);
  }
  out += "}";
}

void append_csv(std::string& out, const std::vector<std::string>& cells) {
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i) out += ',';
    out += csv::quote_field(cells[i]);
  }
  out += "\r\n";
}

}  // namespace

std::string Table::json() const {
  std::string out = "[";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    out += r ? ",\n  " : "\n  ";
    append_object(out, headers, rows[r]);
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
      append_csv(s, cells);
      std::fputs(s.c_str(), out);
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

RowWriter::RowWriter(Format f, std::vector<std::string> headers, std::FILE* out) : format_(f), out_(out) {
  table_.headers = std::move(headers);
  if (format_ == Format::csv) {
    append_csv(line_, table_.headers);
  } else if (format_ == Format::json) {
    line_ = "[";
  }
}

void RowWriter::row(std::vector<std::string> cells) {
  if (format_ == Format::human) {
    table_.rows.push_back(std::move(cells));
  } else if (format_ == Format::csv) {
    append_csv(line_, cells);
  } else {
    line_ += count_ ? ",\n  " : "\n  ";
    append_object(line_, table_.headers, cells);
  }
  ++count_;
  // Written in blocks of about 64 KiB: one write per block, memory flat.
  if (line_.size() >= 64 * 1024) {
    std::fwrite(line_.data(), 1, line_.size(), out_);
    line_.clear();
  }
}

void RowWriter::finish() {
  if (format_ == Format::human) {
    table_.print(format_, out_);
    return;
  }
  if (format_ == Format::json) line_ += count_ ? "\n]\n" : "]\n";
  std::fwrite(line_.data(), 1, line_.size(), out_);
  line_.clear();
  std::fflush(out_);
}

}  // namespace lontar::agent
