// schedule.hpp — the one default benefit schedule.
//
// Every new ledger starts with it: `lontar-server init` writes it as the genesis
// schedule.set entry (server/log/init.cpp), and an office that has never synced
// judges its entries against it (agent/local_ledger.cpp) until the first sync brings
// the ledger's own schedule entries. Because both use this one function, an office
// offline from its first day and the server give the same verdict on every claim and
// payout until an admin sets another schedule.
#pragma once

#include "domain/domain.hpp"

namespace lontar::domain {

// The 2018 schedule for BPU participants, effective 2018-01-01: JKM death benefit
// Rp 24,000,000 and Rp 6,800/month; JKK Rp 10,000/month (care costs, no fixed
// ceiling); JHT Rp 20,000/month. Valid (domain::validate accepts it).
ScheduleSet default_schedule();

}  // namespace lontar::domain
