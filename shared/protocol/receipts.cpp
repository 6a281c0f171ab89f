#include "protocol/receipts.hpp"

#include "base/private_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "protocol/text_header.hpp"

namespace lontar::protocol {

namespace {
constexpr std::size_t signature_bytes = 64;
constexpr std::size_t read_chunk_bytes = 1 << 16;

void put_u64(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
}  // namespace

std::vector<std::pair<std::uint64_t, std::uint64_t>> leaf_runs(std::vector<std::uint64_t> leaf_indices) {
  std::sort(leaf_indices.begin(), leaf_indices.end());
  leaf_indices.erase(std::unique(leaf_indices.begin(), leaf_indices.end()), leaf_indices.end());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> runs;
  for (std::uint64_t i : leaf_indices) {
    if (!runs.empty() && runs.back().second == i) {
      ++runs.back().second;
    } else {
      runs.emplace_back(i, i + 1);
    }
  }
  return runs;
}

Bytes receipts_signed_message(const Hash& digest) {
  Bytes m(receipts_signature_domain.size() + digest.size());
  std::memcpy(m.data(), receipts_signature_domain.data(), receipts_signature_domain.size());
  std::memcpy(m.data() + receipts_signature_domain.size(), digest.data(), digest.size());
  return m;
}

// ---- writer ----

ReceiptsWriter::ReceiptsWriter(std::filesystem::path path, std::FILE* f, unsigned version)
    : path_(std::move(path)), partial_(path_.string() + ".partial"), f_(f), version_(version) {}

ReceiptsWriter::ReceiptsWriter(ReceiptsWriter&& o) noexcept
    : path_(std::move(o.path_)),
      partial_(std::move(o.partial_)),
      f_(o.f_),
      version_(o.version_),
      digest_(std::move(o.digest_)) {
  o.f_ = nullptr;
}

ReceiptsWriter::~ReceiptsWriter() {
  if (f_) {
    std::fclose(f_);
    std::error_code ec;
    std::filesystem::remove(partial_, ec);
  }
}

Error ReceiptsWriter::io_error(const char* what) const {
  return Error{Code::io, fmt::format("{}: {}: {}; check the folder and free space", partial_.string(), what,
                                     std::strerror(errno))};
}

Result<ReceiptsWriter> ReceiptsWriter::create(const std::filesystem::path& path,
                                              const std::vector<std::string>& header_lines, unsigned version) {
  if (version != 1 && version != 2) {
    return Error{Code::bad_input, fmt::format("receipts bundle version {}: only versions 1 and 2 exist", version)};
  }
  const std::string partial = path.string() + ".partial";
  // Personal data (verdicts of named entries): 0600 whatever the umask.
  LONTAR_ASSIGN(std::FILE * f, create_private_file(partial));
  ReceiptsWriter w(path, f, version);
  std::string header = std::string(version == 1 ? receipts_magic : receipts_magic_v2) + "\n";
  for (const auto& line : header_lines) header += line + "\n";
  header += "\n";
  if (header.size() > receipts_header_bytes_max) {
    return Error{Code::internal,
                 fmt::format("receipts header of {} bytes is above {}", header.size(), receipts_header_bytes_max)};
  }
  LONTAR_TRY(w.write(as_bytes(header)));
  return w;
}

Status ReceiptsWriter::write(ByteView bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size()) return io_error("write failed");
  digest_.update(bytes);
  return {};
}

Status ReceiptsWriter::section(Result<Bytes> encoded, const char* what) {
  if (!encoded.ok()) return std::move(encoded).error().prefix(what);
  if (encoded->size() > receipts_section_bytes_max) {
    return Error{Code::internal, fmt::format("{}: {} bytes, above the section limit of {}", what, encoded->size(),
                                             receipts_section_bytes_max)};
  }
  Bytes len;
  put_u64(len, encoded->size());
  LONTAR_TRY(write(len));
  return write(*encoded);
}

Status ReceiptsWriter::add(const ReceiptsHead& head) { return section(encoding::encode(head), "receipts head"); }
Status ReceiptsWriter::add(const ReceiptsBatch& batch) {
  const bool per_leaf =
      !batch.seal_inclusion.empty() || std::any_of(batch.receipts.begin(), batch.receipts.end(),
                                                   [](const ProvenReceipt& r) { return !r.inclusion.empty(); });
  if (version_ == 1) {
    if (!batch.ranges.empty()) return Error{Code::internal, "receipts batch: a version 1 bundle carries no ranges"};
    return section(encoding::encode(batch), "receipts batch");
  }
  if (per_leaf) return Error{Code::internal, "receipts batch: a version 2 bundle carries no per-leaf proofs"};
  ReceiptsBatchV2 v2{batch.seal_leaf_index, batch.seal_leaf, {}, batch.ranges};
  v2.receipts.reserve(batch.receipts.size());
  for (const auto& r : batch.receipts) v2.receipts.push_back(r.receipt);
  return section(encoding::encode(v2), "receipts batch");
}

Status ReceiptsWriter::finish(const crypto::PrivateKey& log_key) {
  const crypto::Signature sig = log_key.sign(receipts_signed_message(digest_.finish()));
  if (std::fwrite(sig.data(), 1, sig.size(), f_) != sig.size()) return io_error("write failed");
  if (std::fflush(f_) != 0 || ::fsync(fileno(f_)) != 0) return io_error("write failed");
  std::fclose(f_);
  f_ = nullptr;
  if (std::rename(partial_.c_str(), path_.c_str()) != 0) {
    auto e = io_error("cannot move into place");
    std::error_code ec;
    std::filesystem::remove(partial_, ec);
    return e;
  }
  // The rename is durable once the folder is synced.
  int dir = ::open(path_.parent_path().empty() ? "." : path_.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

// ---- reader ----

ReceiptsReader::ReceiptsReader(std::filesystem::path path) : path_(std::move(path)), in_(path_, std::ios::binary) {}

Error ReceiptsReader::bad(std::string what) const {
  return Error{Code::corrupt, fmt::format("{}: byte {}: {}", path_.string(), offset_, what)};
}

Result<ReceiptsReader> ReceiptsReader::open(const std::filesystem::path& path) {
  ReceiptsReader r(path);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!r.in_ || ec) return Error{Code::not_found, fmt::format("{}: cannot open; check the path", path.string())};
  r.size_ = size;
  const TextHeader text = read_text_header(r.in_, receipts_header_bytes_max);
  if (!text.lines.empty() && text.lines.front() == receipts_magic_v2) {
    r.version_ = 2;
  } else if (text.lines.empty() || text.lines.front() != receipts_magic) {
    return Error{Code::corrupt, fmt::format("{}: line 1 is neither '{}' nor '{}': not a receipts bundle written "
                                            "by `lontar-server import`, or its start is damaged; copy it again",
                                            path.string(), receipts_magic_v2, receipts_magic)};
  }
  if (!text.ended) {
    return Error{Code::corrupt, fmt::format("{}: the header does not end with an empty line within {} bytes: not a "
                                            "receipts bundle, or it is damaged; copy it again",
                                            path.string(), receipts_header_bytes_max)};
  }
  r.offset_ = text.bytes;
  r.header_.assign(text.lines.begin() + 1, text.lines.end());
  if (r.size_ < r.offset_ + signature_bytes) return r.bad("the file is cut short: no signature; copy it again");
  LONTAR_ASSIGN(r.head_, r.read_section<ReceiptsHead>("receipts head"));
  return r;
}

template <class T>
Result<T> ReceiptsReader::read_section(const char* what) {
  const std::uint64_t end = size_ - signature_bytes;
  if (end - offset_ < 8) return bad(fmt::format("{}: the file is cut short; copy it again", what));
  unsigned char len_bytes[8];
  in_.read(reinterpret_cast<char*>(len_bytes), 8);
  if (in_.gcount() != 8) return bad(fmt::format("{}: cannot read its length", what));
  std::uint64_t len = 0;
  for (int i = 7; i >= 0; --i) len = (len << 8) | len_bytes[i];
  if (len > receipts_section_bytes_max || len > end - offset_ - 8) {
    return bad(fmt::format("{} claims {} bytes, more than the file or the limit of {} holds; copy it again", what, len,
                           receipts_section_bytes_max));
  }
  Bytes body(len);
  in_.read(reinterpret_cast<char*>(body.data()), static_cast<std::streamsize>(len));
  if (static_cast<std::uint64_t>(in_.gcount()) != len) return bad(fmt::format("{}: cannot read it", what));
  auto value = encoding::decode<T>(body, what);
  if (!value.ok()) return bad(value.error().message + ": the file is damaged; copy it again");
  offset_ += 8 + len;
  return value;
}

Result<std::optional<ReceiptsBatch>> ReceiptsReader::next() {
  if (offset_ == size_ - signature_bytes) {
    if (batches_read_ != head_.batches) {
      return bad(fmt::format("the head announces {} batches but the file holds {}", head_.batches, batches_read_));
    }
    return std::optional<ReceiptsBatch>();
  }
  if (batches_read_ >= head_.batches) {
    return bad(fmt::format("more than the {} batches the head announces", head_.batches));
  }
  if (version_ == 1) {
    LONTAR_ASSIGN(auto batch, read_section<ReceiptsBatch>("receipts batch"));
    ++batches_read_;
    return std::optional<ReceiptsBatch>(std::move(batch));
  }
  LONTAR_ASSIGN(auto v2, read_section<ReceiptsBatchV2>("receipts batch"));
  ++batches_read_;
  ReceiptsBatch batch;
  batch.seal_leaf_index = v2.seal_leaf_index;
  batch.seal_leaf = std::move(v2.seal_leaf);
  batch.receipts.reserve(v2.receipts.size());
  for (auto& r : v2.receipts) batch.receipts.push_back(ProvenReceipt{std::move(r), {}});
  batch.ranges = std::move(v2.ranges);
  return std::optional<ReceiptsBatch>(std::move(batch));
}

Result<bool> ReceiptsReader::signed_by(const crypto::PublicKey& log_key) const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return Error{Code::not_found, fmt::format("{}: cannot open; check the path", path_.string())};
  crypto::Sha256 digest;
  std::vector<char> buf(read_chunk_bytes);
  std::uint64_t left = size_ - signature_bytes;
  while (left > 0) {
    const auto n = static_cast<std::streamsize>(std::min<std::uint64_t>(left, buf.size()));
    in.read(buf.data(), n);
    if (in.gcount() != n) return Error{Code::io, fmt::format("{}: read failed", path_.string())};
    digest.update(as_bytes(std::string_view(buf.data(), static_cast<std::size_t>(n))));
    left -= static_cast<std::uint64_t>(n);
  }
  crypto::Signature sig{};
  in.read(reinterpret_cast<char*>(sig.data()), sig.size());
  if (in.gcount() != static_cast<std::streamsize>(sig.size())) {
    return Error{Code::io, fmt::format("{}: read failed", path_.string())};
  }
  return crypto::verify(log_key, receipts_signed_message(digest.finish()), sig);
}

}  // namespace lontar::protocol
