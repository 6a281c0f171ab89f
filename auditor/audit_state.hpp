// audit_state.hpp — what the auditor remembers between runs (DESIGN.md: a re-audit
// fetches and checks only what is new, and remembers every checkpoint it accepted).
//
// One SQLite file, <state dir>/audit.sqlite, holding:
//   - every checkpoint accepted (size, root, the signed note as served);
//   - small named values (audited size, Merkle frontier, tile buffers, chain heads,
//     the open seal): whatever the checks need to resume, never the ledger itself;
//   - the rules state (rules::make_sqlite_state, tables "rules_"), so the replay of
//     verdicts resumes where it stopped (written through a batch overlay: rules());
//   - the report's facts (tables "report_"), one row per entry (report.hpp).
// A run works inside one transaction and commits only when the audit passed, so a
// failed audit never advances what is remembered.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "rules/overlay_state.hpp"
#include "rules/rules.hpp"
#include "store/db.hpp"

namespace lontar::audit {

struct AcceptedCheckpoint {
  std::uint64_t size = 0;
  Hash root{};
  std::string note;  // the signed note as it was served
};

class AuditState {
 public:
  // Opens (creating if missing) the state in `dir`. A new state gets its own random
  // key for person_key(): the rules compare people only by equality of that key, so
  // the auditor needs no secret of the server to reach the same verdicts.
  static Result<std::unique_ptr<AuditState>> open(const std::filesystem::path& dir);
  // Opens an existing state read-only (reports). not_found when there is none.
  static Result<std::unique_ptr<AuditState>> open_existing(const std::filesystem::path& dir);

  store::Db& db() { return *db_; }
  // The connection is used by two threads during a run: the replay (through rules(),
  // which takes this lock for each call it makes to the tables) and the report's
  // facts (report_book.hpp, which takes it for each entry). Everything else the run
  // does with the database (get, put, accept, cached...) happens while the report's
  // thread is not running, without the lock.
  std::mutex& db_mutex() { return db_mu_; }
  // The rules state, through a batch overlay (rules/overlay_state.hpp) over the
  // tables: the replay's changes stay in memory (bounded, flushing early when full)
  // until flush_rules() writes them, which the run does before it commits.
  rules::State& rules() { return *overlay_; }
  Status flush_rules() { return overlay_->flush(); }

  // A named value; nullopt when never set.
  Result<std::optional<Bytes>> get(std::string_view name);
  Status put(std::string_view name, ByteView value);
  Result<std::uint64_t> get_u64(std::string_view name);  // 0 when never set
  Status put_u64(std::string_view name, std::uint64_t value);

  Result<std::optional<AcceptedCheckpoint>> checkpoint_at(std::uint64_t size);
  // The largest checkpoint accepted so far.
  Result<std::optional<AcceptedCheckpoint>> latest_checkpoint();
  Result<std::uint64_t> checkpoints_accepted();
  Status accept(const AcceptedCheckpoint& cp);

  // A statement prepared once and kept for reuse: reset, bindings cleared, ready to
  // bind. Valid as long as this state.
  Result<store::Stmt*> cached(const std::string& sql);

 private:
  AuditState() = default;
  std::unique_ptr<store::Db> db_;
  std::mutex db_mu_;
  std::unique_ptr<rules::State> rules_;                 // the SQLite tables
  std::unique_ptr<rules::State> locked_;                // rules_, each call under db_mu_
  std::unique_ptr<rules::OverlayState> overlay_;        // over locked_
  std::unordered_map<std::string, store::Stmt> cache_;  // destroyed before db_
};

}  // namespace lontar::audit
