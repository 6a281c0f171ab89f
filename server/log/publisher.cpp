#include "log/publisher.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

namespace lontar::server {

Publisher::Publisher(Published& published, Counters& counters, BeforePublishFn before_publish)
    : published_(published), counters_(counters), before_publish_(std::move(before_publish)) {
  thread_ = std::thread([this] { run(); });
  // Named (15 characters at most) for `top -H`.
  pthread_setname_np(thread_.native_handle(), "log-publisher");
}

Publisher::~Publisher() { stop(); }

void Publisher::hand_over(Integrated group) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(group));
  }
  not_empty_.notify_one();
}

void Publisher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  not_empty_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Publisher::run() {
  while (true) {
    std::vector<Integrated> done;
    {
      std::unique_lock lock(mu_);
      not_empty_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every integrated group was answered
      while (!queue_.empty()) {
        done.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    publish(done);
  }
}

void Publisher::publish(std::vector<Integrated>& done) {
  for (Integrated& d : done) {
    if (!d.note.empty()) {
      unpublished_ = std::move(d.note);
      unpublished_size_ = d.size;
      ++counters_.integrations_total;
    }
  }
  Status publish_status;
  if (!unpublished_.empty() && before_publish_) {
    if (Status recorded = before_publish_(unpublished_size_, unpublished_); !recorded.ok()) {
      Error e = std::move(recorded).error();
      e.prefix("the checkpoint for " + std::to_string(unpublished_size_) +
               " leaves is committed but not served: recording it failed");
      spdlog::error("{}", e.message);
      publish_status = std::move(e);
    }
  }
  if (!unpublished_.empty() && publish_status.ok()) {
    published_.set(std::move(unpublished_), unpublished_size_);
    unpublished_.clear();
  }
  const std::string served = published_.checkpoint();
  for (Integrated& d : done) {
    counters_.answered(d.group.size(), d.counts);
    for (std::size_t i = 0; i < d.group.size(); ++i) {
      Result<protocol::PushResponse>& r = *d.outcomes[i];
      if (r.ok() && !publish_status.ok()) {
        r = Error{Code::io, publish_status.error().message + "; the entries are logged: push again for their receipts"};
      }
      if (r.ok()) r->checkpoint = served;
      d.group[i]->done.set_value(std::move(r));
    }
  }
}

}  // namespace lontar::server
