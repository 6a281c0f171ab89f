// admin.hpp — admin commands over HTTPS: the admin is a principal like an office.
//
// An admin command connects with mutual TLS as the admin principal (a certificate
// over the admin key), learns its principal id from GET /v1/ledger and its chain
// head from GET /v1/offices/<id>/head — so the admin keeps no local chain state
// that could be lost — writes ONE entry after that head, seals it with the admin
// key and pushes it like any office batch. The receipt is checked: the checkpoint
// must carry the log's signature and the entry's leaf must be included in it.
//
// Two admin commands must not run at the same time with the same key: both would
// write the same seq, and the second is equivocation (refused and alarmed). A lock
// file beside the admin key (<key>.lock) serialises commands on one machine.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "base/result.hpp"
#include "chain/chain.hpp"
#include "crypto/crypto.hpp"
#include "domain/domain.hpp"
#include "net/client.hpp"
#include "note/checkpoint.hpp"
#include "note/note.hpp"
#include "protocol/client.hpp"
#include "protocol/ledger.hpp"
#include "protocol/protocol.hpp"
#include "protocol/trusted_log.hpp"

namespace lontar::server::admin {

// How to reach and recognise the server, and who we are.
struct Connection {
  std::string url;                               // https://host:port
  std::string verifier_key;                      // the log's verifier key (pins the TLS key unless `ca_file`)
  std::optional<std::filesystem::path> ca_file;  // trust an organisation's CA instead of the pin
  std::filesystem::path key_file;                // the principal's private key (PEM)
  std::optional<std::string> passphrase;
};

// The outcome of one admin entry.
struct Submitted {
  chain::Entry entry;
  protocol::PushResponse response;
  note::Checkpoint checkpoint;  // opened with the log's key
};

class Session {
 public:
  // Reads the key, builds the TLS client; connects at the first request.
  static Result<std::unique_ptr<Session>> open(const Connection& c);

  // GET /v1/ledger; the log key it announces must be the pinned one (conflict).
  Result<protocol::Ledger> ledger();
  // GET `target`; a non-2xx status is an Error with the server's message.
  Result<net::Response> get(std::string_view target);
  // The latest checkpoint, opened with the log's verifier key.
  Result<note::Checkpoint> checkpoint();

  // Writes `payload` as the admin's next entry and pushes it (see above). Refuses
  // (unauthorized) when the key is not an admin principal's.
  Result<Submitted> submit(const domain::Payload& payload);

  const crypto::PrivateKey& key() const { return key_; }

 private:
  Session(crypto::PrivateKey key, net::Client client, note::Verifier verifier, std::filesystem::path lock_path)
      : key_(std::move(key)),
        client_(std::move(client)),
        log_(std::move(verifier), std::nullopt),
        lock_path_(std::move(lock_path)) {}
  // The checkpoint `note_text` opened with the log's key (Code::corrupt naming `what`).
  Result<note::Checkpoint> verified(std::string_view note_text, std::string_view what) const;

  crypto::PrivateKey key_;
  protocol::Client client_;
  protocol::TrustedLog log_;  // the pinned log key; admin commands keep no checkpoint between runs
  std::filesystem::path lock_path_;
};

// A public key given on the command line: 64 hex digits, or a file holding a
// certificate PEM or a "PUBLIC KEY" PEM. The error names the value or file.
Result<crypto::PublicKey> parse_public_key(const std::string& text);

}  // namespace lontar::server::admin
