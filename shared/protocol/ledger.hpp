// ledger.hpp — the JSON bodies of GET /v1/ledger and GET /v1/offices/<id>/head
// (docs/PROTOCOL.md), each with its one encoder (the server's) and one decoder
// (every client's). Decoding is strict about types and lengths and ignores members
// it does not know, so that a later server may add some.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "domain/domain.hpp"

namespace lontar::protocol {

// A JSON body larger than this is refused before it is parsed.
constexpr std::size_t json_body_bytes_max = 64 << 10;

// GET /v1/ledger: the log's public parameters to anyone allowed to ask, and to a
// registered principal who it is and the ledger's NIK key.
struct Ledger {
  std::string origin;        // the checkpoints' origin line
  std::string verifier_key;  // the log's note verifier key (note::Verifier text)
  struct Caller {
    std::string principal;
    domain::Role role = domain::Role::office;
    Hash nik_key{};  // the ledger's key for redacted NIKs (rules.hpp)
  };
  std::optional<Caller> caller;  // none when the caller is not registered
};
std::string encode_json(const Ledger& ledger);
// Code::corrupt naming the member when `json` is not a /v1/ledger body.
Result<Ledger> decode_ledger(std::string_view json);

// GET /v1/offices/<id>/head: the last seq of a principal's chain in the log and its
// entry hash (seq 0 and a zero hash when the log holds none of its entries).
struct OfficeHead {
  std::string principal;
  std::uint64_t seq = 0;
  Hash head{};
};
std::string encode_json(const OfficeHead& head);
Result<OfficeHead> decode_office_head(std::string_view json);

}  // namespace lontar::protocol
