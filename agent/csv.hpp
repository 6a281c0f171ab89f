// csv.hpp — a streaming RFC 4180 CSV reader for partner lists.
//
// Reads one record at a time from a file of any size with a fixed buffer:
// UTF-8 with or without a byte-order mark, fields separated by commas, records by
// CRLF, LF or CR; quoted fields may hold commas, line breaks and doubled quotes.
// Partners' spreadsheets also write `;` (Indonesian Excel) or tab separators:
// open() picks the one the header line uses most. A file that is not valid UTF-8
// is read as Windows-1252 and converted as a whole (encoding() says so); one that
// is neither is refused before any record, so that no import mixes converted and
// refused rows. A spreadsheet file (.xlsx, .ods: a ZIP; .xls: an OLE2 compound
// file) is recognised by its first bytes and refused with how to save it as CSV.
// Blank lines are skipped. Limits are named and checked; a record that breaks a
// recoverable rule (a quote inside an unquoted field, text after a closing
// quote, an over-long field) is returned with `problem` set so that the caller
// can report it and go on. A quote that is never closed is fatal: the rest of
// the file cannot be split into records.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace lontar::agent::csv {

constexpr std::size_t field_bytes_max = 4096;
constexpr std::size_t fields_max = 64;

struct Record {
  std::vector<std::string> fields;
  std::uint64_t line = 0;          // the line the record starts on (1-based)
  std::string problem;             // "" when the record is well-formed
  std::size_t problem_column = 0;  // 1-based column of the problem
};

enum class Encoding { utf8, windows1252 };

class Reader {
 public:
  // Opens the file, checks its first bytes and its encoding (one pass over the
  // file) and detects the separator.
  static Result<Reader> open(const std::filesystem::path& path);
  Reader(Reader&&) = default;

  // Reads the next non-blank record into `out`; false at the end of the file.
  Result<bool> next(Record& out);

  std::uint64_t bytes_read() const { return consumed_; }
  std::uint64_t file_bytes() const { return size_; }
  const std::string& path() const { return path_; }
  char separator() const { return sep_; }
  Encoding encoding() const { return encoding_; }

 private:
  struct Close {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  Reader(std::FILE* f, std::string path, std::uint64_t size)
      : file_(f), path_(std::move(path)), size_(size), buf_(buf_bytes) {}
  int get();   // next byte (of UTF-8) or EOF
  int peek();  // next byte without consuming, or EOF
  bool fill();
  char detect_separator();

  static constexpr std::size_t buf_bytes = 1 << 16;
  std::unique_ptr<std::FILE, Close> file_;
  std::string path_;
  std::uint64_t size_ = 0;
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
  std::uint64_t consumed_ = 0;
  std::uint64_t line_ = 1;
  bool started_ = false;
  bool read_error_ = false;
  char sep_ = ',';
  Encoding encoding_ = Encoding::utf8;
  std::string pending_;  // UTF-8 bytes of a converted Windows-1252 byte not yet returned
};

// Writes RFC 4180 records (quoting a field only when it needs it), CRLF line ends,
// UTF-8 with a byte-order mark (so that spreadsheets open it as UTF-8). The file
// is created 0600: what it holds is personal data.
class Writer {
 public:
  static Result<Writer> create(const std::filesystem::path& path);
  Writer(Writer&&) = default;
  Status write(const std::vector<std::string>& fields);
  Status close();  // flushes and fsyncs

 private:
  struct Close {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  Writer(std::FILE* f, std::string path) : file_(f), path_(std::move(path)) {}
  std::unique_ptr<std::FILE, Close> file_;
  std::string path_;
};

// One field as it would be written (quoted when it holds , ; " CR or LF).
std::string quote_field(std::string_view field);

}  // namespace lontar::agent::csv
