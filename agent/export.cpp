#include "export.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace lontar::agent {

namespace {
class OutFile {
 public:
  explicit OutFile(std::filesystem::path path) : path_(std::move(path)) {}
  ~OutFile() {
    if (f_) {
      std::fclose(f_);
      std::error_code ec;
      std::filesystem::remove(path_, ec);
    }
  }
  Status open() {
    f_ = std::fopen(path_.c_str(), "wbx");
    if (!f_) return err("cannot create");
    return {};
  }
  Status write(ByteView b) {
    if (std::fwrite(b.data(), 1, b.size(), f_) != b.size()) return err("write failed");
    return {};
  }
  // Flushes, fsyncs and renames onto `final_path`.
  Status finish(const std::filesystem::path& final_path) {
    if (std::fflush(f_) != 0 || ::fsync(fileno(f_)) != 0) return err("write failed");
    std::fclose(f_);
    f_ = nullptr;
    if (::link(path_.c_str(), final_path.c_str()) != 0) return err("cannot move into place");
    std::error_code ec;
    std::filesystem::remove(path_, ec);
    return {};
  }

 private:
  Error err(const char* what) const {
    return Error{Code::io, fmt::format("{}: {}: {}; check the folder and free space", path_.string(), what,
                                       std::strerror(errno))};
  }
  std::filesystem::path path_;
  std::FILE* f_ = nullptr;
};

void put_u64(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
}  // namespace

Result<ExportSummary> export_unsynced(Office& office, const std::filesystem::path& out) {
  std::error_code ec;
  if (std::filesystem::exists(out, ec)) {
    return Error{Code::conflict, fmt::format("{}: already exists; choose another --out or remove it", out.string())};
  }
  Store& store = *office.store;
  LONTAR_ASSIGN(auto tx, store.begin());  // one consistent view while reading
  LONTAR_ASSIGN(auto waiting, store.outbox_range());
  ExportSummary s;
  if (!waiting) return Error{Code::not_found, "nothing to export: every entry has been acknowledged by the server"};
  s.first_seq = waiting->first;
  s.last_seq = waiting->last;
  LONTAR_ASSIGN(auto seals, store.seals_from(s.first_seq));
  LONTAR_ASSIGN(auto entries, store.entries_after(s.first_seq - 1));
  LONTAR_ASSIGN(std::uint64_t n_batches, store.count_seals_from(s.first_seq));

  // The checkpoint this office accepted: the server proves its new one consistent
  // with it in the receipts bundle (import-bundle checks that as a sync does).
  LONTAR_ASSIGN(auto accepted, office.store->checkpoint());
  const std::string checkpoint_line =
      accepted ? fmt::format("{} {}", accepted->size, to_base64(accepted->root)) : std::string(export_no_checkpoint);

  OutFile file(out.string() + ".partial");
  LONTAR_TRY(file.open());
  const std::string header = fmt::format(
      "{}\noffice: {}\nentries: {}..{}\nbatches: {}\n{}: {}\n"
      "personal-data: yes: NIKs, names, birth dates and heirs (UU 27/2022). Carry this file encrypted "
      "and delete it once the server has imported it.\n\n",
      export_magic, office.id, s.first_seq, s.last_seq, n_batches, export_checkpoint_key, checkpoint_line);
  LONTAR_TRY(file.write(as_bytes(header)));
  for (;;) {
    LONTAR_ASSIGN(bool row, seals.next());
    if (!row) break;
    chain::Batch batch;
    batch.principal = office.id;
    LONTAR_ASSIGN(batch.seal, encoding::decode<chain::Seal>(seals.bytes(), "seal"));
    const std::uint64_t upto = seals.seq();
    for (;;) {
      LONTAR_ASSIGN(bool e, entries.next());
      if (!e) return Error{Code::corrupt, fmt::format("seal #{} covers missing entries; run verify", upto)};
      LONTAR_ASSIGN(auto entry, encoding::decode<chain::Entry>(entries.bytes(), "entry"));
      batch.entries.push_back(std::move(entry));
      if (entries.seq() == upto) break;
    }
    LONTAR_ASSIGN(Bytes bytes, encoding::encode(batch));
    Bytes framed;
    put_u64(framed, bytes.size());
    LONTAR_TRY(file.write(framed));
    LONTAR_TRY(file.write(bytes));
    s.entries += batch.entries.size();
    ++s.batches;
  }
  LONTAR_TRY(file.finish(out));
  return s;
}

}  // namespace lontar::agent
