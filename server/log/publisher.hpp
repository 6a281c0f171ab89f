// publisher.hpp — publishing committed groups: record the checkpoint, serve it, answer the pushes.
//
// Recording a checkpoint (before_publish: lontar-server writes it to a file and fsyncs)
// runs on a thread of its own, so that the integrator meanwhile integrates the next
// group. Groups committed while a recording is under way are published together, with
// one recording of the newest checkpoint. A push is answered only after the checkpoint
// covering it is recorded and served (Published); when recording fails, the checkpoint
// stays unserved and the pushes of those groups get the error (their leaves stay logged:
// a re-push replays them and publishing is tried again).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "log/group.hpp"

namespace lontar::server {

// Called with each new checkpoint after its commit and before it is served (in push
// answers, /checkpoint, proofs, tiles). An error keeps the checkpoint unserved and fails
// the pushes of that group. lontar-server records it outside the store
// (server/ops/published.hpp).
using BeforePublishFn = std::function<Status(std::uint64_t size, const std::string& checkpoint)>;

// The checkpoint being served: every read path answers for its size at most.
class Published {
 public:
  void set(std::string checkpoint, std::uint64_t size) {
    std::lock_guard lock(mu_);
    checkpoint_ = std::move(checkpoint);
    size_ = size;
  }
  std::string checkpoint() const {
    std::lock_guard lock(mu_);
    return checkpoint_;
  }
  std::uint64_t size() const {
    std::lock_guard lock(mu_);
    return size_;
  }

 private:
  mutable std::mutex mu_;
  std::string checkpoint_;
  std::uint64_t size_ = 0;
};

class Publisher {
 public:
  // `before_publish` may be empty. Starts the thread.
  Publisher(Published& published, Counters& counters, BeforePublishFn before_publish);
  // stop().
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Hands over a committed group (from the integrator's thread).
  void hand_over(Integrated group);
  // Publishes and answers every group handed over, then ends the thread.
  void stop();

 private:
  void run();
  // Records the newest checkpoint of `done` (committed groups, oldest first), serves it,
  // then answers every push of `done` with it.
  void publish(std::vector<Integrated>& done);

  Published& published_;
  Counters& counters_;
  BeforePublishFn before_publish_;
  // The publisher thread's own: a committed checkpoint that before_publish refused (served once it succeeds).
  std::string unpublished_;
  std::uint64_t unpublished_size_ = 0;

  std::mutex mu_;
  std::condition_variable not_empty_;
  std::deque<Integrated> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lontar::server
