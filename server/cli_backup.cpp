// lontar-server backup|restore: consistent copies of the ledger store while it serves, and
// bringing one back without ever serving a rollback (docs/OPERATIONS.md, "Backups").
#include <fmt/format.h>
#include <chrono>
#include <cstdio>
#include <memory>

#include "cli.hpp"
#include "cli_lock.hpp"
#include "config.hpp"
#include "crypto/x509.hpp"
#include "log/init.hpp"
#include "log/log_store.hpp"
#include "log/pg.hpp"
#include "log/scrub.hpp"
#include "log/sqlite_storage.hpp"
#include "ops/mirror.hpp"
#include "ops/published.hpp"

namespace lontar::server::cli {

namespace {

std::filesystem::path checkpoint_beside(const std::filesystem::path& file) {
  auto p = file;
  p += ".checkpoint";
  return p;
}

Result<std::unique_ptr<LogStore>> open_ledger(const std::filesystem::path& ledger, const std::filesystem::path& data) {
  LONTAR_ASSIGN(crypto::PrivateKey key, crypto::PrivateKey::load_pem(data / log_key_file_name));
  return LogStore::open(ledger.string(), std::move(key));
}

// backup and restore copy the SQLite file; a PostgreSQL ledger is PostgreSQL's to back up.
Status refuse_postgresql(const std::filesystem::path& data, const char* command) {
  LONTAR_ASSIGN(std::string location, ledger_location_of(data));
  if (!pg::is_url(location)) return {};
  return Error{Code::bad_input,
               fmt::format("{}: the ledger is in PostgreSQL ({}); `{}` copies only a SQLite ledger. Use PostgreSQL's "
                           "own tools: pg_basebackup with WAL archiving (point-in-time recovery), or pg_dump "
                           "--format=custom for a copy; docs/OPERATIONS.md, \"PostgreSQL\", says how",
                           data.string(), pg::redacted(location), command)};
}

int run_backup(const std::filesystem::path& data, const std::filesystem::path& out) {
  if (auto st = refuse_postgresql(data, "backup"); !st.ok()) return fail(st.error());
  // The copy goes through the storage (storage.hpp): the running server keeps writing meanwhile.
  auto storage = open_sqlite_storage((data / ledger_file_name).string());
  if (!storage.ok()) return fail(storage.error());
  auto head = (*storage)->backup(out);
  if (!head.ok()) return fail(head.error());
  const std::uint64_t checkpoint_size = head->checkpoint ? head->checkpoint->size : 0;
  if (checkpoint_size != head->leaves) {
    return fail(Error{Code::corrupt, fmt::format("{}: the copy holds {} leaves but its latest checkpoint is for {}; "
                                                 "the store is damaged",
                                                 out.string(), head->leaves, checkpoint_size)});
  }
  const std::string checkpoint = head->checkpoint ? head->checkpoint->note : "";
  if (auto st = crypto::write_file_atomic(checkpoint_beside(out), checkpoint, 0644); !st.ok()) {
    return fail(st.error());
  }
  std::printf("backup %s: %llu leaves, matching the checkpoint in %s\n", out.string().c_str(),
              static_cast<unsigned long long>(head->leaves), checkpoint_beside(out).string().c_str());
  std::printf("not in it (back them up once, and keep log.key secret): %s, %s, server.toml\n",
              (data / log_key_file_name).string().c_str(), (data / "tls.crt").string().c_str());
  return exit_ok;
}

// What the recorded publication says about a store of `leaves` leaves, for the operator.
void report_publication(const std::filesystem::path& data, LogStore& store) {
  auto log = note::Verifier::parse(store.verifier_key());
  if (!log.ok()) return;
  auto published = ops::read_published(data, *log, store.origin());
  const auto leaves = store.metrics().tree_size;
  if (!published.ok()) {
    std::printf("warning: %s\n", published.error().message.c_str());
  } else if (!*published) {
    std::printf(
        "warning: %s has no %s (lost with the disk?). If this server published checkpoints after the "
        "backup, offices will see a rollback: before starting, run `lontar-server restore --data %s "
        "--from-mirror <dir>` with the newest export an auditor holds\n",
        data.string().c_str(), std::string(ops::published_file_name).c_str(), data.string().c_str());
  } else if ((*published)->checkpoint.size > leaves) {
    std::printf(
        "the server already published checkpoint %llu (at %s): it will refuse to start until "
        "`lontar-server restore --data %s --from-mirror <dir>` brings leaves %llu..%llu back\n",
        static_cast<unsigned long long>((*published)->checkpoint.size), (*published)->at.c_str(), data.string().c_str(),
        static_cast<unsigned long long>(leaves), static_cast<unsigned long long>((*published)->checkpoint.size - 1));
  } else {
    std::printf("ok: the store is at or beyond the last published checkpoint; start the server\n");
  }
}

int run_restore_file(const std::filesystem::path& data, const std::filesystem::path& from) {
  if (auto st = refuse_postgresql(data, "restore"); !st.ok()) return fail(st.error());
  auto lock = DataLock::take(data, "restore");
  if (!lock.ok()) return fail(lock.error());
  auto recorded = crypto::read_file(checkpoint_beside(from));
  if (!recorded.ok()) {
    return fail(Error{Code::not_found, fmt::format("{}: missing; a backup is restored with the checkpoint "
                                                   "`lontar-server backup` wrote beside it",
                                                   checkpoint_beside(from).string())});
  }
  auto head = sqlite_copy_head(from);
  if (!head.ok()) return fail(head.error());
  if ((head->checkpoint ? head->checkpoint->note : "") != *recorded) {
    return fail(Error{Code::corrupt, fmt::format("{}: its latest checkpoint is not the one recorded in {}; this is "
                                                 "not the file that backup wrote",
                                                 from.string(), checkpoint_beside(from).string())});
  }
  const auto ledger = data / ledger_file_name;
  auto staged = ledger;
  staged += ".restoring";
  std::error_code ec;
  std::filesystem::remove(staged, ec);
  if (auto st = copy_sqlite_file(from, staged); !st.ok()) return fail(st.error());
  {
    // Opening verifies the log key, and the stored tree against its latest checkpoint.
    auto store = open_ledger(staged, data);
    if (!store.ok()) {
      std::filesystem::remove(staged, ec);
      return fail(store.error());
    }
  }
  // The store being replaced is kept beside it, never deleted.
  if (std::filesystem::exists(ledger, ec)) {
    const auto stamp = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    auto aside = ledger;
    aside += ".replaced-" + stamp;
    std::filesystem::rename(ledger, aside, ec);
    if (ec) return fail(Error{Code::io, fmt::format("{}: cannot move aside: {}", ledger.string(), ec.message())});
    for (const char* suffix : {"-wal", "-shm"}) {
      auto side = ledger;
      side += suffix;
      if (!std::filesystem::exists(side, ec)) continue;
      auto to = aside;
      to += suffix;
      std::filesystem::rename(side, to, ec);
    }
    std::printf("the previous store was moved to %s\n", aside.string().c_str());
  }
  std::filesystem::rename(staged, ledger, ec);
  if (ec)
    return fail(
        Error{Code::io, fmt::format("{}: cannot rename to {}: {}", staged.string(), ledger.string(), ec.message())});
  auto store = open_ledger(ledger, data);
  if (!store.ok()) return fail(store.error());
  std::printf("restored %s from %s: %llu leaves\n", ledger.string().c_str(), from.string().c_str(),
              static_cast<unsigned long long>((*store)->metrics().tree_size));
  report_publication(data, **store);
  return exit_ok;
}

// Either store: a SQLite ledger restored from a backup, or a PostgreSQL database restored to
// an earlier point with PostgreSQL's tools (pg_basebackup + WAL, pg_restore) that lacks the
// newest leaves. With PostgreSQL, every other server of the ledger must be stopped: this
// command writes only while it holds the ledger's integrator lock.
int run_restore_mirror(const std::filesystem::path& data, const std::filesystem::path& dir) {
  auto lock = DataLock::take(data, "restore");
  if (!lock.ok()) return fail(lock.error());
  auto location = ledger_location_of(data);
  if (!location.ok()) return fail(location.error());
  // SQLite: the file in this data folder (as `restore --from` writes it); PostgreSQL: [store] url.
  auto store = open_ledger(pg::is_url(*location) ? std::filesystem::path(*location) : data / ledger_file_name, data);
  if (!store.ok()) return fail(store.error());
  auto log = note::Verifier::parse((*store)->verifier_key());
  if (!log.ok()) return fail(log.error());
  auto mirror = ops::Mirror::open(dir, *log, (*store)->origin());
  if (!mirror.ok()) return fail(mirror.error());
  auto published = ops::read_published(data, *log, (*store)->origin());
  if (!published.ok()) return fail(published.error());
  const std::uint64_t have = (*store)->metrics().tree_size;
  const note::Checkpoint& m = mirror->checkpoint();
  std::vector<TreeHead> targets;
  if (*published) {
    const note::Checkpoint& p = (*published)->checkpoint;
    if (m.size < p.size) {
      return fail(Error{Code::not_found, fmt::format("{}: the mirror holds {} leaves, fewer than checkpoint {} this "
                                                     "server published at {}; get a newer export from an auditor",
                                                     dir.string(), m.size, p.size, (*published)->at)});
    }
    if (p.size >= have && p.size < m.size) targets.push_back({p.size, p.root});
    if (p.size == m.size && p.root != m.root) {
      return fail(Error{Code::corrupt, fmt::format("{}: the mirror's checkpoint has another root than the one "
                                                   "published for {} leaves; two histories signed by one key — "
                                                   "investigate before serving",
                                                   dir.string(), m.size)});
    }
  }
  if (m.size < have) {
    return fail(Error{Code::conflict, fmt::format("{}: the mirror holds {} leaves, the store already {}; nothing to "
                                                  "bring back",
                                                  dir.string(), m.size, have)});
  }
  targets.push_back({m.size, m.root});
  auto checkpoint = (*store)->append_mirrored(targets, [&](std::uint64_t i) { return mirror->leaf(i); });
  if (!checkpoint.ok()) {
    Error e = std::move(checkpoint).error();
    e.message += " (the store was left as it was)";
    return fail(e);
  }
  if (auto st = ops::guard_publication(data, **store); !st.ok()) return fail(st.error());
  std::printf(
      "restored leaves %llu..%llu from %s: the log has %llu leaves and exactly the root of the checkpoint "
      "published for that size; start the server\n",
      static_cast<unsigned long long>(have), static_cast<unsigned long long>(m.size) - 1, dir.string().c_str(),
      static_cast<unsigned long long>(m.size));
  return exit_ok;
}

int run_scrub(const std::filesystem::path& data) {
  auto storage = open_sqlite_storage((data / ledger_file_name).string());
  if (!storage.ok()) return fail(storage.error());
  ScrubOptions options;
  options.progress = [](std::uint64_t n) {
    std::printf("... %llu leaves read\n", static_cast<unsigned long long>(n));
    std::fflush(stdout);
  };
  auto report = scrub(**storage, options);
  if (!report.ok()) return fail(report.error());
  if (report->clean()) {
    std::printf(
        "scrub %s: clean: %llu leaves, %llu hash tiles and %llu entry index rows match the signed checkpoint "
        "of %llu leaves\n",
        (*storage)->name().c_str(), static_cast<unsigned long long>(report->size),
        static_cast<unsigned long long>(report->tiles_checked),
        static_cast<unsigned long long>(report->entries_checked), static_cast<unsigned long long>(report->size));
    return exit_ok;
  }
  std::printf("scrub %s: DAMAGED (checked against the signed checkpoint of %llu leaves):\n", (*storage)->name().c_str(),
              static_cast<unsigned long long>(report->size));
  for (const auto& d : report->damage) std::printf("  %s\n", d.c_str());
  if (report->damage_not_listed > 0) {
    std::printf("  ... and %llu more\n", static_cast<unsigned long long>(report->damage_not_listed));
  }
  std::printf(
      "what to do: stop the server (it must not sign checkpoints over damaged data, and offices would be served "
      "it); keep this ledger.db aside as evidence; restore the newest backup (`lontar-server restore --data %s "
      "--from FILE`), then bring back the leaves written since from an auditor's export (`lontar-server restore "
      "--data %s --from-mirror DIR`); scrub again before starting the server\n",
      data.string().c_str(), data.string().c_str());
  return exit_corrupt;
}

}  // namespace

void add_backup(CLI::App& app, int& exit_code) {
  struct Args {
    std::filesystem::path data, out, from, from_mirror;
  };
  auto a = std::make_shared<Args>();
  auto* backup = app.add_subcommand("backup",
                                    "Copy the ledger store consistently while the server runs (SQLite "
                                    "online backup), with the checkpoint it matches in FILE.checkpoint");
  backup->add_option("--data", a->data, "the server's data folder")->required();
  backup->add_option("--out", a->out, "the backup file to write (must not exist)")->required();
  backup->callback([a, &exit_code] { exit_code = run_backup(a->data, a->out); });

  auto* scrub_cmd = app.add_subcommand(
      "scrub",
      "Re-read every leaf, hash tile and entry index row of the ledger store against its latest signed "
      "checkpoint and report any damage with what to do (exit 5); may run while the server serves");
  scrub_cmd->add_option("--data", a->data, "the server's data folder")->required();
  scrub_cmd->callback([a, &exit_code] { exit_code = run_scrub(a->data); });

  auto* restore =
      app.add_subcommand("restore",
                         "With the server stopped: --from FILE puts a backup back (the replaced store is kept aside); "
                         "--from-mirror DIR re-appends the leaves a restored store (SQLite, or a PostgreSQL database "
                         "restored with PostgreSQL's tools; every server stopped) lacks from an auditor's export, "
                         "verifying the published root, so that the server may serve again");
  restore->add_option("--data", a->data, "the server's data folder (holding log.key)")->required();
  auto* from = restore->add_option("--from", a->from, "a file written by `lontar-server backup`");
  auto* mirror =
      restore->add_option("--from-mirror", a->from_mirror, "a folder written by `lontar-server export` (tlog-tiles)");
  from->excludes(mirror);
  restore->callback([a, from, mirror, &exit_code] {
    if (from->count() == 0 && mirror->count() == 0) {
      exit_code = fail(Error{Code::bad_input, "restore needs --from FILE or --from-mirror DIR"});
    } else if (from->count()) {
      exit_code = run_restore_file(a->data, a->from);
    } else {
      exit_code = run_restore_mirror(a->data, a->from_mirror);
    }
  });
}

}  // namespace lontar::server::cli
