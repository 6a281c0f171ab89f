// columns.hpp — how a partner's CSV header maps onto entry fields.
//
// Headers are matched case-insensitively after trimming and turning spaces,
// dashes and dots into underscores; each field has English and Indonesian
// aliases (README, "Office agent"). Columns that match no field are ignored
// (and listed); a field without a column takes its documented default, or is
// an error naming the missing column when it has none.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "domain/domain.hpp"

namespace lontar::agent {

enum class ImportKind { enroll, contribute };

// A field the import knows, with the header names that mean it.
struct FieldSpec {
  std::string_view name;  // canonical, used in messages
  std::vector<std::string_view> aliases;
  bool required = false;  // no default exists
};
const std::vector<FieldSpec>& field_specs(ImportKind kind);

// Which column (0-based) holds each field of field_specs(kind); nullopt = absent.
struct ColumnMap {
  ImportKind kind = ImportKind::enroll;
  std::vector<std::optional<std::size_t>> column;  // parallel to field_specs(kind)
  std::vector<std::string> ignored;                // headers that matched nothing
  std::optional<std::size_t> find(std::string_view field) const;
};

// Maps a header row. `defaults_given` names fields whose default the caller
// supplies by flag (e.g. "coverage_start"), which makes a required column optional.
Result<ColumnMap> map_columns(ImportKind kind, const std::vector<std::string>& header,
                              const std::vector<std::string_view>& defaults_given);

// Lenient readers for values as partners write them; errors say the accepted forms.
// Dates: YYYY-MM-DD, DD-MM-YYYY or DD/MM/YYYY.
Result<domain::Date> parse_partner_date(std::string_view text);
// Rupiah: digits, optionally "Rp" and thousands separators ("1.500.000", "1,500,000").
Result<domain::Rupiah> parse_rupiah(std::string_view text);
// The sex a NIK encodes (day part above 40: female).
domain::Sex sex_from_nik(std::string_view nik);

}  // namespace lontar::agent
