#include "leaf_stream.hpp"

#include "encoding/encoding.hpp"
#include "rules/rules.hpp"
#include "merkle/merkle.hpp"
#include "tile_check.hpp"

namespace lontar::audit {

Result<std::vector<ByteView>> split_bundle(ByteView bundle, std::size_t count) {
  std::vector<ByteView> out;
  out.reserve(count);
  std::size_t at = 0;
  while (at < bundle.size()) {
    if (out.size() == count) {
      return Error{Code::bad_input, std::to_string(bundle.size() - at) + " bytes after the last of " +
                                        std::to_string(count) + " leaves"};
    }
    if (at + 2 > bundle.size()) return Error{Code::bad_input, "truncated length prefix of leaf " + std::to_string(out.size())};
    std::size_t n = static_cast<std::size_t>(bundle[at]) << 8 | bundle[at + 1];
    at += 2;
    if (at + n > bundle.size()) {
      return Error{Code::bad_input, "leaf " + std::to_string(out.size()) + " claims " + std::to_string(n) +
                                        " bytes but the bundle ends first (truncated)"};
    }
    out.push_back(bundle.subspan(at, n));
    at += n;
  }
  if (out.size() != count) {
    return Error{Code::bad_input, "holds " + std::to_string(out.size()) + " leaves, expected " + std::to_string(count)};
  }
  return out;
}

namespace {

std::optional<std::string_view> nik_of(const domain::Payload& p) {
  if (auto* e = std::get_if<domain::ParticipantEnroll>(&p)) return e->nik;
  if (auto* c = std::get_if<domain::ContributionPaid>(&p)) return c->nik;
  if (auto* c = std::get_if<domain::ClaimFiled>(&p)) return c->nik;
  if (auto* u = std::get_if<domain::ParticipantUpdate>(&p)) return u->nik;
  return std::nullopt;
}

DecodedLeaf decode_one(std::uint64_t index, ByteView bytes, const Hash& nik_key) {
  DecodedLeaf d;
  d.index = index;
  d.leaf_hash = merkle::leaf_hash(bytes);
  auto leaf = encoding::decode<chain::Leaf>(bytes, "leaf");
  if (!leaf.ok()) {
    d.decode_error = leaf.error().message;
    return d;
  }
  d.decoded = true;
  d.leaf = std::move(leaf).value();
  if (d.leaf.type == chain::LeafType::entry) {
    d.entry_hash = chain::entry_hash(d.leaf.entry);
    auto payload = domain::decode_payload(d.leaf.entry.kind, d.leaf.entry.payload);
    if (payload.ok()) {
      d.payload = std::move(payload).value();
      if (auto nik = nik_of(*d.payload)) d.person = rules::person_key(nik_key, *nik);
    }
  } else {
    d.seal_signature_ok = chain::seal_signature_valid(d.leaf.seal);
  }
  return d;
}

}  // namespace

LeafStream::LeafStream(Source& source, std::uint64_t from, std::uint64_t to, TreeStage& tree, const Hash& nik_key)
    : source_(source), tree_(tree), nik_key_(nik_key), from_(from), to_(to), worker_([this] { run(); }) {}

LeafStream::~LeafStream() { join(); }

void LeafStream::join() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

Chunk LeafStream::read_bundle(std::uint64_t bundle, std::uint64_t first, std::uint64_t last) {
  Chunk chunk;
  // The bundle as the source has it at size `to_`: full, or partial when it holds the last leaf.
  std::uint64_t bundle_first = bundle * tile_width;
  std::size_t width = static_cast<std::size_t>(std::min<std::uint64_t>(to_ - bundle_first, tile_width));
  std::string path = bundle_path(bundle, width);
  auto bytes = source_.tile(path);
  if (!bytes.ok()) {
    chunk.failure = Finding{std::string(check::bundle_missing), first, "", std::nullopt,
                            path + ": " + bytes.error().message};
    return chunk;
  }
  auto leaves = split_bundle(*bytes, width);
  if (!leaves.ok()) {
    chunk.failure = Finding{std::string(check::bundle_malformed), first, "", std::nullopt,
                            path + ": " + leaves.error().message};
    return chunk;
  }
  chunk.leaves.reserve(last - first);
  for (std::uint64_t i = first; i < last; ++i) {
    chunk.leaves.push_back(decode_one(i, (*leaves)[i - bundle_first], nik_key_));
    if (tree_.status.ok()) {
      tree_.status = tree_.tiles.on_nodes(tree_.builder.append(chunk.leaves.back().leaf_hash), source_, tree_.findings);
    }
  }
  return chunk;
}

void LeafStream::run() {
  std::uint64_t at = from_;
  while (at < to_) {
    std::uint64_t bundle = at / tile_width;
    std::uint64_t last = std::min<std::uint64_t>((bundle + 1) * tile_width, to_);
    Chunk chunk = read_bundle(bundle, at, last);
    bool failed = chunk.failure.has_value() || !tree_.status.ok();
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || queue_.size() < chunks_queued_max; });
      if (stop_) return;
      queue_.push_back(std::move(chunk));
    }
    cv_.notify_all();
    if (failed) break;
    at = last;
  }
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
}

std::optional<Chunk> LeafStream::next() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !queue_.empty() || done_; });
  if (queue_.empty()) return std::nullopt;
  Chunk c = std::move(queue_.front());
  queue_.pop_front();
  lock.unlock();
  cv_.notify_all();
  return c;
}

}  // namespace lontar::audit
