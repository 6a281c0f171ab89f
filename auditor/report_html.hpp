// report_html.hpp — the auditor's report as one self-contained HTML page.
//
// One file with no external asset (styles inline, charts as inline SVG drawn by
// shared/html), readable on screen and printable on A4: the ledger audited (origin,
// checkpoint, size, root, PASS/FAIL with the findings of this run), totals, charts
// of enrollments and payouts per month, office, programme and occupation group,
// payouts against the schedule in effect, and the full table of flagged and rejected
// entries with their reasons, in Bahasa Indonesia or English (shared/i18n).
#pragma once

#include <optional>
#include <ostream>

#include "audit_state.hpp"
#include "i18n/i18n.hpp"
#include "verify.hpp"

namespace lontar::audit {

// Writes the page for what `state` has audited. `run` is the audit just made (when
// the report was asked with --dir/--server): its result and findings are shown;
// without it the result is that of the audits remembered (only passing ones are).
Status write_html_report(AuditState& state, const VerifyReport* run, i18n::Lang lang, std::ostream& out);

}  // namespace lontar::audit
