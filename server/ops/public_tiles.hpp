// public_tiles.hpp — the public-safe part of the log as static files, kept current.
//
// With `[server] public_tiles = "DIR"` in server.toml, `lontar-server run` keeps DIR in the
// C2SP tlog-tiles layout: `checkpoint` and the hash tiles `tile/<L>/<N>[.p/<W>]` — never
// `tile/entries/` (entry bundles hold personal data). Any static web server or CDN can then
// serve auditors and witnesses without touching the ledger. Every file is written to a
// temporary name and renamed (crypto::write_file_atomic); the tiles a checkpoint needs are
// written before the checkpoint, so a reader that sees a checkpoint finds all its tiles.
// Started again, it resumes from the checkpoint already in DIR.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "base/result.hpp"

namespace lontar::server {
class LogStore;
}

namespace lontar::server::ops {

class PublicTiles {
 public:
  // Checks DIR can be created; starts the writer thread, which looks at the served
  // checkpoint every `interval`. `store` must outlive it.
  static Result<std::unique_ptr<PublicTiles>> start(LogStore& store, std::filesystem::path dir,
                                                    std::chrono::milliseconds interval);
  // Stops the thread (after the write in progress), then writes what is still new.
  ~PublicTiles();

 private:
  // Writes what changed since the last call: the tiles, then the checkpoint.
  Status write_new();
  PublicTiles(LogStore& store, std::filesystem::path dir) : store_(store), dir_(std::move(dir)) {}
  void run(std::chrono::milliseconds interval);

  LogStore& store_;
  std::filesystem::path dir_;
  std::uint64_t written_ = 0;  // the size of the checkpoint in dir_
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lontar::server::ops
