// import.hpp — bulk enrollment or contribution lists from a partner's CSV file.
//
// Streams the file: each row is mapped (columns.hpp), validated and judged, and
// the good ones are appended as they come, inside ONE transaction that ends with
// one seal and one commit — a killed import leaves nothing, a finished one
// everything. Memory does not grow with the file. Bad rows go to a rejects CSV
// (the original columns plus a `reason` naming line, column and fix). Rows whose
// person is already enrolled (or whose receipt is already recorded) are counted
// as such, so importing the same file twice records nobody twice.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "columns.hpp"
#include "office.hpp"

namespace lontar::agent {

struct ImportOptions {
  ImportKind kind = ImportKind::enroll;
  std::filesystem::path file;
  std::filesystem::path rejects;  // "" = <file>.rejects.csv
  std::string operator_id;
  bool confirm = false;   // record flagged rows too
  bool progress = false;  // show progress on stderr
  // Defaults for rows without the column (or with an empty cell):
  std::string sponsor;
  std::string occupation;
  std::string programmes = "JKK+JKM";
  std::string coverage_start;
  std::string first_month;
  std::string payer;
};

struct ImportSummary {
  std::uint64_t rows = 0;
  std::uint64_t recorded = 0;
  std::uint64_t already = 0;   // already enrolled / receipt already recorded
  std::uint64_t rejected = 0;  // written to the rejects file
  std::uint64_t first_seq = 0, last_seq = 0;
  std::vector<std::string> ignored_columns;
  std::filesystem::path rejects_file;  // "" when no row was rejected
};

// Imports the file. An Error means nothing was recorded (a broken file, a
// missing column, a full disk); rejected rows are not errors.
Result<ImportSummary> import_csv(Office& office, const ImportOptions& options);

}  // namespace lontar::agent
