// ledger.hpp — builds real Lontar ledgers for the auditor's tests and benchmark,
// without the server: office chains, seals, verdicts from the real rules engine,
// and the log written as a C2SP tlog-tiles directory (checkpoint, hash tiles,
// entry bundles) exactly as `lontar-server export` lays it out.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "chain/chain.hpp"
#include "crypto/crypto.hpp"
#include "domain/domain.hpp"
#include "merkle/merkle.hpp"
#include "note/note.hpp"
#include "rules/rules.hpp"
#include "support/chain_writer.hpp"

namespace lontar::test {

// Writes a log directory leaf by leaf in constant memory: full entry bundles and
// hash tiles as they complete; partial ones and a signed checkpoint on publish().
class LogWriter {
 public:
  explicit LogWriter(std::filesystem::path dir);
  void append(ByteView leaf);
  std::uint64_t size() const { return builder_.size(); }
  Hash root() const { return builder_.root(); }
  // Writes the partial tiles and bundle of the current size and a checkpoint signed
  // by `key` under `origin`. More leaves may be appended afterwards.
  void publish(const crypto::PrivateKey& key, const std::string& origin) const;

 private:
  void write(const std::string& path, ByteView bytes) const;
  std::filesystem::path dir_;
  merkle::RootBuilder builder_;
  std::vector<std::vector<Hash>> pending_;  // per tile level: hashes of its unfinished tile
  Bytes bundle_;                            // the unfinished entry bundle
  std::size_t bundle_count_ = 0;
};

// Writes `leaves` as a complete log in `dir`.
void write_log(const std::filesystem::path& dir, const std::vector<Bytes>& leaves, const crypto::PrivateKey& key,
               const std::string& origin);

// The NIK-bearing person number `n` (distinct NIKs for n < 10'000'000).
struct Person {
  std::string nik;
  domain::Date birth;
  domain::Sex sex;
};
Person person(std::uint64_t n);

// A principal of the built ledger: its id, key and chain so far.
using Principal = ChainWriter;

// A ledger as the server would log it: for each push one seal leaf, then its entries
// with the verdicts of the real rules engine (over an in-memory state).
class LedgerBuilder {
 public:
  using Sink = std::function<void(const chain::Leaf&)>;
  // Leaves go to `sink`; by default they are kept in leaves().
  explicit LedgerBuilder(Sink sink = nullptr);

  Principal& admin() { return *admin_; }
  // Registers an office (admin push) and returns it.
  Principal& add_office(const std::string& id, const std::string& scope = "35");
  // Pushes `payloads` as one batch of `p`: a seal leaf, then the entries. When
  // `seal_key` is given, the seal is signed by it instead of p's key.
  void push(Principal& p, const std::vector<domain::Payload>& payloads, const crypto::PrivateKey* seal_key = nullptr,
            std::int64_t recorded_at_ms = 1'527'000'000'000);

  // The verifier key string of the log ("lontar.test/log+<id>+<key>").
  std::string verifier_key() const;
  const crypto::PrivateKey& log_key() const { return log_key_; }
  static constexpr const char* origin = "lontar.test/log";

  std::vector<chain::Leaf>& leaves() { return leaves_; }
  // The kept leaves, encoded.
  std::vector<Bytes> encoded() const;

 private:
  Sink sink_;
  crypto::PrivateKey log_key_;
  std::unique_ptr<rules::State> state_;
  std::unique_ptr<Principal> admin_;
  std::map<std::string, std::unique_ptr<Principal>> offices_;
  std::vector<chain::Leaf> leaves_;
};

// Typical payloads (valid, so the rules decide only by state).
domain::Payload enroll(std::uint64_t person_no, const std::string& occupation = "TAGANA");
domain::Payload contribution(std::uint64_t person_no, const std::string& receipt, domain::YearMonth first,
                             std::uint16_t months = 1);
domain::Payload claim(std::uint64_t person_no, const std::string& claim_no, domain::Date event);
domain::Payload payout(const std::string& claim_no, domain::Rupiah amount);
domain::Payload revoke(const Principal& p);
domain::Payload void_entry(const std::string& principal, std::uint64_t seq);

Bytes encode_leaf(const chain::Leaf& leaf);

}  // namespace lontar::test
