// init.hpp — creating a new ledger (`lontar-server init`).
//
// Writes, in a data folder that must not yet hold a ledger:
//   ledger.db  — the log store (LogStore::create), with a fresh NIK key in its settings
//                (or, with store_url, the ledger's tables in that PostgreSQL database);
//   log.key    — the log's Ed25519 key (PKCS#8 PEM, mode 0600) that signs checkpoints;
//   admin.key  — the first admin's Ed25519 key (PEM, 0600): move it off the server and
//                keep it offline; admin commands are signed with it;
// then pushes the genesis batch, sealed by the admin key like any office batch:
//   seq 1: principal.register of the admin by the admin (genesis),
//   seq 2: schedule.set of the 2018 defaults (domain::default_schedule()).
// Returns the verifier key string that agents and auditors pin.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "domain/domain.hpp"

namespace lontar::server {

constexpr std::string_view ledger_file_name = "ledger.db";
constexpr std::string_view log_key_file_name = "log.key";
constexpr std::string_view admin_key_file_name = "admin.key";

struct InitOptions {
  std::filesystem::path data_dir;
  std::string store_url{};         // empty: <data_dir>/ledger.db; else a PostgreSQL URI
  std::string origin;              // the log's name, e.g. "lontar.bpjsketenagakerjaan.go.id/jatim"
  std::string admin_id = "ADMIN";  // the first admin principal
  std::string admin_name = "Lontar administrator";
  std::optional<std::filesystem::path> admin_key_path;  // default: <data_dir>/admin.key
  std::optional<std::string> admin_passphrase;          // encrypts admin.key when given
  std::int64_t now_ms = 0;                              // recorded_at of the genesis entries (informational)
};

struct InitResult {
  std::string ledger_location;  // the SQLite file's path or the PostgreSQL URI
  std::filesystem::path log_key_path;
  std::filesystem::path admin_key_path;
  std::string verifier_key;
  std::string checkpoint;  // the first signed checkpoint (covering the genesis batch)
};

// Creates the ledger; refuses (Code::conflict) if the folder already holds one.
Result<InitResult> init_ledger(const InitOptions& options);

}  // namespace lontar::server
