#include "protocol/export_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "base/bytes.hpp"
#include "crypto/crypto.hpp"
#include "domain/text.hpp"
#include "protocol/text_header.hpp"

namespace lontar::protocol {

namespace {
constexpr std::string_view copy_again = "copy it again from the office";
constexpr std::size_t decimal_digits_max = 19;  // below 2^64

Result<std::uint64_t> parse_u64(std::string_view s) {
  if (s.empty() || s.size() > decimal_digits_max || s.find_first_not_of("0123456789") != std::string_view::npos) {
    return Error{Code::bad_input, "not a decimal number"};
  }
  std::uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<std::uint64_t>(c - '0');
  return v;
}

// One "key: value" header line into `h`; false when the value is not of its key's form.
bool take_line(std::string_view key, std::string_view value, ExportHeader& h) {
  if (key == "office") {
    h.office = value;
    return !value.empty() && value.size() <= domain::principal_id_bytes_max;
  }
  if (key == "entries") {
    const auto dots = value.find("..");
    if (dots == std::string_view::npos) return false;
    auto first = parse_u64(value.substr(0, dots)), last = parse_u64(value.substr(dots + 2));
    if (!first.ok() || !last.ok() || *first == 0 || *first > *last) return false;
    h.first_seq = *first, h.last_seq = *last;
    return true;
  }
  if (key == "batches") {
    auto n = parse_u64(value);
    if (!n.ok() || *n == 0) return false;
    h.batches = *n;
    return true;
  }
  if (key == "checkpoint") {
    if (value == "none") return true;
    const auto space = value.find(' ');
    if (space == std::string_view::npos) return false;
    auto size = parse_u64(value.substr(0, space));
    auto root = from_base64(std::string(value.substr(space + 1)));
    if (!size.ok() || !root.ok() || root->size() != h.base_root.size()) return false;
    h.base_size = *size;
    std::copy(root->begin(), root->end(), h.base_root.begin());
    return true;
  }
  return true;  // a key this reader does not know
}

constexpr std::string_view header_form(std::string_view key) {
  if (key == "office") return "office: <office id>";
  if (key == "entries") return "entries: <first seq>..<last seq>";
  if (key == "batches") return "batches: <count>";
  return "checkpoint: <size> <base64 root>' or 'checkpoint: none";
}
}  // namespace

ExportReader::ExportReader(std::filesystem::path path) : path_(std::move(path)), in_(path_, std::ios::binary) {}

Result<ExportReader> ExportReader::open(const std::filesystem::path& path) {
  ExportReader r(path);
  std::error_code ec;
  r.size_ = std::filesystem::file_size(path, ec);
  if (!r.in_ || ec) return Error{Code::not_found, fmt::format("{}: cannot open; check the path", path.string())};
  const std::string file = path.string();
  auto damaged = [&](std::size_t line_no, std::string what) {
    return Error{Code::bad_input,
                 fmt::format("{}: line {}: {}: the header is damaged: {}", file, line_no, what, copy_again)};
  };
  const TextHeader text = read_text_header(r.in_, export_header_bytes_max);
  if (text.lines.empty() || text.lines.front() != export_magic) {
    return Error{Code::bad_input, fmt::format("{}: line 1 is not '{}': not a file written by `lontar-agent export`, "
                                              "or its start is damaged: {}",
                                              file, export_magic, copy_again)};
  }
  if (!text.ended) {
    return Error{Code::bad_input, fmt::format("{}: the header does not end with an empty line within {} bytes: the "
                                              "file is damaged or was not written by `lontar-agent export`: {}",
                                              file, export_header_bytes_max, copy_again)};
  }
  r.offset_ = text.bytes;
  constexpr std::string_view required[3] = {"office", "entries", "batches"};
  bool seen[3] = {false, false, false};
  bool checkpoint_seen = false;
  for (std::size_t i = 1; i < text.lines.size(); ++i) {
    const std::string& line = text.lines[i];
    const std::size_t line_no = i + 1;
    const auto colon = line.find(": ");
    if (colon == std::string::npos) {
      return damaged(line_no, fmt::format("{} is not 'key: value'", domain::text::quote(line)));
    }
    const std::string_view key = std::string_view(line).substr(0, colon);
    const std::string_view value = std::string_view(line).substr(colon + 2);
    bool* once = key == "checkpoint" ? &checkpoint_seen : nullptr;
    for (std::size_t k = 0; k < 3; ++k) {
      if (key == required[k]) once = &seen[k];
    }
    if (once != nullptr) {
      if (*once) return damaged(line_no, fmt::format("a second '{}:' line", key));
      *once = true;
      if (!take_line(key, value, r.header_)) {
        return damaged(line_no, fmt::format("{} is not '{}'", domain::text::quote(line), header_form(key)));
      }
    }
    r.header_.lines.push_back(line);
  }
  for (std::size_t k = 0; k < 3; ++k) {
    if (!seen[k]) {
      return Error{Code::bad_input, fmt::format("{}: the header has no '{}:' line: the file is damaged or was not "
                                                "written by `lontar-agent export`: {}",
                                                file, required[k], copy_again)};
    }
  }
  return r;
}

Error ExportReader::cut_short(const char* what) const {
  return Error{Code::bad_input, fmt::format("{}: byte {}: batch {} {} is cut short: the file is incomplete: {}",
                                            path_.string(), offset_, index_ + 1, what, copy_again)};
}

Result<std::optional<ExportBatch>> ExportReader::next() {
  unsigned char len_bytes[8];
  in_.read(reinterpret_cast<char*>(len_bytes), sizeof len_bytes);
  if (in_.gcount() == 0 && in_.eof()) return std::optional<ExportBatch>();
  if (in_.gcount() != sizeof len_bytes) return cut_short("length");
  std::uint64_t len = 0;
  for (int i = 7; i >= 0; --i) len = (len << 8) | len_bytes[i];
  if (len > push_body_bytes_max) {
    return Error{Code::bad_input,
                 fmt::format("{}: byte {}: batch {} claims {} bytes, above the limit of {}: the file is damaged: {}",
                             path_.string(), offset_, index_ + 1, len, push_body_bytes_max, copy_again)};
  }
  if (len > size_ - offset_ - 8) return cut_short("body");  // before taking memory for it
  Bytes body(len);
  in_.read(reinterpret_cast<char*>(body.data()), static_cast<std::streamsize>(len));
  if (static_cast<std::uint64_t>(in_.gcount()) != len) return cut_short("body");
  ExportBatch out;
  out.index = ++index_;
  out.offset = offset_;
  out.digest = crypto::sha256(body);
  auto batch = encoding::decode<chain::Batch>(body, "batch");
  if (!batch.ok()) {
    return Error{Code::bad_input, fmt::format("{}: byte {}: batch {}: {}: the file is damaged: {}", path_.string(),
                                              offset_ + 8, out.index, batch.error().message, copy_again)};
  }
  out.batch = std::move(*batch);
  offset_ += 8 + len;
  return std::optional<ExportBatch>(std::move(out));
}

Result<ExportContents> check_export(const std::filesystem::path& path) {
  LONTAR_ASSIGN(ExportReader reader, ExportReader::open(path));
  const ExportHeader& h = reader.header();
  const std::string file = path.string();
  ExportContents out;
  std::map<Hash, std::uint64_t> seen;  // digest -> index of the first batch with it
  std::uint64_t last_seq = 0;
  Hash head{};
  for (;;) {
    LONTAR_ASSIGN(auto next, reader.next());
    if (!next) break;
    const chain::Batch& b = next->batch;
    const std::string where = fmt::format("{}: batch {} (byte {})", file, next->index, next->offset);
    ExportContents::Row row{next->digest, b.entries.empty() ? 0 : b.entries.front().seq, b.seal.last_seq, 0};
    if (auto it = seen.find(next->digest); it != seen.end()) {
      row.repeats = it->second;
      out.batches.push_back(row);
      continue;
    }
    seen.emplace(next->digest, next->index);
    if (b.principal != h.office || b.seal.principal != h.office) {
      return Error{Code::bad_input,
                   fmt::format("{}: holds entries of {} sealed by {}, but the header names {}: the file is damaged or "
                               "was put together from two exports; {}",
                               where, domain::text::quote(b.principal), domain::text::quote(b.seal.principal),
                               domain::text::quote(h.office), copy_again)};
    }
    if (b.entries.empty()) return Error{Code::bad_input, fmt::format("{}: holds no entries; {}", where, copy_again)};
    const std::uint64_t first = b.entries.front().seq;
    const std::uint64_t expected = out.distinct == 0 ? h.first_seq : last_seq + 1;
    if (first != expected) {
      const char* why = first > expected ? "the file is incomplete" : "the file is damaged";
      return Error{Code::bad_input,
                   fmt::format("{}: starts at #{}, but {} #{}: {}: {}", where, first,
                               out.distinct == 0 ? "the header's entries start at" : "the batch before it ends at",
                               out.distinct == 0 ? h.first_seq : last_seq, why, copy_again)};
    }
    const Hash after = out.distinct == 0 ? b.entries.front().prev : head;
    if (auto s = chain::verify_run(b.entries, first - 1, after, &b.seal); !s.ok()) {
      Error e = std::move(s).error();
      if (e.code == Code::unauthorized) return e.prefix(where);
      return Error{Code::bad_input, fmt::format("{}: {}: the file is damaged: {}", where, e.message, copy_again)};
    }
    if (std::find(out.keys.begin(), out.keys.end(), b.seal.key) == out.keys.end()) out.keys.push_back(b.seal.key);
    last_seq = b.seal.last_seq;
    head = b.seal.head;
    ++out.distinct;
    out.entries += b.entries.size();
    out.batches.push_back(row);
  }
  if (out.distinct != h.batches || last_seq != h.last_seq) {
    const bool short_of = out.distinct < h.batches || last_seq < h.last_seq;
    return Error{Code::bad_input,
                 fmt::format("{}: holds {} batches with entries {}, but its header announces {} batches with entries "
                             "#{}..#{}: the file is {}: {}",
                             file, out.distinct,
                             out.distinct == 0 ? std::string("none") : fmt::format("#{}..#{}", h.first_seq, last_seq),
                             h.batches, h.first_seq, h.last_seq, short_of ? "incomplete" : "damaged", copy_again)};
  }
  return out;
}

}  // namespace lontar::protocol
