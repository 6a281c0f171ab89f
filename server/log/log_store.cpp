#include "log/log_store.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "encoding/encoding.hpp"
#include "log/pg_storage.hpp"
#include "log/reader.hpp"
#include "log/sqlite_storage.hpp"
#include "note/checkpoint.hpp"

namespace lontar::server {

static_assert(bundle_leaf_bytes_max == merkle::bundle_entry_bytes_max);

struct LogStore::Impl {
  Impl(std::unique_ptr<LogStorage> s, crypto::PrivateKey key, LogStoreOptions o)
      : storage(std::move(s)), log_key(std::move(key)), options(std::move(o)) {}
  std::unique_ptr<LogStorage> storage;
  crypto::PrivateKey log_key;
  LogStoreOptions options;
  Counters counters;
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

  // The batch checked, encoded and prepared for the integrator (in the caller's thread).
  Result<std::unique_ptr<Pending>> prepare(const Caller& caller, chain::Batch batch);
  // The integrator's thread: takes every push waiting (up to integration_entries_max
  // entries), integrates them as one group, hands the group to the publisher.
  void run();
  std::vector<std::unique_ptr<Pending>> next_group();
};

namespace {

Error refusal(Code code, const std::string& principal, const std::string& why) {
  return Error{code, "push from " + principal + " refused: " + why};
}

Result<std::unique_ptr<LogStore>> start(std::unique_ptr<LogStore::Impl> impl) {
  LogStorage& storage = *impl->storage;
  impl->integrator =
      std::make_unique<Integrator>(storage.write_side(), storage.settings(), impl->log_key, storage.name());
  LONTAR_ASSIGN(std::string checkpoint, impl->integrator->load());
  impl->published.set(std::move(checkpoint), impl->integrator->size());
  LONTAR_ASSIGN(impl->counters.equivocations_total, storage.write_side().equivocation_count());
  impl->reader = std::make_unique<LogReader>(storage.read_side(), impl->published, storage.settings().nik_key);
  impl->publisher = std::make_unique<Publisher>(impl->published, impl->counters, impl->options.before_publish);
  auto* raw = impl.get();
  auto store = std::make_unique<LogStore>(std::move(impl));
  raw->integrator_thread = std::thread([raw] { raw->run(); });
  // Named (15 characters at most) for `top -H` and for the benchmark, which reads the integrator's CPU time.
  pthread_setname_np(raw->integrator_thread.native_handle(), "log-integrator");
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
  return start(std::make_unique<Impl>(std::move(storage), std::move(log_key), std::move(options)));
}

Result<std::unique_ptr<LogStore>> LogStore::open(const std::string& path, crypto::PrivateKey log_key,
                                                 LogStoreOptions options) {
  LONTAR_ASSIGN(auto storage, pg::is_url(path) ? open_pg_storage(path) : open_sqlite_storage(path));
  const crypto::PublicKey expected = log_key.public_key();
  if (storage->settings().log_public_key != expected) {
    return Error{Code::unauthorized, storage->name() + ": the log key given (" + crypto::fingerprint(expected) +
                                         ") is not the key this ledger was created with; use its log.key"};
  }
  return start(std::make_unique<Impl>(std::move(storage), std::move(log_key), std::move(options)));
}

LogStore::~LogStore() { shutdown(); }

void LogStore::shutdown() {
  {
    std::lock_guard lock(impl_->q_mu);
    impl_->stopping = true;
  }
  impl_->q_not_empty.notify_all();
  impl_->q_not_full.notify_all();
  if (impl_->integrator_thread.joinable()) impl_->integrator_thread.join();
  impl_->publisher->stop();
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
  auto p = m.prepare(caller, std::move(batch));
  if (!p.ok()) return refuse(std::move(p).error());
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
  // Chain links within the batch and the seal's signature: checked here, in the
  // caller's thread, so that many pushes verify in parallel. The link to the
  // server's head is checked by the integrator, which knows it.
  const chain::Entry& first = batch.entries.front();
  if (auto s = chain::verify_run(batch.entries, first.seq - 1, first.prev, &batch.seal); !s.ok()) {
    Error e = std::move(s).error();
    return refusal(e.code == Code::unauthorized ? Code::unauthorized : Code::bad_input, who, e.message);
  }
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
  p->batch = std::move(batch);
  p->prepared.reserve(p->batch.entries.size());
  for (const chain::Entry& e : p->batch.entries) p->prepared.emplace_back(e, storage->settings().nik_key);
  return p;
}

// ---------------------------------------------------------------- the integrator's thread

std::vector<std::unique_ptr<Pending>> LogStore::Impl::next_group() {
  std::vector<std::unique_ptr<Pending>> group;
  {
    std::unique_lock lock(q_mu);
    q_not_empty.wait(lock, [&] { return stopping || !queue.empty(); });
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
    Integrated g;
    g.group = next_group();
    if (g.group.empty()) return;  // stopping, and every queued push was integrated
    if (Status s = integrator->integrate(g); !s.ok()) {
      const Error e = std::move(s).error();
      counters.refused(g.group.size());
      counters.in_flight -= g.group.size();
      for (auto& p : g.group) p->done.set_value(e);
      continue;
    }
    publisher->hand_over(std::move(g));
  }
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
Result<protocol::Proof> LogStore::consistency_proof(std::uint64_t old_size, std::uint64_t new_size) {
  return impl_->reader->consistency_proof(old_size, new_size);
}
std::string LogStore::checkpoint() { return impl_->published.checkpoint(); }
Result<Bytes> LogStore::tile(std::string_view path) { return impl_->reader->tile(path); }
Result<std::vector<Equivocation>> LogStore::equivocations(std::size_t limit) {
  return impl_->reader->equivocations(limit);
}
Metrics LogStore::metrics() { return impl_->counters.snapshot(impl_->published.size()); }
std::size_t LogStore::pushes_in_flight() { return impl_->counters.in_flight; }

}  // namespace lontar::server
