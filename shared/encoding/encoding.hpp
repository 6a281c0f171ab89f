// encoding.hpp — cereal portable-binary encodings of the structs that leave a process.
//
// Every encoding starts with cereal's one-byte endianness flag (0x01: little endian),
// then the fields in declaration order: fixed-width integers little endian, fixed
// byte arrays raw, strings and vectors as a uint64 little-endian count followed by
// their bytes or elements. docs/FORMAT.md states each layout byte by byte.
//
// Decoding never trusts a length: every variable-length field is declared with a
// maximum (see `bounded`), checked before anything is allocated; truncated input,
// trailing bytes, out-of-range flags and over-long fields are errors, never a crash.
//
// Rules for struct authors:
//   - no bool, no std::optional, no raw std::string/std::vector fields in serialize():
//     use flag(), optional(), bounded() so that decoding stays strict;
//   - enums are `enum class X : std::uint8_t` (or uint16_t), written through checked().
#pragma once

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/array.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <type_traits>
#include <vector>

#include "base/bytes.hpp"

namespace lontar::encoding {

// Thrown inside decoding only; decode() turns it into an Error.
struct DecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace detail {
// A streambuf that appends to a byte vector.
class VectorSink : public std::streambuf {
 public:
  explicit VectorSink(Bytes& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.insert(out_.end(), reinterpret_cast<const std::uint8_t*>(s), reinterpret_cast<const std::uint8_t*>(s) + n);
    return n;
  }
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) out_.push_back(static_cast<std::uint8_t>(c));
    return c;
  }

 private:
  Bytes& out_;
};

// A read-only streambuf over a byte span.
class SpanSource : public std::streambuf {
 public:
  explicit SpanSource(ByteView in) {
    char* p = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
    setg(p, p, p + in.size());
  }
  std::size_t remaining() const { return static_cast<std::size_t>(egptr() - gptr()); }
};
}  // namespace detail

// A string or byte vector of at most `max` bytes, stored as a count and the raw bytes.
template <class Container>
struct BoundedRaw {
  Container& value;
  std::size_t max;
  const char* name;

  template <class Archive>
  void save(Archive& ar) const {
    if (value.size() > max) {
      throw DecodeError(std::string("field '") + name + "' has " + std::to_string(value.size()) +
                        " bytes, more than its limit " + std::to_string(max));
    }
    ar(static_cast<std::uint64_t>(value.size()));
    ar(cereal::binary_data(value.data(), value.size()));
  }
  template <class Archive>
  void load(Archive& ar) {
    std::uint64_t n = 0;
    ar(n);
    if (n > max) {
      throw DecodeError(std::string("field '") + name + "' claims " + std::to_string(n) +
                        " bytes, more than its limit " + std::to_string(max));
    }
    value.resize(static_cast<std::size_t>(n));
    ar(cereal::binary_data(value.data(), n));
  }
};
using BoundedString = BoundedRaw<std::string>;
using BoundedBytes = BoundedRaw<Bytes>;

// A vector of at most `max` elements, each encoded with its own serialize().
template <class T>
struct BoundedVector {
  static_assert(!std::is_same_v<T, std::string>, "wrap strings in a struct whose serialize() bounds them");
  std::vector<T>& value;
  std::size_t max;
  const char* name;

  template <class Archive>
  void save(Archive& ar) const {
    if (value.size() > max) {
      throw DecodeError(std::string("field '") + name + "' has " + std::to_string(value.size()) +
                        " elements, more than its limit " + std::to_string(max));
    }
    ar(static_cast<std::uint64_t>(value.size()));
    for (auto& v : value) ar(v);
  }
  template <class Archive>
  void load(Archive& ar) {
    std::uint64_t n = 0;
    ar(n);
    if (n > max) {
      throw DecodeError(std::string("field '") + name + "' claims " + std::to_string(n) +
                        " elements, more than its limit " + std::to_string(max));
    }
    value.clear();
    value.reserve(static_cast<std::size_t>(n));
    for (std::uint64_t i = 0; i < n; ++i) {
      value.emplace_back();
      ar(value.back());
    }
  }
};

// A bool as one byte, 0 or 1; any other byte is an error.
struct Flag {
  bool& value;
  const char* name;

  template <class Archive>
  void save(Archive& ar) const {
    ar(static_cast<std::uint8_t>(value ? 1 : 0));
  }
  template <class Archive>
  void load(Archive& ar) {
    std::uint8_t b = 0;
    ar(b);
    if (b > 1) throw DecodeError(std::string("field '") + name + "' is a flag but holds " + std::to_string(b));
    value = b == 1;
  }
};

// An optional value: a flag byte (0 absent, 1 present), then the value if present.
// `Wrap` turns a T& into the wrapper that encodes it (identity for fixed types).
template <class T, class Wrap>
struct OptionalField {
  std::optional<T>& value;
  const char* name;
  Wrap wrap;

  template <class Archive>
  void save(Archive& ar) const {
    ar(static_cast<std::uint8_t>(value ? 1 : 0));
    if (value) ar(wrap(*value));
  }
  template <class Archive>
  void load(Archive& ar) {
    std::uint8_t b = 0;
    ar(b);
    if (b > 1) throw DecodeError(std::string("field '") + name + "' presence byte holds " + std::to_string(b));
    if (b == 0) {
      value.reset();
      return;
    }
    value.emplace();
    ar(wrap(*value));
  }
};

// An enum stored as its underlying integer; on decode `valid` must accept it.
template <class E>
struct EnumField {
  E& value;
  bool (*valid)(E);
  const char* name;

  template <class Archive>
  void save(Archive& ar) const {
    ar(static_cast<std::underlying_type_t<E>>(value));
  }
  template <class Archive>
  void load(Archive& ar) {
    std::underlying_type_t<E> raw{};
    ar(raw);
    value = static_cast<E>(raw);
    if (!valid(value)) {
      throw DecodeError(std::string("field '") + name + "' holds unknown value " + std::to_string(raw));
    }
  }
};

template <class E>
EnumField<E> checked(E& e, bool (*valid)(E), const char* name) {
  return {e, valid, name};
}

inline BoundedString bounded(std::string& s, std::size_t max, const char* name) { return {s, max, name}; }
inline BoundedBytes bounded(Bytes& b, std::size_t max, const char* name) { return {b, max, name}; }
template <class T>
BoundedVector<T> bounded(std::vector<T>& v, std::size_t max, const char* name) {
  return {v, max, name};
}
inline Flag flag(bool& b, const char* name) { return {b, name}; }

// An optional fixed-size field (integers, arrays, structs with their own serialize()).
template <class T>
auto optional(std::optional<T>& v, const char* name) {
  auto id = [](T& x) -> T& { return x; };
  return OptionalField<T, decltype(id)>{v, name, id};
}
// An optional string of at most `max` bytes.
inline auto optional(std::optional<std::string>& v, std::size_t max, const char* name) {
  auto wrap = [max, name](std::string& x) { return BoundedString{x, max, name}; };
  return OptionalField<std::string, decltype(wrap)>{v, name, wrap};
}

// Encodes `value` (which has a serialize() or save()/load() member) as portable binary.
// Fails only when a field exceeds its declared limit.
template <class T>
Result<Bytes> encode(const T& value) {
  Bytes out;
  detail::VectorSink sink(out);
  std::ostream os(&sink);
  try {
    cereal::PortableBinaryOutputArchive ar(os, cereal::PortableBinaryOutputArchive::Options::LittleEndian());
    ar(const_cast<T&>(value));
  } catch (const DecodeError& e) {
    return Error{Code::bad_input, e.what()};
  }
  return out;
}

// Decodes exactly one `T` from `bytes`; `what` names the thing for error messages
// ("entry", "push batch", ...). Truncated input and trailing bytes are errors.
template <class T>
Result<T> decode(ByteView bytes, std::string_view what) {
  detail::SpanSource src(bytes);
  std::istream is(&src);
  T value{};
  try {
    if (bytes.empty() || bytes[0] != 0x01) {
      return Error{Code::bad_input, std::string(what) + ": does not start with the little-endian flag 0x01"};
    }
    cereal::PortableBinaryInputArchive ar(is, cereal::PortableBinaryInputArchive::Options::LittleEndian());
    ar(value);
  } catch (const DecodeError& e) {
    return Error{Code::bad_input, std::string(what) + ": " + e.what()};
  } catch (const cereal::Exception& e) {
    return Error{Code::bad_input, std::string(what) + ": truncated (" + e.what() + ")"};
  } catch (const std::exception& e) {
    return Error{Code::bad_input, std::string(what) + ": malformed (" + e.what() + ")"};
  }
  if (src.remaining() != 0) {
    return Error{Code::bad_input,
                 std::string(what) + ": " + std::to_string(src.remaining()) + " unexpected bytes after the end"};
  }
  return value;
}

}  // namespace lontar::encoding
