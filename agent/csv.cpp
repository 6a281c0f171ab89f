#include "csv.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>

#include "base/private_file.hpp"
#include "domain/text.hpp"
#include "values.hpp"

namespace lontar::agent::csv {

namespace {
constexpr std::string_view save_as_csv =
    "simpan sebagai CSV UTF-8 di spreadsheet: File → Save As → CSV UTF-8 (Comma delimited), lalu impor file .csv "
    "itu / save it as CSV UTF-8 in the spreadsheet: File → Save As → CSV UTF-8, then import that .csv file";

// What the first bytes say the file is, when it is a spreadsheet rather than text.
const char* spreadsheet_kind(std::string_view head) {
  if (head.starts_with("PK\x03\x04")) return "a spreadsheet (.xlsx or .ods, a ZIP archive)";
  if (head.starts_with("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) return "an Excel 97-2003 spreadsheet (.xls)";
  return nullptr;
}

// Whether the whole file is valid UTF-8 and, if not, whether it is valid
// Windows-1252. One pass with a fixed buffer; a sequence may span two reads.
struct EncodingScan {
  bool utf8 = true;
  bool cp1252 = true;
  std::uint64_t first_bad = 0;  // offset of the first byte that is not UTF-8
  std::uint64_t bad_1252 = 0;   // offset of the first byte Windows-1252 leaves undefined
};
Result<EncodingScan> scan_encoding(std::FILE* f, const std::string& path) {
  EncodingScan scan;
  std::vector<char> buf(1 << 16);
  std::string carry;  // an incomplete UTF-8 sequence at the end of the previous read
  std::uint64_t offset = 0;
  for (;;) {
    const std::size_t n = std::fread(buf.data(), 1, buf.size(), f);
    if (n == 0) break;
    for (std::size_t i = 0; i < n; ++i) {
      const auto b = static_cast<unsigned char>(buf[i]);
      if (scan.cp1252 && (b == 0x81 || b == 0x8D || b == 0x8F || b == 0x90 || b == 0x9D)) {
        scan.cp1252 = false;
        scan.bad_1252 = offset + i;
      }
    }
    if (scan.utf8) {
      std::string chunk = carry + std::string(buf.data(), n);
      std::size_t end = chunk.size();  // keep back up to 3 bytes of a sequence cut by the read
      for (std::size_t back = 1; back <= 3 && back <= chunk.size(); ++back) {
        const auto b = static_cast<unsigned char>(chunk[chunk.size() - back]);
        if ((b & 0xC0) == 0x80) continue;
        const std::size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
        if (len > back) end = chunk.size() - back;
        break;
      }
      const std::size_t bad = domain::text::first_invalid_utf8(std::string_view(chunk).substr(0, end));
      if (bad != std::string_view::npos) {
        scan.utf8 = false;
        scan.first_bad = offset - carry.size() + bad;
      }
      carry = chunk.substr(end);
    }
    offset += n;
  }
  if (std::ferror(f)) return Error{Code::io, fmt::format("{}: read error; copy the file again", path)};
  if (scan.utf8 && !carry.empty()) {
    scan.utf8 = false;
    scan.first_bad = offset - carry.size();
  }
  std::rewind(f);
  return scan;
}
}  // namespace

Result<Reader> Reader::open(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    return Error{Code::io, fmt::format("{}: tidak bisa dibuka / cannot open: {}; periksa nama file / check the file "
                                       "name",
                                       path.string(), std::strerror(errno))};
  }
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  Reader r(f, path.string(), ec ? 0 : size);
  char head[8] = {};
  const std::size_t got = std::fread(head, 1, sizeof head, f);
  std::rewind(f);
  if (const char* kind = spreadsheet_kind(std::string_view(head, got))) {
    return Error{Code::bad_input, fmt::format("{}: ini file spreadsheet, bukan CSV / this is {}, not CSV; {}",
                                              path.string(), kind, save_as_csv)};
  }
  LONTAR_ASSIGN(auto scan, scan_encoding(f, r.path_));
  if (!scan.utf8 && !scan.cp1252) {
    return Error{Code::bad_input,
                 fmt::format("{}: byte {} bukan UTF-8 dan bukan Windows-1252 / byte {} is neither UTF-8 nor "
                             "Windows-1252, so the file cannot be converted; nothing was imported; {}",
                             path.string(), scan.first_bad, scan.first_bad, save_as_csv)};
  }
  if (!scan.utf8) r.encoding_ = Encoding::windows1252;
  r.sep_ = r.detect_separator();
  return r;
}

// The separator the header line uses most among ',', ';' and tab (',' on a tie):
// the header of a partner's list is one line of names, never quoted over lines.
char Reader::detect_separator() {
  if (!fill()) return ',';
  std::size_t commas = 0, semicolons = 0, tabs = 0;
  bool quoted = false;
  for (std::size_t i = pos_; i < end_; ++i) {
    const char c = buf_[i];
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n' || c == '\r') break;
    commas += c == ',';
    semicolons += c == ';';
    tabs += c == '\t';
  }
  if (semicolons > commas && semicolons >= tabs) return ';';
  if (tabs > commas && tabs > semicolons) return '\t';
  return ',';
}

bool Reader::fill() {
  if (pos_ < end_) return true;
  end_ = std::fread(buf_.data(), 1, buf_.size(), file_.get());
  pos_ = 0;
  if (end_ == 0 && std::ferror(file_.get())) read_error_ = true;
  return end_ > 0;
}

int Reader::peek() {
  if (!pending_.empty()) return static_cast<unsigned char>(pending_.front());
  if (!fill()) return EOF;
  return static_cast<unsigned char>(buf_[pos_]);
}

int Reader::get() {
  if (!pending_.empty()) {
    const int c = static_cast<unsigned char>(pending_.front());
    pending_.erase(0, 1);
    return c;
  }
  if (!fill()) return EOF;
  int c = static_cast<unsigned char>(buf_[pos_++]);
  ++consumed_;
  if (encoding_ == Encoding::windows1252 && c >= 0x80) {
    // open() checked that every byte is defined in Windows-1252.
    pending_ = windows1252_to_utf8(std::string(1, static_cast<char>(c))).value();
    c = static_cast<unsigned char>(pending_.front());
    pending_.erase(0, 1);
    return c;
  }
  if (c == '\n' || (c == '\r' && peek() != '\n')) ++line_;
  return c;
}

Result<bool> Reader::next(Record& out) {
  if (!started_) {
    started_ = true;
    if (peek() == 0xEF) {  // UTF-8 byte-order mark EF BB BF
      get();
      if (get() != 0xBB || get() != 0xBF) {
        return Error{Code::bad_input, fmt::format("{}:1: the file starts with a broken byte-order mark; save it as "
                                                  "UTF-8",
                                                  path_)};
      }
    }
  }
  for (;;) {
    out.fields.clear();
    out.problem.clear();
    out.problem_column = 0;
    out.line = line_;
    if (peek() == EOF) {
      if (read_error_) return Error{Code::io, fmt::format("{}: read error; copy the file again", path_)};
      return false;
    }
    auto problem = [&out](std::string what) {
      if (out.problem.empty()) {
        out.problem = std::move(what);
        out.problem_column = out.fields.size() + 1;
      }
    };
    bool record_done = false;
    while (!record_done) {
      std::string field;
      auto add = [&](char ch) {
        if (field.size() < field_bytes_max) {
          field.push_back(ch);
        } else {
          problem(fmt::format("field is longer than {} bytes", field_bytes_max));
        }
      };
      int c = get();
      if (c == '"') {
        const std::uint64_t quote_line = line_;
        for (;;) {
          c = get();
          if (c == EOF) {
            return Error{
                Code::bad_input,
                fmt::format("{}:{}: column {}: a quoted field opened on line {} is never closed; close it with "
                            "\" (and write a quote inside a field as \"\")",
                            path_, quote_line, out.fields.size() + 1, quote_line)};
          }
          if (c == '"') {
            if (peek() == '"') {
              get();
              add('"');
              continue;
            }
            break;
          }
          add(static_cast<char>(c));
        }
        c = get();
        if (c != sep_ && c != '\n' && c != '\r' && c != EOF) {
          problem(
              "teks setelah tanda kutip penutup / text after the closing quote; write a quote inside a quoted "
              "field as \"\"");
          while (c != sep_ && c != '\n' && c != '\r' && c != EOF) c = get();
        }
      } else {
        while (c != sep_ && c != '\n' && c != '\r' && c != EOF) {
          if (c == '"') {
            problem(
                "tanda kutip di tengah kolom / a quote inside an unquoted field; put the whole field in quotes and "
                "double the quote");
          }
          add(static_cast<char>(c));
          c = get();
        }
      }
      if (c == '\r' && peek() == '\n') get();
      if (out.fields.size() < fields_max) {
        out.fields.push_back(std::move(field));
      } else {
        problem(fmt::format("more than {} columns", fields_max));
      }
      record_done = c != sep_;
    }
    const bool blank = out.fields.size() == 1 && out.fields[0].empty() && out.problem.empty();
    if (!blank) return true;
  }
}

std::string quote_field(std::string_view field) {
  if (field.find_first_of(",;\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

Result<Writer> Writer::create(const std::filesystem::path& path) {
  LONTAR_ASSIGN(std::FILE * f, create_private_file(path));
  Writer w(f, path.string());
  constexpr std::string_view bom = "\xEF\xBB\xBF";
  if (std::fwrite(bom.data(), 1, bom.size(), f) != bom.size()) {
    return Error{Code::io, fmt::format("{}: write failed: {}; free disk space", path.string(), std::strerror(errno))};
  }
  return w;
}

Status Writer::write(const std::vector<std::string>& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) line.push_back(',');
    line += quote_field(fields[i]);
  }
  line += "\r\n";
  if (std::fwrite(line.data(), 1, line.size(), file_.get()) != line.size()) {
    return Error{Code::io, fmt::format("{}: write failed: {}; free disk space", path_, std::strerror(errno))};
  }
  return {};
}

Status Writer::close() {
  if (!file_) return {};
  bool ok = std::fflush(file_.get()) == 0 && ::fsync(fileno(file_.get())) == 0;
  ok = std::fclose(file_.release()) == 0 && ok;
  if (!ok) return Error{Code::io, fmt::format("{}: write failed: {}; free disk space", path_, std::strerror(errno))};
  return {};
}

}  // namespace lontar::agent::csv
