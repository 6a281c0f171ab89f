// columns.hpp — how a partner's CSV header maps onto entry fields.
//
// Headers are matched case-, space- and punctuation-insensitively (fold(): "No.
// HP", "No HP" and "no_hp" are one name); each field has English and Indonesian
// names as Indonesian offices write them (README, "Import"). A header that is
// no field is listed with the nearest accepted name; a field without a column
// takes its documented default, or is an error naming the missing column when it
// has none. Some columns are known but have no field in the entry (Tempat Lahir,
// No): they are listed as "not recorded", never dropped silently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace lontar::agent {

enum class ImportKind { enroll, contribute };

// A field the import knows, with the header names that mean it.
struct FieldSpec {
  std::string_view name;  // canonical, used in messages
  std::vector<std::string_view> aliases;
  bool required = false;  // no default exists
};
const std::vector<FieldSpec>& field_specs(ImportKind kind);

// A header the import does not use, and why.
struct UnusedColumn {
  std::size_t index = 0;   // 0-based
  std::string header;      // as written
  std::string suggestion;  // nearest accepted name ("" when none is close), for unknown headers
  bool known = false;      // a known column with no field in the entry (Tempat Lahir): not recorded
};

// Which column (0-based) holds each field of field_specs(kind); nullopt = absent.
struct ColumnMap {
  ImportKind kind = ImportKind::enroll;
  std::vector<std::optional<std::size_t>> column;  // parallel to field_specs(kind)
  std::vector<UnusedColumn> unused;                // unknown headers and known-but-not-recorded ones
  std::optional<std::size_t> reason;               // a `reason` column (a re-imported rejects file)
  std::size_t width = 0;                           // header cells, trailing empty ones dropped
  std::optional<std::size_t> find(std::string_view field) const;
};

// Maps a header row. `defaults_given` names fields whose default the caller
// supplies by flag (e.g. "coverage_start"), which makes a required column optional.
Result<ColumnMap> map_columns(ImportKind kind, const std::vector<std::string>& header,
                              const std::vector<std::string_view>& defaults_given);

}  // namespace lontar::agent
