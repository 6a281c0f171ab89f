#include "local_ledger.hpp"

#include <fmt/format.h>

#include "chain/chain.hpp"
#include "crypto/crypto.hpp"
#include "domain/schedule.hpp"

namespace lontar::agent {

Status seed_local_ledger(const domain::PrincipalRegister& self, rules::State& state) {
  // An ephemeral admin key: nothing it "signs" leaves this state.
  LONTAR_ASSIGN(auto admin_key, crypto::PrivateKey::generate());
  domain::PrincipalRegister admin;
  admin.principal_id = local_setup_principal;
  admin.role = domain::Role::admin;
  admin.key = admin_key.public_key();
  admin.name = "local setup (until first sync)";
  const domain::Payload payloads[] = {admin, self, domain::default_schedule()};
  Hash prev{};
  std::uint64_t seq = 0;
  for (const auto& p : payloads) {
    LONTAR_ASSIGN(auto entry, chain::make_entry(local_setup_principal, ++seq, prev, 0, "init", p));
    LONTAR_ASSIGN(auto verdict, rules::judge_and_apply(entry, state));
    if (verdict.outcome == domain::Outcome::rejected) {
      std::string why = verdict.reasons.empty() ? "" : verdict.reasons.front().text;
      return Error{Code::internal, fmt::format("seeding the local rules state: {} was rejected: {}",
                                               domain::kind_name(entry.kind), why)};
    }
    prev = chain::entry_hash(entry);
  }
  return {};
}

}  // namespace lontar::agent
