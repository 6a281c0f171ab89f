#include "verify.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "audit_state.hpp"
#include "leaf_stream.hpp"
#include "ledger_check.hpp"
#include "merkle/merkle.hpp"
#include "merkle/tiles.hpp"
#include "store/db.hpp"
#include "tile_check.hpp"

namespace lontar::audit {
namespace {

constexpr std::string_view audited_size_name = "audited_size";
constexpr std::string_view frontier_name = "frontier";
constexpr std::string_view tiles_name = "tiles";
constexpr std::string_view verifier_name = "verifier";

// The frontier's nodes as a HashReader, so RootBuilder::resume can continue from them.
class FrontierReader final : public merkle::HashReader {
 public:
  explicit FrontierReader(std::vector<merkle::Node> nodes) : nodes_(std::move(nodes)) {}
  Result<std::vector<Hash>> read(std::span<const merkle::NodeId> ids) const override {
    std::vector<Hash> out;
    for (const auto& id : ids) {
      bool found = false;
      for (const auto& n : nodes_) {
        if (n.id == id) {
          out.push_back(n.hash);
          found = true;
          break;
        }
      }
      if (!found) return Error{Code::corrupt, "the saved Merkle frontier lacks a node; delete the state folder"};
    }
    return out;
  }

 private:
  std::vector<merkle::Node> nodes_;
};

Bytes save_frontier(std::span<const merkle::Node> nodes) {
  Bytes out;
  for (const auto& n : nodes) {
    out.push_back(n.id.level);
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(n.id.index >> (8 * i)));
    append(out, n.hash);
  }
  return out;
}

Result<std::vector<merkle::Node>> load_frontier(ByteView b) {
  constexpr std::size_t node_bytes = 1 + 8 + 32;
  if (b.size() % node_bytes != 0 || b.size() / node_bytes > 64) {
    return Error{Code::corrupt, "the saved Merkle frontier is malformed; delete the state folder"};
  }
  std::vector<merkle::Node> out(b.size() / node_bytes);
  for (std::size_t k = 0; k < out.size(); ++k) {
    const std::uint8_t* p = b.data() + k * node_bytes;
    out[k].id.level = p[0];
    for (int i = 7; i >= 0; --i) out[k].id.index = (out[k].id.index << 8) | p[1 + i];
    std::memcpy(out[k].hash.data(), p + 9, 32);
  }
  return out;
}

// This process's peak resident memory (VmHWM). Not getrusage's ru_maxrss: Linux carries
// that over from a parent across fork and exec, so a benchmark would measure itself.
long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

std::string short_hash(const Hash& h) { return to_hex(ByteView(h).first(8)); }

// Checks the served checkpoint against those accepted before; adds fork/rollback findings.
Status check_history(AuditState& state, const note::Checkpoint& cp, Findings& findings) {
  LONTAR_ASSIGN(auto same, state.checkpoint_at(cp.size));
  if (same && same->root != cp.root) {
    findings.add(check::fork, std::nullopt, "", std::nullopt,
                 "the log signed two different trees of size " + std::to_string(cp.size) + ": root " +
                     short_hash(same->root) + "... accepted before, " + short_hash(cp.root) +
                     "... now; keep both signed notes as evidence");
  }
  LONTAR_ASSIGN(auto latest, state.latest_checkpoint());
  if (latest && latest->size > cp.size) {
    findings.add(check::rollback, std::nullopt, "", std::nullopt,
                 "the checkpoint has " + std::to_string(cp.size) + " leaves, fewer than the " +
                     std::to_string(latest->size) + " accepted before: the log went back in time");
  }
  return {};
}

// The tree accepted before must still be the start of the log: its root, recomputed from
// the hash tiles the source serves now (tree of cp.size), must be the root accepted.
Status check_extends(Source& source, AuditState& state, const note::Checkpoint& cp, std::uint64_t old_size,
                     Findings& findings) {
  LONTAR_ASSIGN(auto accepted, state.checkpoint_at(old_size));
  if (!accepted) return Error{Code::corrupt, "the audited size is not an accepted checkpoint; delete the state folder"};
  merkle::TileReader reader(cp.size,
                            [&source](const merkle::TileId& id) { return source.tile(merkle::tile_path(id)); });
  auto root = merkle::root(reader, old_size);
  std::string what = "the first " + std::to_string(old_size) + " leaves of the log (accepted before with root " +
                     short_hash(accepted->root) + "...) ";
  if (!root.ok() && root.error().code != Code::not_found && root.error().code != Code::corrupt) {
    return std::move(root).error().prefix("reading the log's tiles");
  }
  if (!root.ok()) {
    findings.add(check::inconsistent, std::nullopt, "", std::nullopt,
                 what + "cannot be recomputed from its tiles: " + root.error().message);
  } else if (*root != accepted->root) {
    findings.add(check::inconsistent, std::nullopt, "", std::nullopt,
                 what + "now hash to " + short_hash(*root) +
                     "...: the log rewrote its history; keep both signed notes as evidence");
  }
  return {};
}

Status stream_leaves(Source& source, AuditState& state, const note::Checkpoint& cp, std::uint64_t from,
                     ReportWriter::Mode report, VerifyReport& r) {
  TreeStage tree;
  LONTAR_ASSIGN(auto frontier_bytes, state.get(frontier_name));
  LONTAR_ASSIGN(auto frontier, load_frontier(frontier_bytes.value_or(Bytes{})));
  merkle::RootBuilder builder;
  if (from > 0) {
    LONTAR_ASSIGN(builder, merkle::RootBuilder::resume(FrontierReader(std::move(frontier)), from));
  }
  LONTAR_ASSIGN(auto tiles_bytes, state.get(tiles_name));
  LONTAR_ASSIGN(tree.tiles, merkle::TileWriter::restore(std::move(builder), tiles_bytes.value_or(Bytes{})));
  LONTAR_ASSIGN(LedgerChecker ledger, LedgerChecker::load(state, report));

  bool complete = true;
  Status sequential;
  {
    LeafStream stream(source, from, cp.size, tree, state.rules().nik_key());
    while (auto chunk = stream.next()) {
      sequential = ledger.on_chunk(std::move(chunk->leaves), r.findings);
      if (!sequential.ok()) break;
      if (chunk->error) {
        sequential = std::move(*chunk->error);
        break;
      }
      if (chunk->failure) {
        r.findings.add(std::move(*chunk->failure));
        complete = false;
      }
    }
    stream.join();
  }
  LONTAR_TRY(sequential);
  LONTAR_TRY(tree.status);
  r.findings.merge(tree.findings);
  r.to = tree.tiles.size();
  r.entries = ledger.entries_checked();
  r.seals = ledger.seals_checked();
  if (!complete) return {};

  if (tree.tiles.root() != cp.root) {
    r.findings.add(check::root_mismatch, std::nullopt, "", std::nullopt,
                   "the root recomputed from the entries (" + short_hash(tree.tiles.root()) +
                       "...) is not the checkpoint's (" + short_hash(cp.root) + "...)" +
                       (from > 0 ? ": an entry differs from what was signed, or the tree does not extend the " +
                                       std::to_string(from) + " leaves accepted before"
                                 : ": an entry differs from what was signed"));
  }
  LONTAR_TRY(check_partial_tiles(tree.tiles, source, r.findings));
  LONTAR_TRY(ledger.finish(r.findings));
  if (!r.findings.empty()) return {};

  LONTAR_TRY(state.put(frontier_name, save_frontier(tree.tiles.frontier())));
  LONTAR_TRY(state.put(tiles_name, tree.tiles.save_partial()));
  LONTAR_TRY(ledger.save());
  return state.put_u64(audited_size_name, cp.size);
}

}  // namespace

namespace {

Result<VerifyReport> verify_once(Source& source, const VerifyOptions& options) {
  auto started = std::chrono::steady_clock::now();
  VerifyReport r;
  r.source = source.describe();
  LONTAR_ASSIGN(note::Verifier verifier, note::Verifier::parse(options.verifier_key));
  LONTAR_ASSIGN(auto state, AuditState::open(options.state_dir));

  LONTAR_ASSIGN(auto known, state->get(verifier_name));
  std::string key = verifier.to_string();
  if (known && as_chars(*known) != key) {
    return Error{Code::bad_input, options.state_dir.string() + " holds the audit of the log with key " +
                                      std::string(as_chars(*known)) + "; give its key or another --state folder"};
  }

  auto note_text = source.checkpoint();
  if (!note_text.ok()) return std::move(note_text).error().prefix("reading the checkpoint from " + r.source);
  auto cp = note::open_checkpoint(*note_text, verifier, verifier.name());
  if (!cp.ok()) {
    bool signature = cp.error().code == Code::unauthorized;
    r.findings.add(signature ? check::checkpoint_signature : check::checkpoint_malformed, std::nullopt, "",
                   std::nullopt, "the checkpoint is not signed by the log key: " + cp.error().message);
    return r;
  }
  r.checkpoint = *cp;

  LONTAR_ASSIGN(auto tx, store::Transaction::begin(state->db()));
  if (!known) LONTAR_TRY(state->put(verifier_name, as_bytes(key)));
  LONTAR_TRY(check_history(*state, *cp, r.findings));
  LONTAR_ASSIGN(std::uint64_t audited, state->get_u64(audited_size_name));
  r.from = r.to = audited;
  if (r.findings.empty() && cp->size > audited && audited > 0) {
    LONTAR_TRY(check_extends(source, *state, *cp, audited, r.findings));
  }
  if (r.findings.empty() && cp->size > audited)
    LONTAR_TRY(stream_leaves(source, *state, *cp, audited,
                             options.report_thread ? ReportWriter::Mode::thread : ReportWriter::Mode::inline_, r));
  if (r.findings.empty()) {
    LONTAR_TRY(state->flush_rules());
    LONTAR_TRY(state->accept(AcceptedCheckpoint{cp->size, cp->root, *note_text}));
    LONTAR_TRY(tx.commit());
  }
  LONTAR_ASSIGN(r.checkpoints_accepted, state->checkpoints_accepted());
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  r.peak_rss_kib = peak_rss_kib();
  return r;
}

// VerifyOptions::sample: `count` leaves of [0, old_size) at random, each proved into the
// checkpoint's root from its bytes in the entry bundle and the source's hash tiles.
Status check_sample(Source& source, const note::Checkpoint& cp, std::uint64_t old_size, std::uint64_t count,
                    VerifyReport& r) {
  std::set<std::uint64_t> picked;
  if (count >= old_size) {
    for (std::uint64_t i = 0; i < old_size; ++i) picked.insert(i);
  } else {
    std::mt19937_64 rng(std::random_device{}());
    std::uniform_int_distribution<std::uint64_t> any(0, old_size - 1);
    while (picked.size() < count) picked.insert(any(rng));
  }
  merkle::TileReader hashes(cp.size,
                            [&source](const merkle::TileId& id) { return source.tile(merkle::tile_path(id)); });
  std::optional<std::uint64_t> bundle_at;  // the bundle in `leaves`
  std::vector<Bytes> leaves;
  for (std::uint64_t i : picked) {
    const std::uint64_t bundle = i / merkle::tile_width_full;
    if (bundle_at != bundle) {
      bundle_at.reset();
      const merkle::TileId id{true, 0, bundle, merkle::tile_width(0, bundle, cp.size)};
      const std::string path = merkle::tile_path(id);
      auto bytes = source.tile(path);
      if (!bytes.ok() && bytes.error().code != Code::not_found && bytes.error().code != Code::corrupt) {
        return std::move(bytes).error().prefix("re-reading old leaf " + std::to_string(i));
      }
      if (!bytes.ok()) {
        r.findings.add(
            check::bundle_missing, i, "", std::nullopt,
            "old leaf " + std::to_string(i) + " (re-read at random): " + path + ": " + bytes.error().message);
        continue;
      }
      auto parsed = merkle::parse_bundle(id, *bytes);
      if (!parsed.ok()) {
        r.findings.add(
            check::bundle_malformed, i, "", std::nullopt,
            "old leaf " + std::to_string(i) + " (re-read at random): " + path + ": " + parsed.error().message);
        continue;
      }
      leaves = std::move(parsed).value();
      bundle_at = bundle;
    }
    ++r.sampled;
    const Bytes& leaf = leaves[i - bundle * merkle::tile_width_full];
    auto proof = merkle::inclusion_proof(hashes, i, cp.size);
    if (!proof.ok() && proof.error().code != Code::not_found && proof.error().code != Code::corrupt) {
      return std::move(proof).error().prefix("re-reading old leaf " + std::to_string(i));
    }
    Status holds = proof.ok() ? merkle::verify_inclusion(merkle::leaf_hash(leaf), i, cp.size, *proof, cp.root)
                              : Status(std::move(proof).error());
    if (!holds.ok()) {
      r.findings.add(check::root_mismatch, i, "", std::nullopt,
                     "old leaf " + std::to_string(i) +
                         " (audited before, re-read at random) is not in the signed tree "
                         "of " +
                         std::to_string(cp.size) + " leaves: " + holds.error().message +
                         "; it or a hash tile changed on the server's disk since it was audited: run "
                         "`lontar-audit verify --from-start` and tell the log's operator (lontar-server scrub)");
    }
  }
  return {};
}

}  // namespace

Result<VerifyReport> verify(Source& source, const VerifyOptions& options) {
  LONTAR_ASSIGN(VerifyReport r, verify_once(source, options));
  if (options.sample > 0 && r.passed() && r.checkpoint && r.from > 0) {
    LONTAR_TRY(check_sample(source, *r.checkpoint, r.from, options.sample, r));
  }
  if (!options.from_start || !r.passed()) return r;
  const auto fresh = options.state_dir / "from-start.tmp";
  std::error_code ec;
  std::filesystem::remove_all(fresh, ec);
  auto full = verify_once(source, VerifyOptions{options.verifier_key, fresh, false, 0, options.report_thread});
  std::filesystem::remove_all(fresh, ec);
  if (!full.ok()) return std::move(full).error().prefix("auditing again from the first leaf");
  full->checkpoints_accepted = r.checkpoints_accepted;  // of the auditor's own state
  full->seconds += r.seconds;
  return full;
}

std::string summary_line(const VerifyReport& r) {
  std::string out = r.passed() ? "PASS" : "FAIL";
  if (r.checkpoint) {
    out += ": log " + r.checkpoint->origin + " at size " + std::to_string(r.checkpoint->size) + " (root " +
           short_hash(r.checkpoint->root) + "...)";
  }
  out += "; checked leaves [" + std::to_string(r.from) + ", " + std::to_string(r.to) +
         "): " + std::to_string(r.entries) + " entries, " + std::to_string(r.seals) + " seals in " +
         std::to_string(r.seconds).substr(0, 5) + " s";
  if (r.sampled > 0) out += "; " + std::to_string(r.sampled) + " old leaves re-read at random";
  out += "; " + std::to_string(r.checkpoints_accepted) + " checkpoints accepted so far";
  if (!r.passed()) {
    out += "; " + std::to_string(r.findings.total()) + " findings:";
    for (const auto& [code, n] : r.findings.by_check()) out += " " + code + " " + std::to_string(n);
  }
  return out;
}

std::string to_json(const VerifyReport& r) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["passed"] = r.passed();
  j["source"] = r.source;
  if (r.checkpoint) {
    j["checkpoint"] = ordered_json{
        {"origin", r.checkpoint->origin}, {"size", r.checkpoint->size}, {"root", to_hex(r.checkpoint->root)}};
  } else {
    j["checkpoint"] = nullptr;
  }
  j["from"] = r.from;
  j["to"] = r.to;
  j["entries"] = r.entries;
  j["seals"] = r.seals;
  j["seconds"] = r.seconds;
  j["peak_rss_kib"] = r.peak_rss_kib;
  j["checkpoints_accepted"] = r.checkpoints_accepted;
  j["sampled"] = r.sampled;
  j["findings_total"] = r.findings.total();
  j["by_check"] = ordered_json::object();
  for (const auto& [code, n] : r.findings.by_check()) j["by_check"][code] = n;
  j["findings"] = r.findings.kept();
  return j.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace lontar::audit
