// import.hpp — bulk enrollment or contribution lists from a partner's CSV file.
//
// Takes the file as the partner sent it (csv.hpp: `;` or tab separators,
// Windows-1252; columns.hpp: Indonesian headers; values.hpp: dates, amounts,
// regencies, phones as people write them). Streams the file: each row is read
// (columns → a payload), checked against this office's own earlier entries, and
// judged and appended, inside ONE transaction that ends with its seals and one
// commit — a killed import leaves nothing, a finished one everything. Memory
// grows by 8 bytes per recorded row (the line each came from, so that a row
// repeated later in the file names its first line), never with the file's bytes.
//
// Bad rows go to a rejects file: the original header (its `reason` column, if
// any, dropped; trailing empty header cells dropped) plus one `reason` column,
// each rejected row's cells as read (in UTF-8), and a reason naming the line,
// the column and the fix. Correcting the rejects file and importing it works.
// A row whose person this office already enrolled with the same name, birth
// date and occupation (or whose receipt is already recorded) is counted as
// "already there"; with different ones it is a conflict, in the rejects file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "columns.hpp"
#include "csv.hpp"
#include "office.hpp"

namespace lontar::agent {

// How far an import has read, for a progress display.
struct ImportProgress {
  std::uint64_t rows = 0;
  std::uint64_t bytes_read = 0;
  std::uint64_t file_bytes = 0;
};

struct ImportOptions {
  ImportKind kind = ImportKind::enroll;
  std::filesystem::path file;
  std::filesystem::path rejects;  // "" = <file>.rejects.csv
  std::string operator_id;
  bool confirm = false;   // record flagged rows too
  bool progress = false;  // show progress on stderr
  // A preview: every row is read, checked and judged exactly as in a real import and the
  // rejects file is written, then the transaction is rolled back (nothing is recorded,
  // nothing signed is kept). The summary says what a real import would do now.
  bool dry_run = false;
  // Called every 1,000 rows and once at the end (the web page's progress bar); returning
  // false stops the import (an Error; nothing recorded).
  std::function<bool(const ImportProgress&)> on_progress;
  // Defaults for rows without the column (or with an empty cell):
  std::string sponsor;
  std::string occupation;
  std::string programmes = "JKK+JKM";
  std::string coverage_start;
  std::string first_month;
  std::string payer;
};

// How far after today (office clock) a coverage start may lie: partners enroll
// people from the next quarter on, never years ahead.
constexpr int coverage_start_days_ahead_max = 92;

struct ImportSummary {
  std::uint64_t rows = 0;
  std::uint64_t recorded = 0;
  std::uint64_t already = 0;    // already enrolled / receipt already recorded, the same person or payment
  std::uint64_t rejected = 0;   // written to the rejects file (conflicts included)
  std::uint64_t conflicts = 0;  // of `rejected`: already enrolled here with another name, birth date or occupation
  std::uint64_t seals = 0;      // seals signed by this import (one per chain::batch_entries_max entries)
  std::uint64_t first_seq = 0, last_seq = 0;
  csv::Encoding encoding = csv::Encoding::utf8;
  char separator = ',';
  std::vector<UnusedColumn> unused_columns;
  std::filesystem::path rejects_file;  // "" when no row was rejected
};

// Imports the file. An Error means nothing was recorded (a broken or empty file,
// a spreadsheet, a missing column, a full disk); rejected rows are not errors.
Result<ImportSummary> import_csv(Office& office, const ImportOptions& options);

}  // namespace lontar::agent
