// table.hpp — printing query results as a human table, JSON or CSV.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace lontar::agent {

enum class Format { human, json, csv };

// Collects rows, then prints them all at once in the chosen format. Human tables
// cut cells to a readable width; JSON and CSV keep everything.
struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  void print(Format f, std::FILE* out = stdout) const;
  // The rows as a JSON array of objects keyed by the headers.
  std::string json() const;
};

// Prints rows as they come: CSV and JSON stream (memory does not grow with the
// number of rows); a human table is collected first, to align its columns (the
// callers page it).
class RowWriter {
 public:
  RowWriter(Format f, std::vector<std::string> headers, std::FILE* out = stdout);
  void row(std::vector<std::string> cells);
  // Ends the output (JSON's closing bracket, the human table).
  void finish();
  std::size_t rows() const { return count_; }

 private:
  Format format_;
  std::FILE* out_;
  Table table_;
  std::size_t count_ = 0;
  std::string line_;
};

}  // namespace lontar::agent
