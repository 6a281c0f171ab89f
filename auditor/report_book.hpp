// report_book.hpp — the facts a report is built from, recorded while verdicts are replayed.
//
// For each entry the replay applied (accepted or flagged) one row per programme it
// concerns: kind, office, programme, the person's occupation group, the month the
// office recorded it (office clock, UTC) and rupiah; a void records its target, which
// reports then leave out. Rows are only appended (no index to maintain per entry). Every flagged or rejected entry also
// gets an exception row with its reasons. Rows live in the audit state (tables "report_"), not in memory.
//
// ReportWriter runs a ReportBook on a thread of its own (the audit's third stage): the
// sequential replay hands it each bundle's decoded leaves with the verdicts it reached,
// through a queue of at most `report_chunks_queued_max` bundles, and goes on replaying.
// Both threads use the audit state's one SQLite connection, inside the run's one
// transaction (so a failed audit still leaves nothing), each statement under
// AuditState::db_mutex(); the rules state takes the same lock (audit_state.hpp). The
// book handles the entries one by one in log order either way, so its rows are the
// same as written on the replay's own thread (ReportWriter::Mode::inline_).
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "audit_state.hpp"
#include "chain/chain.hpp"
#include "domain/domain.hpp"
#include "leaf_stream.hpp"

namespace lontar::audit {

class ReportBook {
 public:
  // Creates the tables if missing.
  static Result<ReportBook> open(AuditState& state);

  // Records entry `e` at `leaf` with the verdict the replay reached; `payload` and
  // `person` are its decoded payload and person key (leaf_stream.hpp), when any.
  // Takes AuditState::db_mutex() for its statements.
  Status record(std::uint64_t leaf, const chain::Entry& e, const domain::Verdict& v,
                const std::optional<domain::Payload>& payload, const std::optional<Hash>& person);
  // Writes the items still buffered (record() keeps up to `items_buffered_max` of them, in
  // order, and writes them many per statement; nothing reads report_items while recording).
  Status flush();

  static constexpr std::size_t items_buffered_max = 256;

 private:
  struct Item {
    std::uint64_t leaf = 0;
    std::string office;
    std::uint64_t seq = 0;
    const char* kind = "";
    std::string programme, occupation, month;
    domain::Rupiah rupiah = 0;
  };
  enum Sql : std::size_t { exception, person_put, person_update, person_get, claim_put, claim_get, void_put };
  explicit ReportBook(AuditState& state) : state_(&state) {}
  Status record_locked(std::uint64_t leaf, const chain::Entry& e, const domain::Verdict& v,
                       const std::optional<domain::Payload>& payload, const std::optional<Hash>& person);
  // The book's own statements (not AuditState::cached(), which belongs to the replay's thread).
  Result<store::Stmt*> stmt(Sql which);
  Status item(std::uint64_t leaf, const chain::Entry& e, std::string_view programme, std::string_view occupation,
              domain::Rupiah rupiah);
  Result<std::string> occupation_of(const std::optional<Hash>& person);
  Status write_items();  // under the lock
  AuditState* state_;
  std::array<std::optional<store::Stmt>, 7> stmts_;
  std::vector<Item> items_;
  std::array<std::optional<store::Stmt>, 4> item_batches_;  // INSERTs of 64, 16, 4 and 1 items
};

constexpr std::size_t report_chunks_queued_max = 8;

// One bundle's leaves after the replay, for the book: each entry the replay judged is
// leaves[at] with the verdict it reached.
struct ReportChunk {
  struct Judged {
    std::size_t at = 0;
    domain::Verdict verdict;
  };
  std::vector<DecodedLeaf> leaves;
  std::vector<Judged> judged;
};

class ReportWriter {
 public:
  enum class Mode { thread, inline_ };
  // `state` must outlive the writer. Mode::thread starts the book's thread.
  static Result<std::unique_ptr<ReportWriter>> open(AuditState& state, Mode mode);
  ~ReportWriter();  // abandons what is queued (the run is not committed then) and joins
  ReportWriter(const ReportWriter&) = delete;
  ReportWriter& operator=(const ReportWriter&) = delete;

  // Queues a chunk (waits while the queue is full); in Mode::inline_, records it at once.
  // An error is the book's first failure (SQLite), from this chunk or an earlier one.
  Status add(ReportChunk chunk);
  // Waits until every chunk added is recorded and ends the thread; the book's first
  // failure, if any. After it, the writer no longer uses the database.
  Status finish();

 private:
  explicit ReportWriter(ReportBook book) : book_(std::move(book)) {}
  void run();
  Status record(const ReportChunk& chunk);

  ReportBook book_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ReportChunk> queue_;
  bool closing_ = false;  // finish(): no more chunks
  bool stop_ = false;     // destructor: abandon the queue
  Status failed_;         // the thread's first failure
  std::thread thread_;
};

}  // namespace lontar::audit
