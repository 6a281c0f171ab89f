#include "server/http/routes.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <limits>
#include <map>

#include "encoding/encoding.hpp"
#include "protocol/ledger.hpp"
#include "protocol/protocol.hpp"

namespace lontar::server::http {

namespace {

constexpr std::string_view binary_type = "application/octet-stream";
constexpr std::string_view json_type = "application/json";
constexpr std::string_view metrics_type = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::size_t query_params_max = 8;
constexpr std::string_view immutable = "public, max-age=31536000, immutable";  // hash tiles only
// Entry bundles and the feed carry personal data: no shared cache may keep them.
constexpr std::string_view personal = "private, no-store";

enum class Route { healthz, metrics, checkpoint, tile, office_head, feed, inclusion, consistency, push, ledger, none };

struct Target {
  std::string_view path;
  std::string_view query;
};

Target split_target(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

Route route_of(std::string_view path) {
  if (path == "/healthz") return Route::healthz;
  if (path == "/metrics") return Route::metrics;
  if (path == "/checkpoint") return Route::checkpoint;
  if (path.rfind("/tile/", 0) == 0) return Route::tile;
  if (path == "/v1/push") return Route::push;
  if (path == "/v1/ledger") return Route::ledger;
  if (path == "/v1/feed") return Route::feed;
  if (path == "/v1/proof/inclusion") return Route::inclusion;
  if (path == "/v1/proof/consistency") return Route::consistency;
  constexpr std::string_view offices = "/v1/offices/", head = "/head";
  if (path.size() > offices.size() + head.size() && path.rfind(offices, 0) == 0 &&
      path.substr(path.size() - head.size()) == head) {
    return Route::office_head;
  }
  return Route::none;
}

bool is_entry_tile(std::string_view path) { return path.rfind("/tile/entries/", 0) == 0; }

// Resources that reveal no personal data (DESIGN.md, Personal data): servable to
// anyone when the server is configured to allow it.
bool is_public(Route r, std::string_view path) {
  return r == Route::healthz || r == Route::metrics || r == Route::checkpoint || r == Route::ledger ||
         (r == Route::tile && !is_entry_tile(path));
}

Reply ok(std::string_view type, std::string body) {
  Reply r;
  r.content_type = std::string(type);
  r.body = std::move(body);
  return r;
}

template <class T>
Reply encoded(const Result<T>& value) {
  if (!value.ok()) return error_reply(value.error());
  auto bytes = encoding::encode(*value);
  if (!bytes.ok()) return error_reply(Error{Code::internal, "cannot encode the response: " + bytes.error().message});
  return ok(binary_type, std::string(as_chars(*bytes)));
}

// Query parameters: unsigned integers only, each named at most once, none unknown.
class Query {
 public:
  static Result<Query> parse(std::string_view text, std::initializer_list<std::string_view> known) {
    Query q;
    std::size_t count = 0;
    while (!text.empty()) {
      auto amp = text.find('&');
      std::string_view part = text.substr(0, amp);
      text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
      if (part.empty()) continue;
      if (++count > query_params_max) return Error{Code::bad_input, "too many query parameters"};
      auto eq = part.find('=');
      std::string_view name = part.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        return Error{Code::bad_input, fmt::format("unknown query parameter '{}'", name.substr(0, 32))};
      }
      std::uint64_t v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (value.empty() || ec != std::errc() || p != value.data() + value.size()) {
        return Error{Code::bad_input, fmt::format("query parameter '{}' must be an unsigned integer, not '{}'", name,
                                                  value.substr(0, 32))};
      }
      if (!q.values_.emplace(std::string(name), v).second) {
        return Error{Code::bad_input, fmt::format("query parameter '{}' is given twice", name)};
      }
    }
    return q;
  }

  Result<std::uint64_t> required(std::string_view name) const {
    auto it = values_.find(std::string(name));
    if (it == values_.end()) return Error{Code::bad_input, fmt::format("query parameter '{}' is required", name)};
    return it->second;
  }
  bool has(std::string_view name) const { return values_.count(std::string(name)) != 0; }
  std::uint64_t get_or(std::string_view name, std::uint64_t fallback) const {
    auto it = values_.find(std::string(name));
    return it == values_.end() ? fallback : it->second;
  }

 private:
  std::map<std::string, std::uint64_t> values_;
};

bool valid_principal_id(std::string_view id) {
  if (id.empty() || id.size() > domain::principal_id_bytes_max) return false;
  for (char c : id) {
    bool okc =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!okc) return false;
  }
  return true;
}

std::string prometheus(const Metrics& m) {
  std::string out;
  auto line = [&out](std::string_view name, std::string_view type, std::string_view help, std::uint64_t value) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, value);
  };
  line("lontar_tree_size", "gauge", "Leaves in the central log.", m.tree_size);
  line("lontar_pushes_total", "counter", "Push requests handled.", m.pushes_total);
  line("lontar_entries_integrated_total", "counter", "Entries appended to the log.", m.entries_integrated_total);
  line("lontar_entries_replayed_total", "counter", "Entries re-sent and answered with their earlier receipt.",
       m.entries_replayed_total);
  line("lontar_equivocations_total", "counter", "Different entries pushed under a seq already logged (alarm).",
       m.equivocations_total);
  line("lontar_batches_refused_total", "counter", "Push batches refused.", m.batches_refused_total);
  line("lontar_integrations_total", "counter", "Group commits (one signed checkpoint each).", m.integrations_total);
  line("lontar_verdicts_rejected_total", "counter", "Entries logged with a rejected verdict.",
       m.verdicts_rejected_total);
  line("lontar_verdicts_flagged_total", "counter", "Entries logged with a flagged verdict.", m.verdicts_flagged_total);
  line("lontar_scrub_leaves_per_second", "gauge", "The background scrub's configured rate (0: off).",
       m.scrub_leaves_per_second);
  line("lontar_scrub_leaves_checked_total", "counter", "Leaves re-read and re-hashed by the background scrub.",
       m.scrub_leaves_checked_total);
  line("lontar_scrub_passes_total", "counter", "Complete background scrub passes over the log.", m.scrub_passes_total);
  line("lontar_scrub_last_pass_completed_seconds", "gauge",
       "Unix time the last complete scrub pass ended (0: none since start).", m.scrub_last_pass_completed_seconds);
  line("lontar_scrub_damage", "gauge", "1: the scrub found stored data that does not match the signed tree (alarm).",
       m.scrub_damage);
  line("lontar_integrator_invariant_broken", "gauge", "1: the integrator found a broken invariant (alarm).",
       m.integrator_invariant_broken);
  line("lontar_signing_stopped", "gauge", "1: the log signs no checkpoint and refuses pushes with 503 (alarm).",
       m.signing_stopped);
  return out;
}

// Whether `access` may use `route`; an error reply saying why not.
std::optional<Reply> refuse(const Access& access, Route route, std::string_view path) {
  if (!access.caller) {
    if (access.public_without_certificate && is_public(route, path)) return std::nullopt;
    if (access.auth_error) {
      return error_reply(
          503, "cannot check the client certificate's key now (" + access.auth_error->message + "); try again later");
    }
    if (!access.key) {
      return error_reply(403, fmt::format("{} needs a client certificate carrying a registered principal's key; "
                                          "configure this client's certificate and key",
                                          path));
    }
    return error_reply(403, fmt::format("the key {} in your client certificate is not registered, or has been "
                                        "revoked; ask the server's admin to register it (key {}), or use the "
                                        "certificate and key of a registered principal",
                                        crypto::fingerprint(*access.key), to_hex(*access.key)));
  }
  const domain::Role role = access.caller->role;
  if (route == Route::push && role == domain::Role::auditor) {
    return error_reply(403, fmt::format("principal '{}' is an auditor; auditors read the log but cannot push",
                                        access.caller->principal));
  }
  if (route == Route::tile && is_entry_tile(path) && role == domain::Role::office) {
    return error_reply(403, fmt::format("entry bundles hold personal data and are served to auditors and admins "
                                        "only; principal '{}' is an office: use /v1/feed",
                                        access.caller->principal));
  }
  return std::nullopt;
}

// GET /v1/ledger: public parameters to anyone allowed here; the caller's own
// principal and the NIK key only to a registered principal.
Reply ledger_reply(const Access& access, const LedgerInfo* ledger) {
  if (!ledger) return error_reply(404, "this server does not publish its ledger parameters");
  protocol::Ledger body{ledger->origin, ledger->verifier_key, std::nullopt};
  if (access.caller) {
    body.caller = protocol::Ledger::Caller{access.caller->principal, access.caller->role, ledger->nik_key};
  }
  Reply r = ok(json_type, protocol::encode_json(body));
  r.cache_control = "no-store";
  return r;
}

Reply dispatch(LogService& service, const Access& access, Route route, const Target& t, std::string_view body,
               const std::function<std::string()>& http_metrics, const LedgerInfo* ledger) {
  switch (route) {
    case Route::ledger:
      return ledger_reply(access, ledger);
    case Route::healthz:
      return ok("text/plain; charset=utf-8", "ok\n");
    case Route::metrics:
      return ok(metrics_type, prometheus(service.metrics()) + (http_metrics ? http_metrics() : std::string()));
    case Route::checkpoint: {
      Reply r = ok("text/plain; charset=utf-8", service.checkpoint());
      r.cache_control = "no-cache";
      return r;
    }
    case Route::tile: {
      std::string_view path = t.path.substr(1);  // "tile/..."
      if (path.size() > tile_path_bytes_max) return error_reply(404, "no such tile");
      auto tile = service.tile(path);
      if (!tile.ok()) return error_reply(tile.error());
      Reply r = ok(binary_type, std::string(as_chars(*tile)));
      if (is_entry_tile(t.path)) {
        r.cache_control = std::string(personal);
      } else if (path.find(".p/") == std::string_view::npos) {
        r.cache_control = std::string(immutable);
      }
      return r;
    }
    case Route::office_head: {
      constexpr std::size_t prefix = std::string_view("/v1/offices/").size();
      std::string_view id = t.path.substr(prefix, t.path.size() - prefix - std::string_view("/head").size());
      if (!valid_principal_id(id)) {
        return error_reply(400, fmt::format("'{}' is not a principal id (1 to {} letters, digits, '-', '_', '.')",
                                            id.substr(0, 64), domain::principal_id_bytes_max));
      }
      auto head = service.head(id);
      if (!head.ok()) return error_reply(head.error());
      return ok(json_type, protocol::encode_json(protocol::OfficeHead{std::string(id), head->first, head->second}));
    }
    case Route::feed: {
      // `from` is the first leaf index wanted; `after` (DESIGN.md's name) the last one
      // the caller already holds. Exactly one of them.
      auto q = Query::parse(t.query, {"from", "after", "limit"});
      if (!q.ok()) return error_reply(q.error());
      const bool has_after = q->has("after");
      if (has_after == q->has("from")) {
        return error_reply(400,
                           "give exactly one of 'from' (the first leaf index wanted) or 'after' (the last leaf "
                           "index already held)");
      }
      auto from = has_after ? q->required("after") : q->required("from");
      if (!from.ok()) return error_reply(from.error());
      if (has_after) {
        if (*from == std::numeric_limits<std::uint64_t>::max()) return error_reply(400, "'after' is out of range");
        *from += 1;
      }
      std::uint64_t limit = q->get_or("limit", protocol::feed_items_max);
      if (limit == 0 || limit > protocol::feed_items_max) {
        return error_reply(400, fmt::format("limit must be 1 to {}", protocol::feed_items_max));
      }
      Reply r = encoded(service.feed(*access.caller, *from, static_cast<std::size_t>(limit)));
      r.cache_control = std::string(personal);
      return r;
    }
    case Route::inclusion: {
      auto q = Query::parse(t.query, {"index", "size"});
      if (!q.ok()) return error_reply(q.error());
      auto index = q->required("index");
      auto size = q->required("size");
      if (!index.ok()) return error_reply(index.error());
      if (!size.ok()) return error_reply(size.error());
      return encoded(service.inclusion_proof(*index, *size));
    }
    case Route::consistency: {
      auto q = Query::parse(t.query, {"old", "new"});
      if (!q.ok()) return error_reply(q.error());
      auto old_size = q->required("old");
      auto new_size = q->required("new");
      if (!old_size.ok()) return error_reply(old_size.error());
      if (!new_size.ok()) return error_reply(new_size.error());
      return encoded(service.consistency_proof(*old_size, *new_size));
    }
    case Route::push: {
      auto batch = encoding::decode<chain::Batch>(as_bytes(body), "push batch");
      if (!batch.ok()) return error_reply(batch.error());
      if (batch->principal != access.caller->principal) {
        return error_reply(403, fmt::format("the batch is for principal '{}' but this connection is principal '{}'; "
                                            "push with that principal's certificate",
                                            batch->principal.substr(0, 64), access.caller->principal));
      }
      return encoded(service.push(*access.caller, std::move(*batch)));
    }
    case Route::none:
      break;
  }
  return error_reply(404, "no such resource");
}

}  // namespace

int status_for(Code code) {
  switch (code) {
    case Code::bad_input:
      return 400;
    case Code::unauthorized:
    case Code::pin_mismatch:
      return 403;
    case Code::not_found:
      return 404;
    case Code::conflict:
      return 409;
    case Code::io:
      return 503;
    case Code::corrupt:
    case Code::history_changed:
    case Code::stale_store:
    case Code::internal:
      return 500;
  }
  return 500;
}

Reply error_reply(int status, std::string_view message) {
  Reply r;
  r.status = status;
  r.body = std::string(message) + "\n";
  return r;
}

Reply error_reply(const Error& error) { return error_reply(status_for(error.code), error.message); }

std::size_t body_limit_for(std::string_view method, std::string_view target, std::size_t push_body_bytes_max) {
  if (method == "POST" && split_target(target).path == "/v1/push") return push_body_bytes_max;
  return request_body_bytes_max;
}

std::optional<Reply> check(const Access& access, std::string_view method, std::string_view target) {
  if (target.size() > target_bytes_max) return error_reply(414, "the request target is too long");
  const Target t = split_target(target);
  const Route route = route_of(t.path);
  if (route == Route::none) {
    return error_reply(404, fmt::format("no such resource: {}; see docs/PROTOCOL.md", t.path.substr(0, 128)));
  }
  const bool post = route == Route::push;
  if (method != (post ? "POST" : "GET")) {
    Reply r = error_reply(405, fmt::format("{} takes {}", t.path.substr(0, 128), post ? "POST" : "GET"));
    r.allow = post ? "POST" : "GET";
    return r;
  }
  return refuse(access, route, t.path);
}

Reply handle(LogService& service, const Access& access, std::string_view method, std::string_view target,
             std::string_view body, const std::function<std::string()>& http_metrics, const LedgerInfo* ledger) {
  if (auto refusal = check(access, method, target)) return *refusal;
  const Target t = split_target(target);
  try {
    return dispatch(service, access, route_of(t.path), t, body, http_metrics, ledger);
  } catch (const std::exception& e) {
    spdlog::error("http: {} {}: unexpected exception: {}", method, t.path, e.what());
    return error_reply(500, "internal error; the server's log has details");
  }
}

}  // namespace lontar::server::http
