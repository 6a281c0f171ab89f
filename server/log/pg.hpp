// pg.hpp — a thin typed layer over libpq for the PostgreSQL log store (pg_storage.hpp).
//
// One Conn is one PostgreSQL session, used by one thread at a time. Every query is sent
// with binary parameters and asks for binary results: integers are BIGINT (int8), byte
// strings BYTEA, text TEXT — the schema (pg_schema/*.sql) uses only these, so that
// reading a column never parses text. Each distinct SQL text is prepared once per
// session (server-side prepared statements) and reused.
//
// A lost session (PostgreSQL restarted, the network cut): the failing call returns
// Code::io ("unreachable, try again"); the next call reconnects (PQreset) and prepares
// its statements again. Whatever lived in the lost session — an open transaction, a
// session advisory lock — is gone: generation() changes, so that a caller holding such
// things can notice.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace lontar::server::pg {

// True for "postgresql://..." and "postgres://..." (libpq connection URIs).
bool is_url(std::string_view location);

// The URL without its password, for messages.
std::string redacted(std::string_view url);

// Query parameters, in order ($1, $2, ...).
class Params {
 public:
  Params& i64(std::int64_t v);
  Params& u64(std::uint64_t v) { return i64(static_cast<std::int64_t>(v)); }
  Params& text(std::string_view v);
  Params& bytes(ByteView v);
  // One-dimensional arrays (int8[], text[], bytea[]) in the binary array format, for
  // multi-row writes: INSERT ... SELECT * FROM unnest($1::bigint[], $2::bytea[]).
  Params& i64_array(const std::vector<std::int64_t>& v);
  Params& text_array(const std::vector<std::string>& v);
  Params& bytes_array(const std::vector<Bytes>& v);

  std::size_t size() const { return types_.size(); }
  const Oid* types() const { return types_.data(); }
  std::vector<const char*> values() const;
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }
  // The parameters' types, as the key of a prepared statement.
  std::string signature() const;

 private:
  template <class Range, class Put>
  Params& array(Oid array_type, Oid element_type, const Range& v, Put put);

  std::vector<Oid> types_;
  std::vector<std::string> storage_;
  std::vector<int> lengths_, formats_;
};

// One result (rows of binary columns). Column types must be the schema's: int8, bytea, text, bool.
class Rows {
 public:
  explicit Rows(PGresult* r) : r_(r, &PQclear) {}
  int size() const { return PQntuples(r_.get()); }
  bool null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::int64_t i64(int row, int col) const;
  std::uint64_t u64(int row, int col) const { return static_cast<std::uint64_t>(i64(row, col)); }
  bool boolean(int row, int col) const;
  std::string text(int row, int col) const;
  ByteView view(int row, int col) const;
  Bytes bytes(int row, int col) const;
  Hash hash(int row, int col) const;  // zero unless exactly 32 bytes

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_;
};

class Conn {
 public:
  // Connects to `url`; errors name redacted(url).
  static Result<std::unique_ptr<Conn>> connect(const std::string& url);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Runs one or more statements without parameters (schema, BEGIN, COMMIT ...).
  Status exec(std::string_view sql);
  // Runs one statement with parameters; returns its rows (none for a write).
  Result<Rows> query(std::string_view sql, const Params& params = {});
  // LISTEN-ed notifications arrived (consumed); waits at most `timeout_ms` on the socket first.
  Result<bool> wait_notification(int timeout_ms);

  // Changes whenever the session was re-established.
  std::uint64_t generation() const { return generation_; }
  bool in_transaction() const;
  const std::string& name() const { return name_; }
  PGconn* native() { return c_; }

 private:
  Conn(PGconn* c, std::string name) : c_(c), name_(std::move(name)) {}
  Status ensure_connected();
  Error error_of(PGresult* r, std::string_view what);

  PGconn* c_;
  std::string name_;
  std::uint64_t generation_ = 1;
  std::unordered_map<std::string, std::string> prepared_;  // sql + signature -> statement name
};

}  // namespace lontar::server::pg
