// lontar-server migrate: an existing SQLite ledger (<data>/ledger.db) moved into an empty
// PostgreSQL database, proven to hold the same log: the same size and the same root.
//
// The PostgreSQL ledger is created with the SQLite one's settings (origin, log key, NIK
// key); then every leaf is appended as mirror restore does (LogStore::append_mirrored):
// each entry's verdict is judged again in log order and must be the one the leaf carries,
// office heads, seals, keys and rules state are rebuilt, and the tree must have the
// source checkpoint's root at its size before anything is committed (one transaction).
#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <memory>

#include "cli.hpp"
#include "cli_lock.hpp"
#include "config.hpp"
#include "crypto/x509.hpp"
#include "log/init.hpp"
#include "log/log_store.hpp"
#include "log/pg.hpp"
#include "log/sqlite_storage.hpp"
#include "note/checkpoint.hpp"

namespace lontar::server::cli {

namespace {

// Leaves read from the source store in chunks, for append_mirrored's one-at-a-time reads.
class LeafReader {
 public:
  explicit LeafReader(ReadSide& source) : source_(source) {}
  Result<Bytes> at(std::uint64_t index) {
    if (index < first_ || index >= first_ + chunk_.size()) {
      chunk_.clear();
      first_ = index;
      LONTAR_TRY(source_.leaves(index, index + chunk_max, chunk_max, [&](std::uint64_t i, ByteView leaf) -> Status {
        if (i != first_ + chunk_.size()) return Error{Code::corrupt, "leaf " + std::to_string(i) + " out of order"};
        chunk_.emplace_back(leaf.begin(), leaf.end());
        return {};
      }));
      if (chunk_.empty()) return Error{Code::corrupt, "leaf " + std::to_string(index) + " is missing from the source"};
    }
    return chunk_[index - first_];
  }

 private:
  static constexpr std::size_t chunk_max = 4096;
  ReadSide& source_;
  std::uint64_t first_ = 0;
  std::vector<Bytes> chunk_;
};

int run_migrate(const std::filesystem::path& data, const std::string& to) {
  auto lock = DataLock::take(data, "migrate");
  if (!lock.ok()) return fail(lock.error());
  const auto ledger = data / ledger_file_name;
  auto log_key = crypto::PrivateKey::load_pem(data / log_key_file_name);
  if (!log_key.ok()) return fail(log_key.error());
  auto source = open_sqlite_storage(ledger.string());
  if (!source.ok()) return fail(source.error());
  const LogSettings settings = (*source)->settings();
  if (settings.log_public_key != log_key->public_key()) {
    return fail(Error{Code::unauthorized, fmt::format("{}: {} is not the key this ledger was created with",
                                                      ledger.string(), (data / log_key_file_name).string())});
  }
  auto latest = (*source)->write_side().latest_checkpoint();
  if (!latest.ok()) return fail(latest.error());
  if (!*latest) {
    return fail(Error{Code::not_found, fmt::format("{}: the ledger has no checkpoint yet; nothing to migrate (init a "
                                                   "new ledger with --store instead)",
                                                   ledger.string())});
  }
  auto verifier = note::Verifier::make(settings.origin, settings.log_public_key);
  if (!verifier.ok()) return fail(verifier.error());
  auto cp = note::open_checkpoint((*latest)->note, *verifier, settings.origin);
  if (!cp.ok()) return fail(std::move(cp).error().prefix(ledger.string() + ": its latest checkpoint"));

  auto dest = LogStore::create(to, settings.origin, std::move(*log_key), settings.nik_key);
  if (!dest.ok()) return fail(dest.error());
  LeafReader leaves((*source)->read_side());
  const TreeHead target{cp->size, cp->root};
  auto note = (*dest)->append_mirrored(std::span(&target, 1), [&](std::uint64_t i) { return leaves.at(i); });
  if (!note.ok()) {
    Error e = std::move(note).error();
    e.message += fmt::format(
        " ({} keeps its empty ledger tables: drop and re-create that database before trying "
        "again)",
        pg::redacted(to));
    return fail(e);
  }
  (*dest)->shutdown();
  std::printf("migrated %llu leaves from %s to PostgreSQL %s: same size, same root (%s)\n",
              static_cast<unsigned long long>(cp->size), ledger.string().c_str(), pg::redacted(to).c_str(),
              to_base64(cp->root).c_str());
  std::printf("next: add to %s\n  [store]\n  url = \"%s\"\nthen start the server; keep %s as a backup\n",
              (data / config_file_name).string().c_str(), pg::redacted(to).c_str(), ledger.string().c_str());
  return exit_ok;
}

}  // namespace

void add_migrate(CLI::App& app, int& exit_code) {
  auto data = std::make_shared<std::filesystem::path>();
  auto to = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("migrate",
                                 "Move a SQLite ledger (<data>/ledger.db) into an empty PostgreSQL database, "
                                 "proving the same size and root (the server stopped)");
  cmd->add_option("--from", *data, "the data folder holding ledger.db and log.key")->required();
  cmd->add_option("--to", *to, "the PostgreSQL database (libpq URI postgresql://user@host:port/dbname), empty")
      ->required()
      ->check([](const std::string& v) {
        return pg::is_url(v) ? std::string() : std::string("must be a PostgreSQL URI: postgresql://user@host/dbname");
      });
  cmd->callback([data, to, &exit_code] { exit_code = run_migrate(*data, *to); });
}

}  // namespace lontar::server::cli
