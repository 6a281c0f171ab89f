#include "csv.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>

namespace lontar::agent::csv {

Result<Reader> Reader::open(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    return Error{Code::io,
                 fmt::format("{}: cannot open: {}; check the file name", path.string(), std::strerror(errno))};
  }
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return Reader(f, path.string(), ec ? 0 : size);
}

bool Reader::fill() {
  if (pos_ < end_) return true;
  end_ = std::fread(buf_.data(), 1, buf_.size(), file_.get());
  pos_ = 0;
  if (end_ == 0 && std::ferror(file_.get())) read_error_ = true;
  return end_ > 0;
}

int Reader::peek() {
  if (!fill()) return EOF;
  return static_cast<unsigned char>(buf_[pos_]);
}

int Reader::get() {
  if (!fill()) return EOF;
  int c = static_cast<unsigned char>(buf_[pos_++]);
  ++consumed_;
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
        if (c != ',' && c != '\n' && c != '\r' && c != EOF) {
          problem("text after the closing quote; write a quote inside a quoted field as \"\"");
          while (c != ',' && c != '\n' && c != '\r' && c != EOF) c = get();
        }
      } else {
        while (c != ',' && c != '\n' && c != '\r' && c != EOF) {
          if (c == '"') problem("a quote inside an unquoted field; put the whole field in quotes and double the quote");
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
      record_done = c != ',';
    }
    const bool blank = out.fields.size() == 1 && out.fields[0].empty() && out.problem.empty();
    if (!blank) return true;
  }
}

std::string quote_field(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

Result<Writer> Writer::create(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    return Error{Code::io, fmt::format("{}: cannot create: {}; check the folder and free space", path.string(),
                                       std::strerror(errno))};
  }
  return Writer(f, path.string());
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
