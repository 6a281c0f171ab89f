#include "log/log_store.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "base/clock.hpp"
#include "chain/verify_hashed.hpp"
#include "encoding/encoding.hpp"
#include "log/pg_storage.hpp"
#include "log/reader.hpp"
#include "log/scrub.hpp"
#include "log/signing_stop.hpp"
#include "log/sqlite_storage.hpp"
#include "note/checkpoint.hpp"

namespace lontar::server {

static_assert(bundle_leaf_bytes_max == merkle::bundle_entry_bytes_max);

namespace {
// Several processes on one database: how often a process without the integrator role
// follows the log (serves the newest checkpoint) and tries to take the role — the bound
// on failover once the database has ended the integrator's session —, how often the
// integrator looks at the queue of pushes other processes accepted, how many it takes per
// group, and how long a queued push waits for its answer.
constexpr auto follow_interval = std::chrono::milliseconds(250);
constexpr auto queue_poll_interval = std::chrono::milliseconds(10);
constexpr std::size_t queued_pushes_per_group = 256;
constexpr auto queued_push_wait_max = std::chrono::seconds(120);
// The background scrub: the least time from one pass's start to the next (a small log is
// not re-read in a busy loop), and the pause after the store could not be read.
constexpr auto scrub_pass_interval_min = std::chrono::seconds(1);
// Damage items named in a refused push's message (the log lists up to ScrubOptions::damage_max).
constexpr std::size_t scrub_damage_in_refusal = 3;
}  // namespace

struct LogStore::Impl {
  Impl(std::unique_ptr<LogStorage> s, crypto::PrivateKey key, LogStoreOptions o, std::string p)
      : storage(std::move(s)), log_key(std::move(key)), options(std::move(o)), path(std::move(p)) {}
  std::unique_ptr<LogStorage> storage;
  crypto::PrivateKey log_key;
  LogStoreOptions options;
  std::string path;  // where the store is (LogStore::open's `path`)
  Counters counters;
  SigningStop signing_stop;
  Published published;
  std::unique_ptr<Integrator> integrator;  // only the integrator thread uses it after start
  std::unique_ptr<LogReader> reader;
  std::unique_ptr<Publisher> publisher;

  // ---- the queue ----
  std::mutex q_mu;
  std::condition_variable q_not_empty, q_not_full;
  std::deque<std::unique_ptr<Pending>> queue;
  bool stopping = false;
  std::thread integrator_thread;

  // ---- several processes on one database (storage.hpp, SharedLog); null otherwise ----
  SharedLog* shared = nullptr;
  std::atomic<bool> integrating{true};  // this process holds the integrator role
  std::int64_t queue_pulled = 0;        // integrator's thread: the newest queued push taken
  // Pushes queued by other processes, being integrated here: answered through the database.
  std::mutex a_mu;
  std::condition_variable a_ready;
  std::deque<std::pair<std::int64_t, std::future<Result<protocol::PushResponse>>>> answers;
  bool answers_stopping = false;
  std::thread answerer_thread;

  // The batch checked, encoded and prepared for the integrator (in the caller's thread).
  Result<std::unique_ptr<Pending>> prepare(const Caller& caller, chain::Batch batch);
  // The integrator's thread: takes every push waiting (up to integration_entries_max
  // entries), integrates them as one group, hands the group to the publisher. Without
  // the integrator role (shared), it follows the log and tries to take the role.
  void run();
  // The pushes waiting; waits for one at most `wait` (forever when nullopt).
  std::vector<std::unique_ptr<Pending>> next_group(std::optional<std::chrono::milliseconds> wait);
  bool is_stopping() {
    std::lock_guard lock(q_mu);
    return stopping;
  }

  // Shared: a push queued in the database for the integrating process, and its answer.
  Result<protocol::PushResponse> push_through_queue(const Caller& caller, const chain::Batch& batch);
  // Shared, integrator's thread: the pushes other processes queued, appended to `group`.
  void pull_queued(std::vector<std::unique_ptr<Pending>>& group);
  // Shared, without the role: serve the newest committed checkpoint; take the role if free.
  void follow();
  // Serves `note` (a signed checkpoint) when it is newer than the one served.
  void adopt(const std::string& note);
  // The answerer's thread: writes the answers of queued pushes to the database.
  void answer_queued();

  // ---- the background scrub (scrub.hpp) ----
  std::thread scrub_thread;
  std::mutex s_mu;
  std::condition_variable s_wake;
  bool scrub_stopping = false;
  std::atomic<std::uint64_t> scrub_leaves_checked_total{0}, scrub_passes_total{0};
  std::atomic<std::int64_t> scrub_last_pass_ms{0};
  // The scrub's thread: passes over the log at options.scrub_leaves_per_second until
  // shutdown, or until one finds damage (then signing stops and the thread ends).
  void scrub_loop();
  // Waits until `when`; false when the store is shutting down.
  bool scrub_wait_until(std::chrono::steady_clock::time_point when) {
    std::unique_lock lock(s_mu);
    return !s_wake.wait_until(lock, when, [&] { return scrub_stopping; });
  }
  // Stops signing for the damage in `report`; logs the alarm (once).
  void scrub_damaged(const ScrubReport& report);
};

namespace {

Error refusal(Code code, const std::string& principal, const std::string& why) {
  return Error{code, "push from " + principal + " refused: " + why};
}

Result<std::unique_ptr<LogStore>> start(std::unique_ptr<LogStore::Impl> impl) {
  LogStorage& storage = *impl->storage;
  impl->integrator = std::make_unique<Integrator>(storage.write_side(), storage.settings(), impl->log_key,
                                                  storage.name(), impl->signing_stop);
  LONTAR_ASSIGN(std::string checkpoint, impl->integrator->load());
  impl->published.set(std::move(checkpoint), impl->integrator->size());
  LONTAR_ASSIGN(impl->counters.equivocations_total, storage.write_side().equivocation_count());
  impl->reader = std::make_unique<LogReader>(storage.read_side(), impl->published, storage.settings().nik_key,
                                             impl->options.proof_cache_tiles);
  impl->publisher = std::make_unique<Publisher>(impl->published, impl->counters, impl->options.before_publish);
  impl->shared = storage.shared();
  if (impl->shared != nullptr) {
    impl->integrating = impl->shared->integrating();
    spdlog::info("log: {} on {}: {}", storage.settings().origin, storage.name(),
                 impl->integrating ? "this process integrates (it holds the integrator lock)"
                                   : "another process integrates; pushes are queued for it, and this process "
                                     "takes over when it stops");
  }
  auto* raw = impl.get();
  auto store = std::make_unique<LogStore>(std::move(impl));
  if (raw->shared != nullptr) raw->answerer_thread = std::thread([raw] { raw->answer_queued(); });
  raw->integrator_thread = std::thread([raw] { raw->run(); });
  // Named (15 characters at most) for `top -H` and for the benchmark, which reads the integrator's CPU time.
  pthread_setname_np(raw->integrator_thread.native_handle(), "log-integrator");
  if (raw->options.scrub_leaves_per_second > 0) {
    if (pg::is_url(raw->path)) {
      spdlog::info(
          "scrub: the background scrub checks SQLite ledgers only; check a PostgreSQL ledger with the database's "
          "own tools and `lontar-audit verify --sample N`");
    } else {
      raw->scrub_thread = std::thread([raw] { raw->scrub_loop(); });
      pthread_setname_np(raw->scrub_thread.native_handle(), "log-scrub");
    }
  }
  return store;
}

}  // namespace

// ---------------------------------------------------------------- open / create / stop

LogStore::LogStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<LogStore>> LogStore::create(const std::string& path, const std::string& origin,
                                                   crypto::PrivateKey log_key, const rules::NikKey& nik_key,
                                                   LogStoreOptions options) {
  if (auto s = note::check_key_name(origin); !s.ok()) {
    return std::move(s).error().prefix("log origin '" + origin + "'");
  }
  const LogSettings settings{origin, log_key.public_key(), nik_key};
  LONTAR_ASSIGN(auto storage,
                pg::is_url(path) ? create_pg_storage(path, settings) : create_sqlite_storage(path, settings));
  return start(std::make_unique<Impl>(std::move(storage), std::move(log_key), std::move(options), path));
}

Result<std::unique_ptr<LogStore>> LogStore::open(const std::string& path, crypto::PrivateKey log_key,
                                                 LogStoreOptions options) {
  LONTAR_ASSIGN(auto storage, pg::is_url(path) ? open_pg_storage(path) : open_sqlite_storage(path));
  const crypto::PublicKey expected = log_key.public_key();
  if (storage->settings().log_public_key != expected) {
    return Error{Code::unauthorized, storage->name() + ": the log key given (" + crypto::fingerprint(expected) +
                                         ") is not the key this ledger was created with; use its log.key"};
  }
  return start(std::make_unique<Impl>(std::move(storage), std::move(log_key), std::move(options), path));
}

LogStore::~LogStore() { shutdown(); }

void LogStore::shutdown() {
  {
    std::lock_guard lock(impl_->s_mu);
    impl_->scrub_stopping = true;
  }
  impl_->s_wake.notify_all();
  if (impl_->scrub_thread.joinable()) impl_->scrub_thread.join();
  {
    std::lock_guard lock(impl_->q_mu);
    impl_->stopping = true;
  }
  impl_->q_not_empty.notify_all();
  impl_->q_not_full.notify_all();
  if (impl_->integrator_thread.joinable()) impl_->integrator_thread.join();
  impl_->publisher->stop();
  {
    std::lock_guard lock(impl_->a_mu);
    impl_->answers_stopping = true;
  }
  impl_->a_ready.notify_all();
  if (impl_->answerer_thread.joinable()) impl_->answerer_thread.join();
}

const std::string& LogStore::origin() const { return impl_->storage->settings().origin; }
const rules::NikKey& LogStore::nik_key() const { return impl_->storage->settings().nik_key; }

std::string LogStore::verifier_key() const {
  auto v = note::Verifier::make(origin(), impl_->log_key.public_key());
  return v.ok() ? v->to_string() : std::string();
}

// ---------------------------------------------------------------- push

Result<protocol::PushResponse> LogStore::push(const Caller& caller, chain::Batch batch) {
  Impl& m = *impl_;
  auto refuse = [&](Error e) -> Result<protocol::PushResponse> {
    m.counters.refused(1);
    spdlog::warn("{}", e.message);
    return e;
  };
  if (auto why = m.signing_stop.why()) return refuse(std::move(*why));
  auto p = m.prepare(caller, std::move(batch));
  if (!p.ok()) return refuse(std::move(p).error());
  if (m.shared != nullptr && !m.integrating) return m.push_through_queue(caller, (*p)->batch);
  auto done = (*p)->done.get_future();
  {
    std::unique_lock lock(m.q_mu);
    m.q_not_full.wait(lock, [&] { return m.stopping || m.queue.size() < m.options.push_queue_max; });
    if (m.stopping) {
      return refuse(Error{Code::io, "the server is shutting down; push again after it restarts"});
    }
    m.queue.push_back(std::move(*p));
    ++m.counters.in_flight;
  }
  m.q_not_empty.notify_one();
  return done.get();
}

Result<std::unique_ptr<Pending>> LogStore::Impl::prepare(const Caller& caller, chain::Batch batch) {
  const std::string& who = batch.principal;
  if (caller.principal != batch.principal) {
    return refusal(Code::unauthorized, who,
                   "the caller is " + caller.principal + "; a principal may push only its own entries");
  }
  if (batch.entries.empty()) return refusal(Code::bad_input, who, "the batch has no entries");
  if (batch.entries.size() > chain::batch_entries_max) {
    return refusal(Code::bad_input, who,
                   "the batch has " + std::to_string(batch.entries.size()) + " entries, more than " +
                       std::to_string(chain::batch_entries_max) + "; push it in smaller batches");
  }
  if (batch.seal.principal != batch.principal) {
    return refusal(Code::bad_input, who, "the seal is for " + batch.seal.principal + ", not " + who);
  }
  if (batch.entries.front().seq == 0) return refusal(Code::bad_input, who, "entry seq 0 does not exist");
  auto p = std::make_unique<Pending>();
  p->entry_bytes.reserve(batch.entries.size());
  p->entry_hashes.reserve(batch.entries.size());
  for (const chain::Entry& e : batch.entries) {
    auto bytes = encoding::encode(e);
    if (!bytes.ok())
      return refusal(Code::bad_input, who, "seq " + std::to_string(e.seq) + ": " + bytes.error().message);
    if (bytes->size() > entry_bytes_max) {
      return refusal(Code::bad_input, who,
                     "seq " + std::to_string(e.seq) + " is " + std::to_string(bytes->size()) +
                         " bytes encoded, more than the log's " + std::to_string(entry_bytes_max));
    }
    p->entry_hashes.push_back(chain::entry_hash_of_bytes(*bytes));
    p->entry_bytes.push_back(std::move(bytes).value());
  }
  // Chain links within the batch and the seal's signature: checked here, in the
  // caller's thread, so that many pushes verify in parallel, with the hashes just
  // computed (each entry is encoded and hashed once). The link to the server's
  // head is checked by the integrator, which knows it.
  const chain::Entry& first = batch.entries.front();
  if (auto s = chain::verify_run(batch.entries, p->entry_hashes, first.seq - 1, first.prev, &batch.seal); !s.ok()) {
    Error e = std::move(s).error();
    return refusal(e.code == Code::unauthorized ? Code::unauthorized : Code::bad_input, who, e.message);
  }
  p->batch = std::move(batch);
  p->prepared.reserve(p->batch.entries.size());
  for (const chain::Entry& e : p->batch.entries) p->prepared.emplace_back(e, storage->settings().nik_key);
  return p;
}

// ---------------------------------------------------------------- the integrator's thread

std::vector<std::unique_ptr<Pending>> LogStore::Impl::next_group(std::optional<std::chrono::milliseconds> wait) {
  std::vector<std::unique_ptr<Pending>> group;
  {
    std::unique_lock lock(q_mu);
    if (wait) {
      q_not_empty.wait_for(lock, *wait, [&] { return stopping || !queue.empty(); });
    } else {
      q_not_empty.wait(lock, [&] { return stopping || !queue.empty(); });
    }
    std::size_t entries = 0;
    while (!queue.empty() &&
           (group.empty() || entries + queue.front()->batch.entries.size() <= options.integration_entries_max)) {
      entries += queue.front()->batch.entries.size();
      group.push_back(std::move(queue.front()));
      queue.pop_front();
    }
  }
  q_not_full.notify_all();
  return group;
}

void LogStore::Impl::run() {
  while (true) {
    if (shared != nullptr && !integrating) {
      {
        std::unique_lock lock(q_mu);
        q_not_empty.wait_for(lock, follow_interval, [&] { return stopping; });
        if (stopping) return;
      }
      follow();
      continue;
    }
    Integrated g;
    // Shared: the queue in the database is looked at every queue_poll_interval too.
    g.group = next_group(shared != nullptr ? std::optional(queue_poll_interval) : std::nullopt);
    if (shared != nullptr && !is_stopping()) pull_queued(g.group);  // stopping: they wait for the next integrator
    if (g.group.empty()) {
      if (is_stopping()) return;  // stopping, and every queued push was integrated
      continue;
    }
    if (Status s = integrator->integrate(g); !s.ok()) {
      const Error e = std::move(s).error();
      counters.refused(g.group.size());
      counters.in_flight -= g.group.size();
      for (auto& p : g.group) p->done.set_value(e);
      if (shared != nullptr && !shared->integrating()) {
        integrating = false;
        spdlog::warn("log: this process lost the integrator role (its database session ended); following");
      }
      continue;
    }
    publisher->hand_over(std::move(g));
  }
}

// ---------------------------------------------------------------- several processes, one database

Result<protocol::PushResponse> LogStore::Impl::push_through_queue(const Caller& caller, const chain::Batch& batch) {
  LONTAR_ASSIGN(Bytes bytes, encoding::encode(batch));
  LONTAR_ASSIGN(std::int64_t id, shared->enqueue(caller, bytes));
  auto pause = std::chrono::milliseconds(2);
  const auto until = std::chrono::steady_clock::now() + queued_push_wait_max;
  while (std::chrono::steady_clock::now() < until) {
    if (is_stopping()) return Error{Code::io, "the server is shutting down; push again after it restarts"};
    LONTAR_ASSIGN(auto answer, shared->take_answer(id));
    if (answer) {
      if (answer->error) return std::move(*answer->error);
      LONTAR_ASSIGN(auto resp, encoding::decode<protocol::PushResponse>(answer->response, "queued push answer"));
      adopt(resp.checkpoint);
      return resp;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  return Error{Code::io, "push from " + caller.principal +
                             " was queued for the integrating server but not answered "
                             "within " +
                             std::to_string(queued_push_wait_max.count()) +
                             " s (is one running?); push again: entries already logged get their receipts"};
}

void LogStore::Impl::pull_queued(std::vector<std::unique_ptr<Pending>>& group) {
  auto rows = shared->queued(queue_pulled, queued_pushes_per_group);
  if (!rows.ok()) {
    spdlog::warn("log: cannot read the push queue (retried): {}", rows.error().message);
    return;
  }
  std::lock_guard lock(a_mu);
  for (QueuedPush& q : *rows) {
    queue_pulled = q.id;
    auto batch = encoding::decode<chain::Batch>(q.batch, "queued push");
    auto p = batch.ok() ? prepare(q.caller, std::move(*batch)) : Result<std::unique_ptr<Pending>>(batch.error());
    if (!p.ok()) {
      std::promise<Result<protocol::PushResponse>> refused;
      refused.set_value(std::move(p).error());
      answers.emplace_back(q.id, refused.get_future());
      continue;
    }
    answers.emplace_back(q.id, (*p)->done.get_future());
    ++counters.in_flight;
    group.push_back(std::move(*p));
  }
  a_ready.notify_one();
}

void LogStore::Impl::answer_queued() {
  while (true) {
    std::pair<std::int64_t, std::future<Result<protocol::PushResponse>>> next;
    {
      std::unique_lock lock(a_mu);
      a_ready.wait(lock, [&] { return answers_stopping || !answers.empty(); });
      if (answers.empty()) return;
      next = std::move(answers.front());
      answers.pop_front();
    }
    QueuedAnswer a;
    try {
      auto r = next.second.get();
      if (r.ok()) {
        auto bytes = encoding::encode(*r);
        if (bytes.ok()) {
          a.response = std::move(*bytes);
        } else {
          a.error = bytes.error();
        }
      } else {
        a.error = std::move(r).error();
      }
    } catch (const std::future_error&) {
      a.error = Error{Code::io, "the server stopped before integrating this push; push again"};
    }
    // The asking process waits for it: retried while the database is away (bounded; past
    // that it times out and the office pushes again, which is safe).
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto st = shared->answer(next.first, a);
      if (st.ok()) break;
      spdlog::warn("log: cannot write the answer to queued push {} (retried): {}", next.first, st.error().message);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

void LogStore::Impl::adopt(const std::string& note) {
  const auto end = note.find("\n\n");
  auto cp = note::parse_checkpoint(std::string_view(note).substr(0, end == std::string::npos ? 0 : end + 1));
  if (!cp.ok() || cp->size <= published.size()) return;
  if (options.before_publish) {
    if (auto st = options.before_publish(cp->size, note); !st.ok()) {
      spdlog::error("log: checkpoint {} not served: {}", cp->size, st.error().message);
      return;
    }
  }
  published.set(note, cp->size);
}

void LogStore::Impl::follow() {
  auto latest = shared->latest_checkpoint();
  if (latest.ok() && *latest) adopt((*latest)->note);
  auto taken = shared->try_integrate();
  if (!taken.ok()) {
    spdlog::warn("log: cannot reach the database to follow the log (retried): {}", taken.error().message);
    return;
  }
  if (!*taken) return;
  auto checkpoint = integrator->load();
  if (!checkpoint.ok()) {
    spdlog::error("log: took the integrator role but cannot load the log (retried): {}", checkpoint.error().message);
    return;
  }
  adopt(*checkpoint);
  queue_pulled = 0;
  integrating = true;
  spdlog::info("log: this process took the integrator role at tree size {}", integrator->size());
}

// ---------------------------------------------------------------- the background scrub

void LogStore::Impl::scrub_loop() {
  using Clock = std::chrono::steady_clock;
  const std::uint64_t rate = options.scrub_leaves_per_second;
  // Steps of about a tenth of a second's worth of leaves, so that the rate holds over
  // short spans too and a step never holds the database's snapshot for long.
  const std::uint64_t chunk = std::clamp<std::uint64_t>(rate / 10, 1, 4096);
  spdlog::info("scrub: re-reading the log in the background at {} leaves/s (one pass after another)", rate);
  std::unique_ptr<LogStorage> own;  // a connection of its own: reads committed rows only
  std::string last_warning;         // said once until it changes
  auto warn = [&](const Error& e) {
    if (e.message == last_warning) return;
    last_warning = e.message;
    spdlog::warn("scrub: cannot read the log (retried every second): {}", e.message);
  };
  while (true) {
    const auto began = Clock::now();
    if (!own) {
      auto opened = open_sqlite_storage(path);
      if (opened.ok()) {
        own = std::move(*opened);
      } else {
        warn(opened.error());
      }
    }
    auto pass = own ? ScrubPass::start(*own) : Result<ScrubPass>(Error{Code::io, "not open"});
    // not_found: no checkpoint yet (a new ledger), nothing to check.
    if (own && !pass.ok() && pass.error().code != Code::not_found) warn(pass.error());
    if (pass.ok()) {
      std::uint64_t counted = 0;
      while (!pass->done()) {
        auto step = pass->step(chunk);
        if (!step.ok()) {
          warn(step.error());
          break;
        }
        scrub_leaves_checked_total += pass->leaves_checked() - counted;
        counted = pass->leaves_checked();
        if (!pass->report().clean()) break;  // the alarm at once, not at the pass's end
        if (!scrub_wait_until(began + std::chrono::microseconds(counted * 1'000'000 / rate))) return;
      }
      if (!pass->report().clean()) {
        scrub_damaged(pass->report());
        return;
      }
      if (pass->done()) {
        ++scrub_passes_total;
        scrub_last_pass_ms = now_ms();
        last_warning.clear();
        spdlog::debug("scrub: pass over {} leaves clean", pass->report().size);
      }
    }
    if (!scrub_wait_until(began + scrub_pass_interval_min)) return;
  }
}

void LogStore::Impl::scrub_damaged(const ScrubReport& report) {
  const std::string data = std::filesystem::path(path).parent_path().string();
  std::string named;
  for (std::size_t i = 0; i < report.damage.size() && i < scrub_damage_in_refusal; ++i) {
    named += (i == 0 ? "" : "; ") + report.damage[i];
  }
  if (report.damage.size() > scrub_damage_in_refusal) {
    named += fmt::format("; and {} more (the server's log lists them)",
                         report.damage.size() - scrub_damage_in_refusal + report.damage_not_listed);
  }
  const std::string what_to_do = fmt::format(
      "the log stopped signing and refuses pushes (offices keep their entries and push again later). Stop the "
      "server, keep {0}/ledger.db aside as evidence, list the damage with `lontar-server scrub --data {0}`, restore "
      "the newest backup (`lontar-server restore --data {0} --from FILE`) and the leaves since from an auditor's "
      "export (`lontar-server restore --data {0} --from-mirror DIR`), scrub again, then start the server "
      "(docs/OPERATIONS.md)",
      data);
  const std::string why =
      "DAMAGED LEDGER: the background scrub found stored data that does not match the signed "
      "tree: " +
      named + ". " + what_to_do;
  // Said once: the scrub's thread ends after this (a stop already thrown by the integrator keeps its cause).
  signing_stop.stop(SigningStop::Cause::scrub_damage, why);
  // One line (the log is one line per event): every damage item listed, then what to do.
  std::string all;
  for (const auto& d : report.damage) all += (all.empty() ? "" : " | ") + d;
  if (report.damage_not_listed > 0) all += fmt::format(" | ... and {} more", report.damage_not_listed);
  spdlog::critical(
      "ALARM: the background scrub found the ledger damaged (checked against the signed checkpoint of "
      "{} leaves): {}. {}",
      report.size, all, what_to_do);
}

// ---------------------------------------------------------------- restore from a mirror

Result<std::string> LogStore::append_mirrored(std::span<const TreeHead> targets,
                                              const std::function<Result<Bytes>(std::uint64_t index)>& leaf_at) {
  Impl& m = *impl_;
  // Holding the queue's lock keeps pushes out; in_flight == 0 means the integrator is idle.
  std::lock_guard lock(m.q_mu);
  if (m.stopping || !m.queue.empty() || m.counters.in_flight != 0) {
    return Error{Code::conflict,
                 m.storage->name() + ": pushes are in flight; restore only into a store no server is using"};
  }
  LONTAR_ASSIGN(std::string note, m.integrator->append_mirrored(targets, leaf_at));
  if (!note.empty()) m.published.set(std::move(note), m.integrator->size());
  return m.published.checkpoint();
}

// ---------------------------------------------------------------- reads

Result<std::optional<Caller>> LogStore::authenticate(const crypto::PublicKey& key) {
  return impl_->reader->authenticate(key);
}
Result<std::pair<std::uint64_t, Hash>> LogStore::head(std::string_view principal) {
  return impl_->reader->head(principal);
}
Result<protocol::FeedPage> LogStore::feed(const Caller& caller, std::uint64_t from, std::size_t limit) {
  return impl_->reader->feed(caller, from, limit);
}
Result<protocol::Proof> LogStore::inclusion_proof(std::uint64_t index, std::uint64_t size) {
  return impl_->reader->inclusion_proof(index, size);
}
Result<protocol::Proof> LogStore::range_proof(std::uint64_t begin, std::uint64_t end, std::uint64_t size) {
  return impl_->reader->range_proof(begin, end, size);
}
Result<protocol::Proof> LogStore::consistency_proof(std::uint64_t old_size, std::uint64_t new_size) {
  return impl_->reader->consistency_proof(old_size, new_size);
}
std::string LogStore::checkpoint() { return impl_->published.checkpoint(); }
Result<Bytes> LogStore::tile(std::string_view path) { return impl_->reader->tile(path); }
Result<std::vector<Equivocation>> LogStore::equivocations(std::size_t limit) {
  return impl_->reader->equivocations(limit);
}
Metrics LogStore::metrics() {
  const Impl& m = *impl_;
  Metrics out = m.counters.snapshot(m.published.size());
  out.scrub_leaves_per_second = m.scrub_thread.joinable() ? m.options.scrub_leaves_per_second : 0;
  out.scrub_leaves_checked_total = m.scrub_leaves_checked_total;
  out.scrub_passes_total = m.scrub_passes_total;
  out.scrub_last_pass_completed_seconds = static_cast<std::uint64_t>(m.scrub_last_pass_ms / 1000);
  const auto cause = m.signing_stop.cause();
  out.scrub_damage = cause == SigningStop::Cause::scrub_damage ? 1 : 0;
  out.integrator_invariant_broken = cause == SigningStop::Cause::integrator_invariant ? 1 : 0;
  out.signing_stopped = cause ? 1 : 0;
  return out;
}
std::size_t LogStore::pushes_in_flight() { return impl_->counters.in_flight; }

}  // namespace lontar::server
