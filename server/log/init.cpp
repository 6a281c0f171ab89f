#include "log/init.hpp"

#include "base/private_file.hpp"
#include "chain/chain.hpp"
#include "crypto/crypto.hpp"
#include "domain/schedule.hpp"
#include "log/log_store.hpp"

namespace lontar::server {

Result<InitResult> init_ledger(const InitOptions& o) {
  InitResult out;
  out.ledger_location = o.store_url.empty() ? (o.data_dir / ledger_file_name).string() : o.store_url;
  out.log_key_path = o.data_dir / log_key_file_name;
  out.admin_key_path = o.admin_key_path.value_or(o.data_dir / admin_key_file_name);
  for (const auto& p : {o.data_dir / ledger_file_name, out.log_key_path, out.admin_key_path}) {
    if (std::filesystem::exists(p)) {
      return Error{Code::conflict, p.string() + " already exists: " + o.data_dir.string() +
                                       " already holds a ledger; choose an empty folder"};
    }
  }
  LONTAR_TRY(ensure_private_dir(o.data_dir));

  LONTAR_ASSIGN(crypto::PrivateKey log_key, crypto::PrivateKey::generate());
  LONTAR_ASSIGN(crypto::PrivateKey admin_key, crypto::PrivateKey::generate());
  LONTAR_TRY(log_key.save_pem(out.log_key_path));
  LONTAR_TRY(admin_key.save_pem(out.admin_key_path, o.admin_passphrase));
  LONTAR_ASSIGN(Bytes nik_bytes, crypto::random_bytes(sizeof(rules::NikKey)));
  rules::NikKey nik_key{};
  std::copy(nik_bytes.begin(), nik_bytes.end(), nik_key.begin());

  auto created = LogStore::create(out.ledger_location, o.origin, std::move(log_key), nik_key);
  if (!created.ok()) {
    // Nothing was made: the keys just written go too, so that init can simply be run again.
    std::error_code ec;
    std::filesystem::remove(out.log_key_path, ec);
    std::filesystem::remove(out.admin_key_path, ec);
    return std::move(created).error();
  }
  auto store = std::move(created).value();

  domain::PrincipalRegister reg;
  reg.principal_id = o.admin_id;
  reg.role = domain::Role::admin;
  reg.key = admin_key.public_key();
  reg.name = o.admin_name;
  LONTAR_TRY(domain::validate(reg));
  domain::ScheduleSet schedule = domain::default_schedule();
  LONTAR_TRY(domain::validate(schedule));

  chain::Batch batch;
  batch.principal = o.admin_id;
  LONTAR_ASSIGN(chain::Entry e1, chain::make_entry(o.admin_id, 1, Hash{}, o.now_ms, o.admin_id, reg));
  Hash h1 = chain::entry_hash(e1);
  LONTAR_ASSIGN(chain::Entry e2, chain::make_entry(o.admin_id, 2, h1, o.now_ms, o.admin_id, schedule));
  Hash h2 = chain::entry_hash(e2);
  batch.entries = {std::move(e1), std::move(e2)};
  batch.seal = chain::make_seal(o.admin_id, 2, h2, o.now_ms, admin_key);

  Caller admin{o.admin_id, domain::Role::admin, admin_key.public_key(), ""};
  LONTAR_ASSIGN(protocol::PushResponse resp, store->push(admin, std::move(batch)));
  for (const auto& r : resp.receipts) {
    if (r.verdict.outcome != domain::Outcome::accepted) {
      std::string why = r.verdict.reasons.empty() ? "" : r.verdict.reasons.front().text;
      return Error{Code::internal, "genesis entry seq " + std::to_string(r.seq) + " was not accepted: " + why};
    }
  }
  out.verifier_key = store->verifier_key();
  out.checkpoint = resp.checkpoint;
  store->shutdown();
  return out;
}

}  // namespace lontar::server
