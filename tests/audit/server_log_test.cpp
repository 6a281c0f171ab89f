// server_log_test.cpp — a ledger written by the real central log (server/log), its
// checkpoint and tiles copied to files as `lontar-server export` would, audited by
// the real lontar-audit binary: the auditor and the server agree on every byte.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "merkle/tiles.hpp"
#include "note/checkpoint.hpp"
#include "run.hpp"
#include "server/log_fixture.hpp"
#include "support/temp_dir.hpp"

namespace lontar::test {
namespace {

namespace fs = std::filesystem;

void put(const fs::path& file, std::string_view bytes) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Copies what a tree of `size` leaves has beyond one of `old_size`, and the checkpoint.
std::uint64_t export_log(server::LogStore& store, const std::string& verifier_key, const fs::path& out,
                         std::uint64_t old_size) {
  std::string note = store.checkpoint();
  auto verifier = take(note::Verifier::parse(verifier_key), "verifier");
  auto cp = take(note::open_checkpoint(note, verifier, verifier.name()), "checkpoint");
  std::vector<merkle::TileId> ids = merkle::tiles_added(old_size, cp.size);
  for (const auto& id : merkle::bundles_added(old_size, cp.size)) ids.push_back(id);
  for (const auto& id : ids) {
    std::string path = merkle::tile_path(id);
    Bytes bytes = take(store.tile(path), "tile");
    put(out / path, as_chars(bytes));
  }
  put(out / "checkpoint", note);
  return cp.size;
}

TEST_CASE("a ledger written by the real log store passes the audit, in full and incrementally") {
  TempDir tmp;
  Ledger l = Ledger::create(tmp.path() / "server");
  ChainWriter office = l.add_principal("SBY-RUNGKUT");
  unsigned n = 0;
  for (int k = 0; k < 3; ++k) {
    std::vector<domain::Payload> p;
    for (int i = 0; i < 100; ++i) p.push_back(enrollment(n++));
    take(l.store->push(office.caller(), office.batch(p)), "push");
  }
  take(l.store->push(office.caller(), office.batch({enrollment(0)})), "duplicate");  // rejected by the rules
  fs::path out = tmp.path() / "export";
  std::uint64_t size = export_log(*l.store, l.verifier_key, out, 0);
  std::string args = "verify --dir " + out.string() + " --key '" + l.verifier_key + "' --state " +
                     (tmp.path() / "state").string() + " --json";
  Run r = audit(args);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("\"to\":" + std::to_string(size)) != std::string::npos);

  std::vector<domain::Payload> more;
  for (int i = 0; i < 50; ++i) more.push_back(enrollment(n++));
  take(l.store->push(office.caller(), office.batch(more)), "push");
  std::uint64_t grown = export_log(*l.store, l.verifier_key, out, size);
  Run again = audit(args);
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(again.output.find("\"from\":" + std::to_string(size) + ",\"to\":" + std::to_string(grown)) !=
        std::string::npos);

  Run report = audit("report --state " + (tmp.path() / "state").string());
  CHECK(report.output.find("duplicate_enrollment") != std::string::npos);
}

}  // namespace
}  // namespace lontar::test
