#include "log/pg.hpp"

#include <endian.h>
#include <poll.h>

#include <cstring>

namespace lontar::server::pg {
namespace {

constexpr Oid int8_oid = 20, bytea_oid = 17, text_oid = 25;
constexpr Oid int8_array_oid = 1016, bytea_array_oid = 1001, text_array_oid = 1009;

void put_be32(std::string& out, std::uint32_t v) {
  const std::uint32_t be = htobe32(v);
  out.append(reinterpret_cast<const char*>(&be), sizeof be);
}

// SQLSTATE classes that mean "the database is (momentarily) not there": the caller may try again.
bool transient(std::string_view state) {
  return state.starts_with("08") || state.starts_with("57P") || state.starts_with("53") || state == "40001" ||
         state == "40P01";
}

}  // namespace

bool is_url(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::string redacted(std::string_view url) {
  std::string out(url);
  // postgresql://user:password@host/...: drop ":password".
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto at = out.find('@', scheme + 3);
    const auto colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) out.erase(colon, at - colon);
  }
  // ...?password=...: drop the value.
  for (auto p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    const auto end = out.find('&', p);
    out.replace(p + 9, end == std::string::npos ? std::string::npos : end - p - 9, "***");
  }
  return out;
}

// ---------------------------------------------------------------- Params

Params& Params::i64(std::int64_t v) {
  const std::uint64_t be = htobe64(static_cast<std::uint64_t>(v));
  storage_.emplace_back(reinterpret_cast<const char*>(&be), sizeof be);
  types_.push_back(int8_oid);
  lengths_.push_back(sizeof be);
  formats_.push_back(1);
  return *this;
}
Params& Params::text(std::string_view v) {
  storage_.emplace_back(v);
  types_.push_back(text_oid);
  lengths_.push_back(static_cast<int>(v.size()));
  formats_.push_back(1);
  return *this;
}
Params& Params::bytes(ByteView v) {
  storage_.emplace_back(as_chars(v));
  types_.push_back(bytea_oid);
  lengths_.push_back(static_cast<int>(v.size()));
  formats_.push_back(1);
  return *this;
}
// PostgreSQL's binary array: ndim, has-nulls flag, element type, (length, lower bound) per
// dimension, then each element as its length and bytes.
template <class Range, class Put>
Params& Params::array(Oid array_type, Oid element_type, const Range& v, Put put) {
  std::string out;
  put_be32(out, v.empty() ? 0 : 1);
  put_be32(out, 0);
  put_be32(out, element_type);
  if (!v.empty()) {
    put_be32(out, static_cast<std::uint32_t>(v.size()));
    put_be32(out, 1);
  }
  for (const auto& e : v) put(out, e);
  lengths_.push_back(static_cast<int>(out.size()));
  storage_.push_back(std::move(out));
  types_.push_back(array_type);
  formats_.push_back(1);
  return *this;
}
Params& Params::i64_array(const std::vector<std::int64_t>& v) {
  return array(int8_array_oid, int8_oid, v, [](std::string& out, std::int64_t e) {
    put_be32(out, 8);
    const std::uint64_t be = htobe64(static_cast<std::uint64_t>(e));
    out.append(reinterpret_cast<const char*>(&be), sizeof be);
  });
}
Params& Params::text_array(const std::vector<std::string>& v) {
  return array(text_array_oid, text_oid, v, [](std::string& out, const std::string& e) {
    put_be32(out, static_cast<std::uint32_t>(e.size()));
    out.append(e);
  });
}
Params& Params::bytes_array(const std::vector<Bytes>& v) {
  return array(bytea_array_oid, bytea_oid, v, [](std::string& out, const Bytes& e) {
    put_be32(out, static_cast<std::uint32_t>(e.size()));
    out.append(as_chars(e));
  });
}

std::vector<const char*> Params::values() const {
  std::vector<const char*> out;
  out.reserve(storage_.size());
  for (const auto& s : storage_) out.push_back(s.data());
  return out;
}
std::string Params::signature() const {
  std::string s;
  for (Oid t : types_) s += std::to_string(t) + ",";
  return s;
}

// ---------------------------------------------------------------- Rows

std::int64_t Rows::i64(int row, int col) const {
  const char* v = PQgetvalue(r_.get(), row, col);
  const int n = PQgetlength(r_.get(), row, col);
  if (n == 8) {
    std::uint64_t be = 0;
    std::memcpy(&be, v, 8);
    return static_cast<std::int64_t>(be64toh(be));
  }
  if (n == 4) {
    std::uint32_t be = 0;
    std::memcpy(&be, v, 4);
    return static_cast<std::int32_t>(be32toh(be));
  }
  return 0;
}
bool Rows::boolean(int row, int col) const {
  return PQgetlength(r_.get(), row, col) == 1 && PQgetvalue(r_.get(), row, col)[0] != 0;
}
std::string Rows::text(int row, int col) const {
  return std::string(PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
}
ByteView Rows::view(int row, int col) const {
  return {reinterpret_cast<const std::uint8_t*>(PQgetvalue(r_.get(), row, col)),
          static_cast<std::size_t>(PQgetlength(r_.get(), row, col))};
}
Bytes Rows::bytes(int row, int col) const {
  const ByteView v = view(row, col);
  return Bytes(v.begin(), v.end());
}
Hash Rows::hash(int row, int col) const {
  Hash h{};
  const ByteView v = view(row, col);
  if (v.size() == h.size()) std::memcpy(h.data(), v.data(), h.size());
  return h;
}

// ---------------------------------------------------------------- Conn

Result<std::unique_ptr<Conn>> Conn::connect(const std::string& url) {
  PGconn* c = PQconnectdb(url.c_str());
  std::string name = redacted(url);
  if (c == nullptr) return Error{Code::io, "PostgreSQL " + name + ": out of memory connecting"};
  if (PQstatus(c) != CONNECTION_OK) {
    std::string why = PQerrorMessage(c);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    PQfinish(c);
    return Error{Code::io, "PostgreSQL " + name + " is unreachable (" + why +
                               "); check [store] url and that PostgreSQL runs, then try again"};
  }
  auto conn = std::unique_ptr<Conn>(new Conn(c, std::move(name)));
  // Quiet NOTICEs (CREATE ... IF NOT EXISTS) and a deterministic session.
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  LONTAR_TRY(conn->exec("SET client_min_messages = warning; SET synchronous_commit = on"));
  return conn;
}

Conn::~Conn() { PQfinish(c_); }

bool Conn::in_transaction() const { return PQtransactionStatus(c_) != PQTRANS_IDLE; }

Status Conn::ensure_connected() {
  if (PQstatus(c_) == CONNECTION_OK) return {};
  PQreset(c_);
  if (PQstatus(c_) != CONNECTION_OK) {
    std::string why = PQerrorMessage(c_);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return Error{Code::io, "PostgreSQL " + name_ + " is unreachable (" + why + "); try again"};
  }
  ++generation_;
  prepared_.clear();
  PQsetNoticeProcessor(
      c_, [](void*, const char*) {}, nullptr);
  return {};
}

Error Conn::error_of(PGresult* r, std::string_view what) {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string why = r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(c_);
  if (why.empty()) why = PQerrorMessage(c_);
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  const std::string_view s = state != nullptr ? state : "";
  std::string head = "PostgreSQL " + name_ + ": " + std::string(what.substr(0, 80)) + ": " + why;
  if (PQstatus(c_) != CONNECTION_OK || s.empty() || transient(s)) {
    return Error{Code::io, head + " (unreachable or busy; try again)"};
  }
  if (s.starts_with("23")) return Error{Code::conflict, head};
  return Error{Code::io, head};
}

Status Conn::exec(std::string_view sql) {
  LONTAR_TRY(ensure_connected());
  const std::string text(sql);
  PGresult* r = PQexec(c_, text.c_str());
  const auto st = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    Error e = error_of(r, sql);
    PQclear(r);
    return e;
  }
  PQclear(r);
  return {};
}

Result<Rows> Conn::query(std::string_view sql, const Params& params) {
  LONTAR_TRY(ensure_connected());
  std::string key(sql);
  key += '\x01';
  key += params.signature();
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    std::string name = "l" + std::to_string(prepared_.size() + 1);
    const std::string text(sql);
    PGresult* r = PQprepare(c_, name.c_str(), text.c_str(), static_cast<int>(params.size()), params.types());
    if (r == nullptr || PQresultStatus(r) != PGRES_COMMAND_OK) {
      Error e = error_of(r, sql);
      PQclear(r);
      return e;
    }
    PQclear(r);
    it = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  const auto values = params.values();
  PGresult* r = PQexecPrepared(c_, it->second.c_str(), static_cast<int>(params.size()), values.data(), params.lengths(),
                               params.formats(), 1);
  const auto st = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    Error e = error_of(r, sql);
    PQclear(r);
    return e;
  }
  return Rows(r);
}

Result<bool> Conn::wait_notification(int timeout_ms) {
  LONTAR_TRY(ensure_connected());
  auto drain = [this] {
    bool any = false;
    while (PGnotify* n = PQnotifies(c_)) {
      any = true;
      PQfreemem(n);
    }
    return any;
  };
  if (PQconsumeInput(c_) == 0) return Error{Code::io, "PostgreSQL " + name_ + ": connection lost; try again"};
  if (drain()) return true;
  pollfd fd{PQsocket(c_), POLLIN, 0};
  if (fd.fd < 0) return Error{Code::io, "PostgreSQL " + name_ + ": connection lost; try again"};
  if (::poll(&fd, 1, timeout_ms) <= 0) return false;
  if (PQconsumeInput(c_) == 0) return Error{Code::io, "PostgreSQL " + name_ + ": connection lost; try again"};
  return drain();
}

}  // namespace lontar::server::pg
