// report.hpp — what the audited ledger says: the auditor's report.
//
// From the facts recorded while verdicts were replayed (report_book.hpp):
// enrollments, contributions, claims and payouts by office, programme, occupation
// group and month (the month the office recorded the entry); totals per kind in
// rupiah; and every flagged and rejected entry with its reasons. Voided entries
// are left out of the counts and sums. Formats: human tables, CSV, JSON.
#pragma once

#include <ostream>

#include "audit_state.hpp"

namespace lontar::audit {

enum class ReportFormat { table, csv, json };

// Writes the report of what `state` has audited so far to `out`.
Status write_report(AuditState& state, ReportFormat format, std::ostream& out);

// "Rp 24.000.000" (Indonesian thousands separators).
std::string format_rupiah(std::int64_t rupiah);

}  // namespace lontar::audit
