#include "ops/public_tiles.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "crypto/x509.hpp"
#include "log/log_store.hpp"
#include "merkle/tiles.hpp"
#include "note/checkpoint.hpp"

namespace lontar::server::ops {
namespace {

// The size of a checkpoint note's text (0 when it does not parse).
std::uint64_t size_of(const std::string& note) {
  const auto end = note.find("\n\n");
  if (end == std::string::npos) return 0;
  auto cp = note::parse_checkpoint(std::string_view(note).substr(0, end + 1));
  return cp.ok() ? cp->size : 0;
}

}  // namespace

Result<std::unique_ptr<PublicTiles>> PublicTiles::start(LogStore& store, std::filesystem::path dir,
                                                        std::chrono::milliseconds interval) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Error{Code::io, fmt::format("[server] public_tiles {}: cannot create: {}", dir.string(), ec.message())};
  }
  auto t = std::unique_ptr<PublicTiles>(new PublicTiles(store, std::move(dir)));
  // Resume from the checkpoint already published there (tiles only grow; partial ones widen).
  std::ifstream in(t->dir_ / "checkpoint", std::ios::binary);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    t->written_ = size_of(text.str());
    if (t->written_ > store.metrics().tree_size) t->written_ = 0;  // another log's: rewrite everything
  }
  LONTAR_TRY(t->write_new());
  t->thread_ = std::thread([p = t.get(), interval] { p->run(interval); });
  pthread_setname_np(t->thread_.native_handle(), "public-tiles");
  return t;
}

PublicTiles::~PublicTiles() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (auto st = write_new(); !st.ok()) spdlog::warn("public tiles: {}", st.error().message);
}

Status PublicTiles::write_new() {
  const std::string checkpoint = store_.checkpoint();
  const std::uint64_t size = size_of(checkpoint);
  if (size <= written_) return {};
  for (const merkle::TileId& id : merkle::tiles_added(written_, size)) {
    const std::string path = merkle::tile_path(id);
    LONTAR_ASSIGN(Bytes bytes, store_.tile(path));
    const auto file = dir_ / path;
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) return Error{Code::io, fmt::format("{}: cannot create: {}", file.parent_path().string(), ec.message())};
    LONTAR_TRY(crypto::write_file_atomic(file, as_chars(bytes), 0644));
  }
  // The checkpoint last: a reader that sees it finds every tile it names.
  LONTAR_TRY(crypto::write_file_atomic(dir_ / "checkpoint", checkpoint, 0644));
  written_ = size;
  return {};
}

void PublicTiles::run(std::chrono::milliseconds interval) {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, interval, [&] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    if (auto st = write_new(); !st.ok()) {
      spdlog::warn("public tiles: {} (retried)", st.error().message);
    }
    lock.lock();
  }
}

}  // namespace lontar::server::ops
