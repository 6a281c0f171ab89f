// log_fixture.hpp — building ledgers, offices and batches for the log store's tests
// and benchmark: a fresh ledger from init_ledger(), offices registered by its admin
// through the same signed path, and office chains that write valid enrollments.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "chain/chain.hpp"
#include "crypto/crypto.hpp"
#include "domain/domain.hpp"
#include "log/init.hpp"
#include "log/log_store.hpp"
#include "support/chain_writer.hpp"
#include "support/take.hpp"

namespace lontar::test {

// A second handle on the same private key (a stolen copy, a second laptop).
inline crypto::PrivateKey clone_key(const crypto::PrivateKey& k) {
  return take(crypto::PrivateKey::from_pem(take(k.to_pem(), "pem")), "key");
}

inline server::Caller ChainWriter::caller() const { return {principal_, role_, key_.public_key(), ""}; }

inline domain::PrincipalRegister register_office(const std::string& id, const crypto::PublicKey& key,
                                                 domain::Role role = domain::Role::office) {
  domain::PrincipalRegister r;
  r.principal_id = id;
  r.role = role;
  r.key = key;
  r.name = "Kantor " + id;
  r.scope = role == domain::Role::office ? "35" : "";
  return r;
}

// A valid enrollment of a Surabaya person; `serial` makes the NIK unique (1..9999 per district).
inline domain::ParticipantEnroll enrollment(unsigned n) {
  domain::ParticipantEnroll p;
  domain::Date birth{static_cast<std::uint16_t>(1970 + n % 30), static_cast<std::uint8_t>(1 + n % 12),
                     static_cast<std::uint8_t>(1 + n % 28)};
  domain::Sex sex = n % 2 == 0 ? domain::Sex::male : domain::Sex::female;
  char district[3];
  std::snprintf(district, sizeof district, "%02u", 1 + (n / 9999) % 31);
  p.nik = take(domain::make_nik("3578", district, birth, sex, static_cast<std::uint16_t>(1 + n % 9999)), "nik").str();
  p.name = "Siti Rahayu " + std::to_string(n);
  p.birth_date = birth;
  p.sex = sex;
  p.regency_code = "3578";
  p.occupation = "TAGANA";
  p.sponsor = "DINSOS-JATIM";
  p.declared_income = 1'500'000;
  p.programmes = domain::programme_bit(domain::Programme::jkk) | domain::programme_bit(domain::Programme::jkm);
  p.coverage_start = domain::Date{2018, 5, 1};
  p.phone = "081234567890";
  p.address = "Jl. Rungkut Madya " + std::to_string(n);
  return p;
}

// A fresh ledger in `dir`, opened, with the admin's chain ready to continue after genesis.
struct Ledger {
  std::unique_ptr<server::LogStore> store;
  std::unique_ptr<ChainWriter> admin;
  std::filesystem::path dir;
  std::string verifier_key;

  static Ledger create(const std::filesystem::path& dir, server::LogStoreOptions options = {}) {
    server::InitOptions o;
    o.data_dir = dir;
    o.origin = "lontar.test/jatim";
    auto init = take(server::init_ledger(o), "init");
    Ledger l;
    l.dir = dir;
    l.verifier_key = init.verifier_key;
    l.admin = std::make_unique<ChainWriter>(
        o.admin_id, take(crypto::PrivateKey::load_pem(init.admin_key_path), "admin"), domain::Role::admin);
    l.reopen(options);
    auto [seq, hash] = take(l.store->head(o.admin_id), "head");
    l.admin->continue_from(seq, hash);  // init wrote the genesis entries 1 and 2
    return l;
  }
  void reopen(server::LogStoreOptions options = {}) {
    store.reset();
    auto key = take(crypto::PrivateKey::load_pem(dir / server::log_key_file_name), "log key");
    store = take(server::LogStore::open((dir / server::ledger_file_name).string(), std::move(key), options), "open");
  }
  // Registers a new office (or auditor) through the admin's signed path; returns its writer.
  ChainWriter add_principal(const std::string& id, domain::Role role = domain::Role::office) {
    auto key = take(crypto::PrivateKey::generate(), "key");
    auto b = admin->batch({register_office(id, key.public_key(), role)});
    auto r = take(store->push(admin->caller(), std::move(b)), "register");
    if (r.receipts.at(0).verdict.outcome != domain::Outcome::accepted) {
      std::fprintf(stderr, "register %s: %s\n", id.c_str(), r.receipts[0].verdict.reasons.at(0).text.c_str());
      std::abort();
    }
    return ChainWriter(id, std::move(key), role);
  }
};

}  // namespace lontar::test
