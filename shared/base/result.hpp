// result.hpp — errors as values.
// Every function that can fail at a boundary (bad input, I/O, crypto) returns
// Result<T>: either a value or an Error that says what went wrong, where, and
// what to do about it. Exceptions do not cross module boundaries.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace lontar {

// Stable error categories. Programs map them to exit codes, and callers decide by
// them (a switch on the code), never by an error's text.
enum class Code {
  bad_input,        // the caller's input is malformed or violates a rule
  not_found,        // a thing that was named does not exist
  conflict,         // the request contradicts existing state (e.g. equivocation)
  unauthorized,     // signature, key or role does not allow this
  io,               // the file system or network failed
  corrupt,          // stored or received data fails an integrity check
  pin_mismatch,     // a server's key (TLS or log) is not the one pinned: maybe not our server at all
  history_changed,  // a log's signed history does not extend the one trusted before (Error::evidence)
  stale_store,      // this store is older than what the server acknowledged (restored from an older copy)
  internal,         // a bug: an invariant did not hold
};

const char* code_name(Code code);

struct Error {
  Code code = Code::internal;
  std::string message;
  // bad_input about one field of the input (a CSV column, a JSON member): its
  // name, so that a report can point at it; empty when the error is not about one.
  std::string field;
  // history_changed: the signed notes that contradict each other, the trusted one
  // first, as received (either may be empty when it was not at hand).
  std::vector<std::string> evidence;

  Error() = default;
  Error(Code c, std::string m) : code(c), message(std::move(m)) {}

  // Prefixes the message with where it happened: "context: message".
  Error& prefix(const std::string& context) {
    message = context + ": " + message;
    return *this;
  }
  // Marks the error as about input field `name` (see `field`).
  Error& in_field(std::string_view name) {
    field = name;
    return *this;
  }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    assert(!ok_);
    return error_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace lontar

// Propagates an error from an expression that yields a Result.
#define LONTAR_TRY(expr)                                                        \
  do {                                                                          \
    auto lontar_try_result_ = (expr);                                           \
    if (!lontar_try_result_.ok()) return std::move(lontar_try_result_).error(); \
  } while (0)

#define LONTAR_CONCAT_INNER_(a, b) a##b
#define LONTAR_CONCAT_(a, b) LONTAR_CONCAT_INNER_(a, b)
// Declares `decl` from the value of a Result, or returns its error.
#define LONTAR_ASSIGN(decl, expr) LONTAR_ASSIGN_IMPL_(LONTAR_CONCAT_(lontar_r_, __LINE__), decl, expr)
#define LONTAR_ASSIGN_IMPL_(tmp, decl, expr)    \
  auto tmp = (expr);                            \
  if (!tmp.ok()) return std::move(tmp).error(); \
  decl = std::move(tmp).value()
