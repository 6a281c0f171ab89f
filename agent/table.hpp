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

}  // namespace lontar::agent
