#include "ops/published.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

#include "base/clock.hpp"
#include "crypto/x509.hpp"
#include "log/log_store.hpp"
#include "merkle/merkle.hpp"

namespace lontar::server::ops {

namespace {

std::string file_time_utc(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return "an unknown time";
  return utc_text(static_cast<std::int64_t>(st.st_mtime) * 1000, "%Y-%m-%dT%H:%M:%SZ");
}

}  // namespace

Result<std::optional<Published>> read_published(const std::filesystem::path& data_dir, const note::Verifier& log,
                                                std::string_view origin) {
  const auto path = data_dir / published_file_name;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<Published>();
  LONTAR_ASSIGN(std::string text, crypto::read_file(path));
  auto cp = note::open_checkpoint(text, log, origin);
  if (!cp.ok()) {
    return Error{Code::corrupt, fmt::format("{}: not a checkpoint signed by this log's key: {}; it records the "
                                            "largest checkpoint this server published — restore it from a backup "
                                            "of the data folder, or from an office's or auditor's last checkpoint",
                                            path.string(), cp.error().message)};
  }
  Published p;
  p.checkpoint = std::move(cp).value();
  p.note = std::move(text);
  p.at = file_time_utc(path);
  return std::optional<Published>(std::move(p));
}

Status record_published(const std::filesystem::path& data_dir, const std::string& checkpoint) {
  return crypto::write_file_atomic(data_dir / published_file_name, checkpoint, 0644);
}

Status guard_publication(const std::filesystem::path& data_dir, LogStore& store) {
  LONTAR_ASSIGN(note::Verifier log, note::Verifier::parse(store.verifier_key()));
  const std::string current = store.checkpoint();
  LONTAR_ASSIGN(note::Checkpoint now, note::open_checkpoint(current, log, store.origin()));
  LONTAR_ASSIGN(std::optional<Published> published, read_published(data_dir, log, store.origin()));
  if (!published) {
    if (now.size == 0) return {};
    return record_published(data_dir, current);
  }
  const note::Checkpoint& p = published->checkpoint;
  if (now.size < p.size) {
    return Error{
        Code::corrupt,
        fmt::format("restored log is older than checkpoint {} published at {}: {} holds {} leaves, and "
                    "offices that saw the larger checkpoint would see a rollback. Run `lontar-server "
                    "restore --data {} --from-mirror <dir>` with an auditor's export (lontar-server export) "
                    "of at least {} leaves; the server refuses to serve until then",
                    p.size, published->at, (data_dir / "ledger.db").string(), now.size, data_dir.string(), p.size)};
  }
  if (now.size == p.size && now.root != p.root) {
    return Error{Code::corrupt, fmt::format("{}: the store's tree of {} leaves has another root than the checkpoint "
                                            "published at {}: this is not the history offices saw. Restore the "
                                            "store from a backup, then `lontar-server restore --from-mirror <dir>`",
                                            (data_dir / "ledger.db").string(), now.size, published->at)};
  }
  if (now.size > p.size) {
    // The store must extend what was published: a consistency proof from the published size.
    LONTAR_ASSIGN(protocol::Proof proof, store.consistency_proof(p.size, now.size));
    if (auto s = merkle::verify_consistency(p.size, now.size, p.root, now.root, proof.hashes); !s.ok()) {
      return Error{Code::corrupt,
                   fmt::format("{}: the store's tree does not extend the checkpoint of {} leaves "
                               "published at {} ({}); it is a fork of the history offices saw",
                               (data_dir / "ledger.db").string(), p.size, published->at, s.error().message)};
    }
    return record_published(data_dir, current);
  }
  return {};
}

}  // namespace lontar::server::ops
