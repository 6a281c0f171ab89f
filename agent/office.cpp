#include "office.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

#include "crypto/x509.hpp"
#include "local_ledger.hpp"

namespace lontar::agent {

namespace {
Status refuse_existing(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const char* f : {db_file_name, key_file_name}) {
    if (std::filesystem::exists(dir / f, ec)) {
      return Error{Code::conflict, fmt::format("{}: an office already lives here ({} exists); refusing to overwrite "
                                               "its key. Use another --data folder, or move this one away first",
                                               dir.string(), f)};
    }
  }
  return {};
}

}  // namespace

Status make_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Error{Code::io, fmt::format("{}: cannot create the data folder: {}; check the path and permissions",
                                       dir.string(), ec.message())};
  }
  if (::chmod(dir.c_str(), 0700) != 0) {
    return Error{Code::io, fmt::format("{}: cannot set mode 0700 on the data folder", dir.string())};
  }
  return {};
}

Result<InitResult> init_office(const std::filesystem::path& dir, const InitOptions& options) {
  domain::PrincipalRegister self;
  self.principal_id = options.office;
  self.role = domain::Role::office;
  self.name = options.name.empty() ? options.office : options.name;
  self.scope = options.scope;
  LONTAR_ASSIGN(auto key, crypto::PrivateKey::generate());
  self.key = key.public_key();
  if (auto s = domain::validate(self); !s.ok()) return std::move(s).error().prefix("--office/--name/--scope");

  LONTAR_TRY(refuse_existing(dir));
  LONTAR_TRY(make_private_dir(dir));
  InitResult out;
  out.public_key = self.key;
  out.key_file = dir / key_file_name;
  out.cert_file = dir / cert_file_name;
  LONTAR_TRY(key.save_pem(out.key_file, options.passphrase));
  LONTAR_ASSIGN(std::string cert, crypto::make_self_signed_certificate(key, options.office));
  LONTAR_TRY(crypto::write_file_atomic(out.cert_file, cert, 0644));

  LONTAR_ASSIGN(auto store, Store::open(dir, /*create=*/true));
  LONTAR_TRY(store->create_schema());
  LONTAR_ASSIGN(auto tx, store->begin());
  LONTAR_ASSIGN(Bytes nik_key, crypto::random_bytes(rules::NikKey{}.size()));
  LONTAR_TRY(store->set_setting("office", options.office));
  LONTAR_TRY(store->set_setting("name", self.name));
  LONTAR_TRY(store->set_setting("scope", options.scope));
  LONTAR_TRY(store->set_setting("nik_key", ByteView(nik_key)));
  LONTAR_TRY(store->set_setting("nik_key_origin", "local"));
  LONTAR_TRY(store->set_setting("server_url", options.server_url));
  LONTAR_TRY(store->set_setting("server_key", options.server_key));
  LONTAR_TRY(store->set_setting("public_key", to_hex(self.key)));
  LONTAR_ASSIGN(auto* state, store->rules_state());
  LONTAR_TRY(seed_local_ledger(self, *state));
  LONTAR_TRY(tx.commit());
  return out;
}

Result<Office> open_office(const std::filesystem::path& dir, const std::optional<std::string>& passphrase) {
  LONTAR_ASSIGN(auto store, Store::open(dir));
  LONTAR_ASSIGN(std::string id, store->required_text("office"));
  LONTAR_ASSIGN(std::string name, store->required_text("name"));
  auto key = crypto::PrivateKey::load_pem(dir / key_file_name, passphrase);
  if (!key.ok()) {
    Error e = std::move(key).error();
    e.message += passphrase ? "; check the passphrase file"
                            : "; if the key has a passphrase, pass --passphrase-file or set LONTAR_PASSPHRASE_FILE";
    return e;
  }
  LONTAR_ASSIGN(std::string pub_hex, store->required_text("public_key"));
  if (to_hex(key->public_key()) != pub_hex) {
    return Error{Code::corrupt, fmt::format("{}: the key file does not belong to office {} (its public key differs "
                                            "from the one recorded at init); restore the office's own key",
                                            (dir / key_file_name).string(), id)};
  }
  return Office{std::move(store), std::move(id), std::move(name), std::move(key).value()};
}

Result<std::string> read_passphrase_file(const std::filesystem::path& path) {
  LONTAR_ASSIGN(std::string text, crypto::read_file(path));
  auto end = text.find_first_of("\r\n");
  if (end != std::string::npos) text.resize(end);
  if (text.empty()) {
    return Error{Code::bad_input, fmt::format("{}: the passphrase file is empty; write the passphrase on its "
                                              "first line",
                                              path.string())};
  }
  return text;
}

}  // namespace lontar::agent
