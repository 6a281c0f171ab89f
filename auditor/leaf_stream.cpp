#include "leaf_stream.hpp"

#include "encoding/encoding.hpp"
#include "merkle/merkle.hpp"
#include "merkle/tiles.hpp"
#include "rules/rules.hpp"

namespace lontar::audit {

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
  std::uint64_t bundle_first = bundle * merkle::tile_width_full;
  merkle::TileId id{true, 0, bundle, merkle::tile_width(0, bundle, to_)};
  std::string path = merkle::tile_path(id);
  auto bytes = source_.tile(path);
  if (!bytes.ok()) {
    if (bytes.error().code == Code::not_found) {
      chunk.failure =
          Finding{std::string(check::bundle_missing), first, "", std::nullopt, path + ": " + bytes.error().message};
    } else {
      chunk.error = std::move(bytes).error().prefix("reading " + path);
    }
    return chunk;
  }
  auto leaves = merkle::parse_bundle(id, *bytes);
  if (!leaves.ok()) {
    chunk.failure =
        Finding{std::string(check::bundle_malformed), first, "", std::nullopt, path + ": " + leaves.error().message};
    return chunk;
  }
  chunk.leaves.reserve(last - first);  // never reallocated: `prepared` points into the leaves
  for (std::uint64_t i = first; i < last; ++i) {
    chunk.leaves.push_back(decode_one(i, (*leaves)[i - bundle_first], nik_key_));
    DecodedLeaf& d = chunk.leaves.back();
    if (d.decoded && d.leaf.type == chain::LeafType::entry) {
      // What judge_and_apply(entry, state) would do first, done here in parallel (rules.hpp, Prepared).
      if (d.payload) {
        d.prepared.emplace(d.leaf.entry, *d.payload, nik_key_);
      } else {
        d.prepared.emplace(d.leaf.entry, nik_key_);
      }
    }
    if (tree_.status.ok()) {
      tree_.tiles.append(chunk.leaves.back().leaf_hash);
      tree_.status = check_completed_tiles(tree_.tiles, source_, tree_.findings);
    }
  }
  return chunk;
}

void LeafStream::run() {
  std::uint64_t at = from_;
  while (at < to_) {
    std::uint64_t bundle = at / merkle::tile_width_full;
    std::uint64_t last = std::min<std::uint64_t>((bundle + 1) * merkle::tile_width_full, to_);
    Chunk chunk = read_bundle(bundle, at, last);
    bool failed = chunk.failure.has_value() || chunk.error.has_value() || !tree_.status.ok();
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
