// status_html.hpp — `lontar-server status --html FILE`: the server's state as one
// self-contained printable page for admins (no script, no external asset; A4), in
// Bahasa Indonesia or English: the ledger (origin, verifier key, size, root, the signed
// checkpoint), the registered offices and auditors with each key's standing, and the
// ingest counters from /metrics, drawn as an inline SVG chart (shared/html) and listed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "i18n/i18n.hpp"

namespace lontar::server {

struct StatusPrincipal {
  std::string id, name, scope;
  std::string key;     // fingerprint
  std::string status;  // "active" or "revoked: reason"
};

struct StatusPage {
  std::string origin, verifier_key;
  std::string caller, caller_role;  // who asked
  std::uint64_t tree_size = 0;
  std::string root_hex;
  std::string checkpoint;  // the signed note, as served
  std::vector<StatusPrincipal> offices, auditors;
  std::string metrics;  // Prometheus text from /metrics
  std::int64_t generated_ms = 0;
};

std::string status_html(const StatusPage& page, i18n::Lang lang);

}  // namespace lontar::server
