// trusted_log_test.cpp — protocol::TrustedLog: which signed checkpoints a client of
// the log may believe, and the evidence it keeps when one contradicts the last.
#include <doctest/doctest.h>

#include "merkle/merkle.hpp"
#include "note/checkpoint.hpp"
#include "protocol/trusted_log.hpp"

using namespace lontar;

namespace {

constexpr std::string_view origin = "lontar.test/trusted";

crypto::PrivateKey new_key() { return std::move(crypto::PrivateKey::generate()).value(); }

// A log signed by `key`, held in memory.
struct Log {
  explicit Log(const crypto::PrivateKey& k)
      : key(k), verifier(std::move(note::Verifier::make(std::string(origin), k.public_key())).value()) {}
  const crypto::PrivateKey& key;
  note::Verifier verifier;
  merkle::MemoryTree tree;

  void grow(int leaves, std::uint8_t salt = 0) {
    for (int i = 0; i < leaves; ++i) {
      const std::uint8_t b[] = {salt, static_cast<std::uint8_t>(tree.size())};
      tree.append(merkle::leaf_hash(ByteView(b)));
    }
  }
  std::string signed_note() const {
    return std::move(
               note::sign_checkpoint(note::Checkpoint{std::string(origin), tree.size(), tree.root(), {}}, origin, key))
        .value();
  }
  protocol::ConsistencySource proofs() const {
    return [this](std::uint64_t old_size, std::uint64_t new_size) -> Result<std::vector<Hash>> {
      return merkle::consistency_proof(tree, old_size, new_size);
    };
  }
};

}  // namespace

TEST_CASE("a checkpoint that extends the trusted one is accepted and becomes the trusted one") {
  const auto key = new_key();
  Log log(key);
  log.grow(5);
  protocol::TrustedLog trusted(log.verifier, std::nullopt);
  REQUIRE(trusted.accept(log.signed_note(), log.proofs()).ok());
  log.grow(7);
  auto cp = trusted.accept(log.signed_note(), log.proofs());
  REQUIRE(cp.ok());
  CHECK(cp->size == 12);
  REQUIRE(trusted.last().has_value());
  CHECK(trusted.last()->size == 12);
  CHECK(trusted.last()->note == log.signed_note());
}

TEST_CASE("a forked log is history_changed, with both signed checkpoints as evidence, and is not trusted") {
  const auto key = new_key();
  Log log(key), fork(key);
  log.grow(5);
  protocol::TrustedLog trusted(log.verifier, std::nullopt);
  REQUIRE(trusted.accept(log.signed_note(), log.proofs()).ok());
  const std::string first = log.signed_note();

  fork.grow(6, /*salt=*/9);  // another history under the same key
  const std::string forked = fork.signed_note();
  auto r = trusted.accept(forked, fork.proofs());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::history_changed);
  REQUIRE(r.error().evidence.size() == 2);
  CHECK(r.error().evidence[0] == first);
  CHECK(r.error().evidence[1] == forked);
  CHECK(trusted.last()->size == 5);  // unchanged

  Log small(key);
  small.grow(3);
  auto shrunk = trusted.check(small.signed_note(), small.proofs());
  REQUIRE_FALSE(shrunk.ok());
  CHECK(shrunk.error().code == Code::history_changed);
  CHECK(shrunk.error().message.find("shrank from 5 to 3") != std::string::npos);
}

TEST_CASE("a checkpoint not signed by the pinned key is history_changed; a proof source's own error passes") {
  const auto key = new_key(), other = new_key();
  Log log(key), stranger(other);
  log.grow(2);
  stranger.grow(2);
  protocol::TrustedLog trusted(log.verifier, std::nullopt);
  auto r = trusted.check(stranger.signed_note(), nullptr);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Code::history_changed);

  REQUIRE(trusted.accept(log.signed_note(), log.proofs()).ok());
  log.grow(2);
  auto offline = trusted.check(log.signed_note(), [](std::uint64_t, std::uint64_t) -> Result<std::vector<Hash>> {
    return Error{Code::io, "the server went away"};
  });
  REQUIRE_FALSE(offline.ok());
  CHECK(offline.error().code == Code::io);
}
