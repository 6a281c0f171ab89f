// clerks.hpp — the office's clerk accounts: who may record, and their passphrases.
//
// Each clerk has an id (the `operator` every entry carries, chain::Entry, signed
// with the entry: docs/FORMAT.md), a display name, a passphrase stored only as a
// slow scrypt hash (OpenSSL 3 EVP_KDF "SCRYPT", N = 2^15, r = 8, p = 1, 16-byte
// random salt, 32-byte key; text form "scrypt$N$r$p$<salt hex>$<key hex>"), and
// whether the account is active. Clerks live in agent.db (table `clerks`), local
// to the office: they never leave it. A disabled clerk cannot sign in to the web
// page nor record; once any clerk exists, recording (CLI, import, web) requires
// the operator to be an active clerk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "store.hpp"

namespace lontar::agent {

constexpr std::size_t clerk_id_bytes_max = 64;   // within chain::operator_bytes_max
constexpr std::size_t passphrase_bytes_min = 8;  // a clerk's passphrase
constexpr std::size_t passphrase_bytes_max = 1024;

struct Clerk {
  std::string id;
  std::string name;
  bool active = true;
  std::int64_t created_at_ms = 0;
};

// The scrypt hash of `passphrase` in the text form above, with a fresh salt.
Result<std::string> hash_passphrase(std::string_view passphrase);
// Whether `passphrase` matches `stored` (constant-time comparison). A malformed
// `stored` is an Error.
Result<bool> check_passphrase(std::string_view passphrase, std::string_view stored);

// Adds a clerk. conflict if the id exists; bad_input if the id or passphrase is unfit
// (the message says which and why).
Status add_clerk(Store& store, const std::string& id, const std::string& name, std::string_view passphrase);
// Sets a clerk active or not; not_found if there is no such clerk.
Status set_clerk_active(Store& store, const std::string& id, bool active);
// Changes a clerk's passphrase; not_found if there is no such clerk.
Status set_clerk_passphrase(Store& store, const std::string& id, std::string_view passphrase);
Result<std::vector<Clerk>> list_clerks(Store& store);
// The clerk `id` if `passphrase` is right and the account active; nullopt otherwise
// (the caller says only "wrong id or passphrase").
Result<std::optional<Clerk>> authenticate_clerk(Store& store, const std::string& id, std::string_view passphrase);
// Whether `operator_id` may record: true when no clerk exists (an office that has
// not set up accounts), else only for an active clerk.
Result<bool> may_record(Store& store, const std::string& operator_id);

}  // namespace lontar::agent
