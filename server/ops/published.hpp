// published.hpp — rollback protection: the largest checkpoint this server has published,
// recorded outside its store.
//
// Offices and auditors keep the last checkpoint they saw and demand consistency proofs from
// it. A store restored from an older backup would serve a smaller tree: a rollback that every
// office detects. So before a checkpoint is served it is written to <data>/published.checkpoint
// (atomically, fsync'ed: crypto::write_file_atomic), and a store smaller than the recorded
// checkpoint, or of its size with another root, refuses to serve until
// `lontar-server restore --from-mirror` brings the missing leaves back.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "note/checkpoint.hpp"

namespace lontar::server {
class LogStore;
}

namespace lontar::server::ops {

constexpr std::string_view published_file_name = "published.checkpoint";

struct Published {
  note::Checkpoint checkpoint;
  std::string note;  // the signed checkpoint, as served
  std::string at;    // when it was recorded (the file's time, UTC, ISO 8601)
};

// Reads <data>/published.checkpoint: nullopt when there is none; corrupt when it is not a
// checkpoint signed by `log` for `origin` (the error names the file).
Result<std::optional<Published>> read_published(const std::filesystem::path& data_dir, const note::Verifier& log,
                                                std::string_view origin);

// Records `checkpoint` (a signed checkpoint note) as published, atomically and durably.
// Callers record only growing checkpoints (the integrator's order guarantees it).
Status record_published(const std::filesystem::path& data_dir, const std::string& checkpoint);

// At startup, before serving: refuses (corrupt) a store smaller than the recorded checkpoint,
// or of its size with a different root, saying what to run; records the store's checkpoint
// when it is larger (committed, but the server stopped before recording it).
Status guard_publication(const std::filesystem::path& data_dir, LogStore& store);

}  // namespace lontar::server::ops
