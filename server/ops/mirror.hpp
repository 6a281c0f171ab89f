// mirror.hpp — reading a static copy of the log (the C2SP tlog-tiles layout that
// `lontar-server export` writes and auditors keep): its checkpoint and its leaves.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "note/checkpoint.hpp"

namespace lontar::server::ops {

class Mirror {
 public:
  // Opens <dir>/checkpoint, which must be signed by `log` for `origin`.
  static Result<Mirror> open(const std::filesystem::path& dir, const note::Verifier& log, std::string_view origin);

  const note::Checkpoint& checkpoint() const { return checkpoint_; }
  const std::string& note() const { return note_; }
  // Leaf `index` (< checkpoint().size) from its entry bundle tile/entries/<N>[.p/<W>]; one
  // bundle is kept in memory. The leaf is not verified here: the caller checks the tree's
  // root against the checkpoint.
  Result<Bytes> leaf(std::uint64_t index);

 private:
  std::filesystem::path dir_;
  note::Checkpoint checkpoint_;
  std::string note_;
  std::uint64_t bundle_index_ = UINT64_MAX;
  std::vector<Bytes> bundle_;
};

}  // namespace lontar::server::ops
