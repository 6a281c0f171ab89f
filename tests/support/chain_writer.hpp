// chain_writer.hpp — one principal's chain as a test writes it: entries 1, 2, 3...
// each linked to the one before, sealed per batch by the principal's key. Used by the
// log store's fixture (tests/server/log_fixture.hpp), which pushes the batches, and by
// the auditor's ledger builder (tests/audit/ledger.hpp), which logs them itself.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "chain/chain.hpp"
#include "crypto/crypto.hpp"
#include "domain/domain.hpp"
#include "support/take.hpp"

namespace lontar::server {
struct Caller;
}

namespace lontar::test {

class ChainWriter {
 public:
  static constexpr std::int64_t default_recorded_at_ms = 1'526'000'000'000;

  ChainWriter(std::string principal, crypto::PrivateKey key, domain::Role role = domain::Role::office)
      : principal_(std::move(principal)), key_(std::move(key)), role_(role) {}

  const std::string& principal() const { return principal_; }
  const crypto::PrivateKey& key() const { return key_; }
  domain::Role role() const { return role_; }
  std::uint64_t seq() const { return seq_; }
  Hash head() const { return head_; }
  // The principal as the log server knows it; defined in tests/server/log_fixture.hpp.
  server::Caller caller() const;
  // Continues after entries written elsewhere (e.g. the genesis entries written by init).
  void continue_from(std::uint64_t seq, const Hash& head) {
    seq_ = seq;
    head_ = head;
  }

  // The next entry of the chain.
  chain::Entry entry(const domain::Payload& p, std::int64_t recorded_at_ms = default_recorded_at_ms,
                     const std::string& recorded_by = "clerk-1") {
    chain::Entry e = take(chain::make_entry(principal_, seq_ + 1, head_, recorded_at_ms, recorded_by, p), "entry");
    ++seq_;
    head_ = chain::entry_hash(e);
    return e;
  }
  // A seal over the chain as written so far.
  chain::Seal seal(std::int64_t recorded_at_ms = default_recorded_at_ms) const {
    return chain::make_seal(principal_, seq_, head_, recorded_at_ms, key_);
  }
  // The next entries, one for each payload, sealed as one batch.
  chain::Batch batch(const std::vector<domain::Payload>& payloads,
                     std::int64_t recorded_at_ms = default_recorded_at_ms) {
    chain::Batch b;
    b.principal = principal_;
    for (const auto& p : payloads) b.entries.push_back(entry(p, recorded_at_ms));
    b.seal = seal(recorded_at_ms);
    return b;
  }

 private:
  std::string principal_;
  crypto::PrivateKey key_;
  domain::Role role_;
  std::uint64_t seq_ = 0;
  Hash head_{};
};

}  // namespace lontar::test
