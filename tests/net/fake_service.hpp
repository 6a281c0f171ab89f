// fake_service.hpp — an in-memory LogService for driving the HTTP layer in tests.
// It records what it was asked and can hold pushes until released (for stop() tests).
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>

#include "server/service.hpp"

namespace lontar::test {

class FakeService : public server::LogService {
 public:
  static constexpr std::uint64_t conflict_seq = 999;  // a pushed entry with this seq is "equivocation"

  void add(const std::string& principal, domain::Role role, const crypto::PublicKey& key) {
    std::lock_guard lock(mu_);
    principals_[key] = server::Caller{principal, role, key, ""};
  }

  // While held, push() blocks until release().
  void hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }
  // Blocks until `n` pushes are waiting in hold().
  void wait_for_waiting(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return waiting_ >= n; });
  }

  std::atomic<int> pushes{0};
  std::atomic<int> authentications{0};

  Result<std::optional<server::Caller>> authenticate(const crypto::PublicKey& key) override {
    ++authentications;
    std::lock_guard lock(mu_);
    auto it = principals_.find(key);
    if (it == principals_.end()) return std::optional<server::Caller>();
    return std::optional<server::Caller>(it->second);
  }

  Result<protocol::PushResponse> push(const server::Caller& caller, chain::Batch batch) override {
    {
      std::unique_lock lock(mu_);
      ++waiting_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !held_; });
      --waiting_;
    }
    ++pushes;
    if (caller.principal != batch.principal) return Error{Code::internal, "HTTP layer let a foreign batch through"};
    protocol::PushResponse r;
    r.checkpoint = "example.org/log\n1\nAAAA\n";
    for (const auto& e : batch.entries) {
      if (e.seq == conflict_seq) {
        return Error{Code::conflict, "entry " + std::to_string(e.seq) + " differs from the one already logged"};
      }
      r.receipts.push_back(protocol::EntryReceipt{e.seq, e.seq + 100, {}});
    }
    r.seal_leaf_index = 7;
    return r;
  }

  Result<std::pair<std::uint64_t, Hash>> head(std::string_view principal) override {
    if (principal != "SBY-RUNGKUT") return Error{Code::not_found, "no principal '" + std::string(principal) + "'"};
    Hash h{};
    h.fill(0xab);
    return std::pair<std::uint64_t, Hash>{3, h};
  }

  Result<protocol::FeedPage> feed(const server::Caller&, std::uint64_t from, std::size_t limit) override {
    protocol::FeedPage page;
    page.tree_size = from + limit;
    page.items.resize(1);
    page.items[0].leaf_index = from;
    page.items[0].leaf = {1, 2, 3};
    return page;
  }

  Result<protocol::Proof> inclusion_proof(std::uint64_t index, std::uint64_t size) override {
    if (index >= size) return Error{Code::bad_input, "index must be below size"};
    return protocol::Proof{index, size, {Hash{}}};
  }
  Result<protocol::Proof> consistency_proof(std::uint64_t old_size, std::uint64_t new_size) override {
    if (old_size > new_size) return Error{Code::bad_input, "old must not exceed new"};
    return protocol::Proof{old_size, new_size, {}};
  }

  std::string checkpoint() override { return "example.org/log\n5\nAAAA\n\n— example.org/log sig\n"; }

  Result<Bytes> tile(std::string_view path) override {
    if (path == "tile/0/000" || path == "tile/entries/000") return Bytes(32, 0x11);
    return Error{Code::not_found, "no tile " + std::string(path)};
  }

  server::Metrics metrics() override {
    server::Metrics m;
    m.tree_size = 5;
    m.pushes_total = static_cast<std::uint64_t>(pushes.load());
    return m;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<crypto::PublicKey, server::Caller> principals_;
  bool held_ = false;
  int waiting_ = 0;
};

}  // namespace lontar::test
