#include "protocol/ledger.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace lontar::protocol {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Member `name` of `object` as type T, or an Error naming it.
template <class T>
Result<T> member(const json& object, std::string_view body, std::string_view name) {
  auto it = object.find(name);
  if (it == object.end()) return Error{Code::corrupt, fmt::format("{}: member '{}' is missing", body, name)};
  if constexpr (std::is_same_v<T, std::string>) {
    if (it->is_string()) return it->get<std::string>();
    return Error{Code::corrupt, fmt::format("{}: member '{}' is not a string", body, name)};
  } else {
    if (it->is_number_unsigned()) return it->get<T>();
    return Error{Code::corrupt, fmt::format("{}: member '{}' is not an unsigned integer", body, name)};
  }
}

Result<Hash> hash_member(const json& object, std::string_view body, std::string_view name) {
  LONTAR_ASSIGN(std::string hex, member<std::string>(object, body, name));
  auto h = hash_from_hex(hex);
  if (!h.ok()) return Error{Code::corrupt, fmt::format("{}: member '{}' is not 64 hex digits", body, name)};
  return *h;
}

Result<json> parse_object(std::string_view text, std::string_view body) {
  if (text.size() > json_body_bytes_max) {
    return Error{Code::corrupt,
                 fmt::format("{}: {} bytes, above the limit of {}", body, text.size(), json_body_bytes_max)};
  }
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Error{Code::corrupt, fmt::format("{}: not a JSON object", body)};
  }
  return j;
}

std::string dump(const ordered_json& j) {
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

constexpr std::string_view ledger_body = "the server's /v1/ledger answer";
constexpr std::string_view head_body = "the server's head answer";

}  // namespace

std::string encode_json(const Ledger& ledger) {
  ordered_json j;
  j["origin"] = ledger.origin;
  j["verifier_key"] = ledger.verifier_key;
  if (ledger.caller) {
    j["principal"] = ledger.caller->principal;
    j["role"] = domain::role_name(ledger.caller->role);
    j["nik_key"] = to_hex(ledger.caller->nik_key);
  }
  return dump(j);
}

Result<Ledger> decode_ledger(std::string_view text) {
  LONTAR_ASSIGN(json j, parse_object(text, ledger_body));
  Ledger out;
  LONTAR_ASSIGN(out.origin, member<std::string>(j, ledger_body, "origin"));
  LONTAR_ASSIGN(out.verifier_key, member<std::string>(j, ledger_body, "verifier_key"));
  if (!j.contains("principal")) return out;
  Ledger::Caller caller;
  LONTAR_ASSIGN(caller.principal, member<std::string>(j, ledger_body, "principal"));
  LONTAR_ASSIGN(std::string role, member<std::string>(j, ledger_body, "role"));
  auto r = domain::parse_role(role);
  if (!r.ok()) return Error{Code::corrupt, fmt::format("{}: member 'role': {}", ledger_body, r.error().message)};
  caller.role = *r;
  LONTAR_ASSIGN(caller.nik_key, hash_member(j, ledger_body, "nik_key"));
  out.caller = std::move(caller);
  return out;
}

std::string encode_json(const OfficeHead& head) {
  ordered_json j;
  j["principal"] = head.principal;
  j["seq"] = head.seq;
  j["head"] = to_hex(head.head);
  return dump(j);
}

Result<OfficeHead> decode_office_head(std::string_view text) {
  LONTAR_ASSIGN(json j, parse_object(text, head_body));
  OfficeHead out;
  LONTAR_ASSIGN(out.principal, member<std::string>(j, head_body, "principal"));
  LONTAR_ASSIGN(out.seq, member<std::uint64_t>(j, head_body, "seq"));
  LONTAR_ASSIGN(out.head, hash_member(j, head_body, "head"));
  return out;
}

}  // namespace lontar::protocol
