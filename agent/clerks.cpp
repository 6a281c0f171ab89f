#include "clerks.hpp"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <memory>

#include "base/bytes.hpp"
#include "crypto/crypto.hpp"
#include "store.hpp"

namespace lontar::agent {
namespace {

// scrypt cost: about 32 MiB and a tenth of a second per check on an office laptop.
constexpr std::uint64_t scrypt_n = 1u << 15;
constexpr std::uint32_t scrypt_r = 8;
constexpr std::uint32_t scrypt_p = 1;
constexpr std::size_t salt_bytes = 16;
constexpr std::size_t key_bytes = 32;
constexpr std::uint64_t scrypt_n_max = 1u << 20;  // refuse stored costs that would exhaust memory

Result<Bytes> scrypt(std::string_view pass, ByteView salt, std::uint64_t n, std::uint32_t r, std::uint32_t p) {
  std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr), EVP_KDF_free);
  if (!kdf) return Error{Code::internal, "OpenSSL has no SCRYPT KDF"};
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf.get()), EVP_KDF_CTX_free);
  if (!ctx) return Error{Code::internal, "EVP_KDF_CTX_new failed"};
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(pass.data()), pass.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<unsigned char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_end(),
  };
  Bytes out(key_bytes);
  if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), out.size(), params) != 1) {
    return Error{Code::internal, "scrypt failed (out of memory?)"};
  }
  return out;
}

Status check_id(const std::string& id) {
  if (id.empty() || id.size() > clerk_id_bytes_max) {
    return Error{Code::bad_input, fmt::format("clerk id: must be 1..{} characters", clerk_id_bytes_max)};
  }
  for (char c : id) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    if (!ok) {
      return Error{Code::bad_input,
                   fmt::format("clerk id '{}': use letters, digits, '.', '-' and '_' only (e.g. siti.aminah)", id)};
    }
  }
  return {};
}

Status check_passphrase_fit(std::string_view pass) {
  if (pass.size() < passphrase_bytes_min || pass.size() > passphrase_bytes_max) {
    return Error{Code::bad_input,
                 fmt::format("passphrase: must be {}..{} characters", passphrase_bytes_min, passphrase_bytes_max)};
  }
  return {};
}

}  // namespace

Result<std::string> hash_passphrase(std::string_view passphrase) {
  LONTAR_ASSIGN(Bytes salt, crypto::random_bytes(salt_bytes));
  LONTAR_ASSIGN(Bytes key, scrypt(passphrase, salt, scrypt_n, scrypt_r, scrypt_p));
  return fmt::format("scrypt${}${}${}${}${}", scrypt_n, scrypt_r, scrypt_p, to_hex(salt), to_hex(key));
}

Result<bool> check_passphrase(std::string_view passphrase, std::string_view stored) {
  std::vector<std::string> parts;
  std::size_t pos = 0;
  while (parts.size() < 6) {
    auto end = stored.find('$', pos);
    parts.emplace_back(stored.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  const Error malformed{Code::corrupt, "a clerk's stored passphrase hash is malformed"};
  if (parts.size() != 6 || parts[0] != "scrypt") return malformed;
  std::uint64_t n = 0;
  std::uint32_t r = 0, p = 0;
  try {
    n = std::stoull(parts[1]);
    r = static_cast<std::uint32_t>(std::stoul(parts[2]));
    p = static_cast<std::uint32_t>(std::stoul(parts[3]));
  } catch (...) {
    return malformed;
  }
  if (n < 2 || n > scrypt_n_max || r == 0 || r > 32 || p == 0 || p > 16) return malformed;
  auto salt = from_hex(parts[4]);
  auto key = from_hex(parts[5]);
  if (!salt.ok() || !key.ok() || key->size() != key_bytes) return malformed;
  LONTAR_ASSIGN(Bytes got, scrypt(passphrase, *salt, n, r, p));
  return CRYPTO_memcmp(got.data(), key->data(), key_bytes) == 0;
}

Status add_clerk(Store& store, const std::string& id, const std::string& name, std::string_view passphrase) {
  LONTAR_TRY(check_id(id));
  LONTAR_TRY(check_passphrase_fit(passphrase));
  LONTAR_ASSIGN(std::string hash, hash_passphrase(passphrase));
  LONTAR_ASSIGN(auto tx, store.begin());
  LONTAR_ASSIGN(bool added, store.insert_clerk(Store::ClerkRow{id, name.empty() ? id : name, hash, true, now_ms()}));
  if (!added) return Error{Code::conflict, fmt::format("clerk '{}' exists already (see `clerk list`)", id)};
  return tx.commit();
}

Status set_clerk_active(Store& store, const std::string& id, bool active) {
  LONTAR_ASSIGN(bool changed, store.set_clerk_active(id, active));
  if (!changed) return Error{Code::not_found, fmt::format("no clerk '{}' (see `clerk list`)", id)};
  return {};
}

Status set_clerk_passphrase(Store& store, const std::string& id, std::string_view passphrase) {
  LONTAR_TRY(check_passphrase_fit(passphrase));
  LONTAR_ASSIGN(std::string hash, hash_passphrase(passphrase));
  LONTAR_ASSIGN(bool changed, store.set_clerk_passphrase(id, hash));
  if (!changed) return Error{Code::not_found, fmt::format("no clerk '{}' (see `clerk list`)", id)};
  return {};
}

Result<std::vector<Clerk>> list_clerks(Store& store) {
  LONTAR_ASSIGN(auto rows, store.clerks());
  std::vector<Clerk> out;
  for (auto& r : rows) out.push_back({std::move(r.id), std::move(r.name), r.active, r.created_at_ms});
  return out;
}

Result<std::optional<Clerk>> authenticate_clerk(Store& store, const std::string& id, std::string_view passphrase) {
  LONTAR_ASSIGN(auto row, store.clerk(id));
  if (!row) {
    // Spend the same work as for a real clerk, so that timing does not tell which ids exist.
    (void)hash_passphrase(passphrase);
    return std::optional<Clerk>{};
  }
  LONTAR_ASSIGN(bool good, check_passphrase(passphrase, row->passphrase));
  if (!good || !row->active) return std::optional<Clerk>{};
  return std::optional<Clerk>{Clerk{row->id, row->name, row->active, row->created_at_ms}};
}

Result<bool> may_record(Store& store, const std::string& operator_id) {
  LONTAR_ASSIGN(auto any, store.count_clerks());
  if (any == 0) return true;
  LONTAR_ASSIGN(auto row, store.clerk(operator_id));
  return row && row->active;
}

}  // namespace lontar::agent
