// local_ledger.hpp — the office's rules state before its first sync.
//
// The rules engine only accepts entries of registered principals, and judges
// payouts against a schedule. Until the first sync brings the real admin
// entries (and the ledger's NIK key), an office seeds its local state with a
// stand-in: a local setup admin that registers this office, and the ledger's
// default schedule (domain::default_schedule(), the same one the server's genesis
// entries carry, so that an office that never synced judges as the server does). These stand-in entries live
// only in the rules_* tables, never in the office chain; the sync client
// rebuilds the state from the central log when it first connects.
#pragma once

#include "domain/domain.hpp"
#include "rules/rules.hpp"

namespace lontar::agent {

constexpr const char* local_setup_principal = "LOCAL-SETUP";

// Applies the stand-in admin entries for `self` to `state`.
Status seed_local_ledger(const domain::PrincipalRegister& self, rules::State& state);

}  // namespace lontar::agent
