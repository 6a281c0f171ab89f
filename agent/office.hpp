// office.hpp — an office's data folder: creating it (init) and opening it for work.
//
// A data folder (mode 0700) holds agent.db, the office's Ed25519 key (PKCS#8 PEM,
// mode 0600, optionally encrypted with a passphrase) and a self-signed TLS client
// certificate over that key for mutual TLS with the server.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "crypto/crypto.hpp"
#include "store.hpp"

namespace lontar::agent {

struct InitOptions {
  std::string office;  // principal id, e.g. "SBY-RUNGKUT"
  std::string name;    // "Surabaya Rungkut"
  std::string scope;   // "" (all), a province "35" or a regency "3578"
  std::optional<std::string> passphrase;
  std::string server_url;  // "" until known
  std::string server_key;  // the log's verifier key, "" until known
};

struct InitResult {
  crypto::PublicKey public_key{};
  std::filesystem::path key_file;
  std::filesystem::path cert_file;
};

// Creates the data folder and everything in it. Refuses when `dir` already holds
// an office (agent.db or the key file), so that a key is never overwritten.
Result<InitResult> init_office(const std::filesystem::path& dir, const InitOptions& options);

// An opened office: its store, id and signing key.
struct Office {
  std::unique_ptr<Store> store;
  std::string id;
  std::string name;
  crypto::PrivateKey key;
};

// Creates `dir` (and its parents) and sets it to mode 0700.
Status make_private_dir(const std::filesystem::path& dir);

// Opens the office in `dir`; `passphrase` decrypts an encrypted key.
Result<Office> open_office(const std::filesystem::path& dir, const std::optional<std::string>& passphrase);

// Reads a passphrase file (first line, without its line end).
Result<std::string> read_passphrase_file(const std::filesystem::path& path);

}  // namespace lontar::agent
