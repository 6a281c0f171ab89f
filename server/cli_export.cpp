// lontar-server export|import: the log as static tlog-tiles files, and office
// batches carried as files (`lontar-agent export`).
#include <fmt/format.h>
#include <cstdio>
#include <fstream>
#include <memory>

#include "base/private_file.hpp"
#include "cli.hpp"
#include "cli_lock.hpp"
#include "config.hpp"
#include "crypto/x509.hpp"
#include "encoding/encoding.hpp"
#include "log/init.hpp"
#include "log/log_store.hpp"
#include "merkle/merkle.hpp"
#include "merkle/tiles.hpp"
#include "note/checkpoint.hpp"
#include "protocol/export_file.hpp"
#include "protocol/protocol.hpp"
#include "protocol/receipts.hpp"

namespace lontar::server::cli {

namespace {

constexpr std::string_view receipts_suffix = ".receipts";  // the default --receipts

Result<std::unique_ptr<LogStore>> open_store(const std::filesystem::path& data) {
  LONTAR_ASSIGN(crypto::PrivateKey key, crypto::PrivateKey::load_pem(data / log_key_file_name));
  LONTAR_ASSIGN(std::string location, ledger_location_of(data));
  return LogStore::open(location, std::move(key));
}

constexpr std::string_view export_readme = R"(Lontar ledger export: {origin}
==========================================================================

This folder holds the central log of the Lontar ledger "{origin}" as static files in the
C2SP tlog-tiles layout (https://c2sp.org/tlog-tiles), tile height 8:

  checkpoint              the signed checkpoint (C2SP tlog-checkpoint, signed-note) for {size} leaves
  tile/<L>/<N>[.p/<W>]    hash tiles: the Merkle tree's hashes
  tile/entries/<N>[.p/<W>]  entry bundles: the leaves themselves

Verify the checkpoint with the log's verifier key:

  {verifier_key}

PERSONAL DATA. tile/entries/ holds every entry in full: NIKs, names, birth dates, addresses and
heirs of participants (personal data under UU 27/2022). Give tile/entries/ only to those entitled
to it (auditors), over an encrypted channel or on an encrypted disk, and delete it when done.
The checkpoint and the hash tiles (tile/0/, tile/1/, ...) reveal no personal data and may be
published on any static host or given to witnesses.
)";

int run_export(const std::filesystem::path& data, const std::filesystem::path& out) {
  std::error_code ec;
  if (std::filesystem::exists(out, ec) && !std::filesystem::is_empty(out, ec)) {
    return fail(
        Error{Code::conflict, fmt::format("{}: exists and is not empty; choose a new --out folder", out.string())});
  }
  auto lock = DataLock::take(data, "export");
  if (!lock.ok()) return fail(lock.error());
  auto store = open_store(data);
  if (!store.ok()) return fail(store.error());
  const std::string checkpoint = (*store)->checkpoint();
  auto verifier = note::Verifier::parse((*store)->verifier_key());
  if (!verifier.ok()) return fail(verifier.error());
  auto cp = note::open_checkpoint(checkpoint, *verifier, (*store)->origin());
  if (!cp.ok()) return fail(Error{Code::corrupt, "the store's checkpoint does not verify: " + cp.error().message});

  std::filesystem::create_directories(out, ec);
  if (ec) return fail(Error{Code::io, fmt::format("{}: cannot create: {}", out.string(), ec.message())});
  std::uint64_t tiles = 0, bundles = 0;
  auto write_tile = [&](const merkle::TileId& id) -> Status {
    const std::string path = merkle::tile_path(id);
    LONTAR_ASSIGN(Bytes bytes, (*store)->tile(path));
    const auto file = out / path;
    std::error_code e;
    std::filesystem::create_directories(file.parent_path(), e);
    if (e) return Error{Code::io, fmt::format("{}: cannot create: {}", file.parent_path().string(), e.message())};
    // Entry bundles hold personal data: owner-only files in owner-only folders
    // (tile/entries/ and every folder under it); hash tiles may be published.
    if (path.starts_with("tile/entries/")) {
      for (auto dir = file.parent_path(); dir != out / "tile"; dir = dir.parent_path()) {
        LONTAR_TRY(ensure_private_dir(dir));
      }
      return crypto::write_file_atomic(file, as_chars(bytes), private_file_mode);
    }
    return crypto::write_file_atomic(file, as_chars(bytes), 0644);
  };
  for (const auto& id : merkle::tiles_added(0, cp->size)) {
    if (auto st = write_tile(id); !st.ok()) return fail(st.error());
    ++tiles;
  }
  for (const auto& id : merkle::bundles_added(0, cp->size)) {
    if (auto st = write_tile(id); !st.ok()) return fail(st.error());
    ++bundles;
  }
  const std::string readme = fmt::format(fmt::runtime(export_readme), fmt::arg("origin", cp->origin),
                                         fmt::arg("size", cp->size), fmt::arg("verifier_key", verifier->to_string()));
  if (auto st = crypto::write_file_atomic(out / "README.txt", readme, 0644); !st.ok()) return fail(st.error());
  // The checkpoint last: a reader that sees it finds every tile it names.
  if (auto st = crypto::write_file_atomic(out / "checkpoint", checkpoint, 0644); !st.ok()) return fail(st.error());
  (*store)->shutdown();
  std::printf("exported %llu leaves to %s: checkpoint, %llu hash tiles, %llu entry bundles\n",
              static_cast<unsigned long long>(cp->size), out.string().c_str(), static_cast<unsigned long long>(tiles),
              static_cast<unsigned long long>(bundles));
  std::printf("tile/entries/ holds personal data (see README.txt); the checkpoint and hash tiles may be published\n");
  return exit_ok;
}

// What one imported batch needs for the receipts bundle.
struct Imported {
  Caller caller;
  std::uint64_t seal_leaf_index = 0;
  std::vector<protocol::EntryReceipt> receipts;
};

// An existing file at `path` may be replaced only when it is an earlier receipts bundle.
Status check_receipts_path(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  std::ifstream in(path, std::ios::binary);
  std::string first(protocol::receipts_magic.size() + 1, '\0');
  in.read(first.data(), static_cast<std::streamsize>(first.size()));
  for (std::string_view magic : {protocol::receipts_magic, protocol::receipts_magic_v2}) {
    if (first == std::string(magic) + "\n") return {};
  }
  return Error{Code::conflict,
               fmt::format("{}: exists and is not a receipts bundle; choose another --receipts file", path.string())};
}

// The consistency proof from the office's base to `cp`, with a loud warning when
// this log does not extend what the office saw (the office will report an incident).
Result<std::vector<Hash>> base_consistency(LogStore& store, const TreeHead& base, const note::Checkpoint& cp) {
  if (base.size == 0) return std::vector<Hash>{};
  if (base.size > cp.size) {
    std::fprintf(stderr,
                 "WARNING: the office had accepted a log of %llu leaves but this store holds %llu: it is older than "
                 "what the office saw (restored from a backup?). The office will report an incident when it imports "
                 "the receipts; tell it and the auditors.\n",
                 static_cast<unsigned long long>(base.size), static_cast<unsigned long long>(cp.size));
    return std::vector<Hash>{};
  }
  LONTAR_ASSIGN(protocol::Proof p, store.consistency_proof(base.size, cp.size));
  if (!merkle::verify_consistency(base.size, cp.size, base.root, cp.root, p.hashes).ok()) {
    std::fprintf(stderr,
                 "WARNING: this log does not extend the tree of %llu leaves the office had accepted (a forked or "
                 "rewritten store?). The office will report an incident when it imports the receipts; tell it and "
                 "the auditors.\n",
                 static_cast<unsigned long long>(base.size));
  }
  return std::move(p.hashes);
}

// Writes the receipts bundle (shared/protocol/receipts.hpp), in format `version`, for
// the imported batches.
Status write_receipts(LogStore& store, const std::filesystem::path& data, const std::filesystem::path& out,
                      const std::filesystem::path& batch_file, const TreeHead& base,
                      const std::vector<Imported>& imported, unsigned version) {
  const std::string checkpoint = store.checkpoint();
  LONTAR_ASSIGN(auto verifier, note::Verifier::parse(store.verifier_key()));
  LONTAR_ASSIGN(auto cp, note::open_checkpoint(checkpoint, verifier, store.origin()));
  protocol::ReceiptsHead head;
  head.office = imported.front().caller.principal;
  head.batches = imported.size();
  head.checkpoint = checkpoint;
  head.base_size = base.size;
  head.base_root = base.root;
  LONTAR_ASSIGN(head.consistency, base_consistency(store, base, cp));
  const std::uint64_t first = imported.front().receipts.front().seq, last = imported.back().receipts.back().seq;
  LONTAR_ASSIGN(auto writer,
                protocol::ReceiptsWriter::create(
                    out,
                    {fmt::format("office: {}", head.office), fmt::format("entries: {}..{}", first, last),
                     fmt::format("batches: {}", head.batches), fmt::format("checkpoint: {}", cp.size),
                     fmt::format("export: {}", batch_file.filename().string()),
                     "personal-data: no: seqs, leaf indices, verdicts and hashes; no NIKs, names or entries"},
                    version));
  LONTAR_TRY(writer.add(head));
  for (const auto& im : imported) {
    protocol::ReceiptsBatch b;
    b.seal_leaf_index = im.seal_leaf_index;
    LONTAR_ASSIGN(protocol::FeedPage page, store.feed(im.caller, im.seal_leaf_index, 1));
    if (page.items.size() != 1 || page.items[0].form != protocol::FeedForm::full) {
      return Error{Code::internal, fmt::format("seal leaf {} cannot be read back", im.seal_leaf_index)};
    }
    b.seal_leaf = std::move(page.items[0].leaf);
    b.receipts.reserve(im.receipts.size());
    if (version == 1) {
      LONTAR_ASSIGN(protocol::Proof sp, store.inclusion_proof(im.seal_leaf_index, cp.size));
      b.seal_inclusion = std::move(sp.hashes);
      for (const auto& r : im.receipts) {
        LONTAR_ASSIGN(protocol::Proof p, store.inclusion_proof(r.leaf_index, cp.size));
        b.receipts.push_back(protocol::ProvenReceipt{r, std::move(p.hashes)});
      }
    } else {
      // One range proof per run of consecutive leaves: a batch integrated in one piece
      // (its seal leaf, then its entries) is one run; entries logged by an earlier push
      // add a run each where they lie.
      std::vector<std::uint64_t> leaves{im.seal_leaf_index};
      for (const auto& r : im.receipts) {
        leaves.push_back(r.leaf_index);
        b.receipts.push_back(protocol::ProvenReceipt{r, {}});
      }
      for (const auto& [begin, end] : protocol::leaf_runs(std::move(leaves))) {
        LONTAR_ASSIGN(protocol::Proof p, store.range_proof(begin, end, cp.size));
        b.ranges.push_back(protocol::LeafRangeProof{begin, end, std::move(p.hashes)});
      }
    }
    LONTAR_TRY(writer.add(b));
  }
  LONTAR_ASSIGN(crypto::PrivateKey key, crypto::PrivateKey::load_pem(data / log_key_file_name));
  return writer.finish(key);
}

// Pass 1, before anything is written: the file is whole and is what its header
// says (protocol::check_export), and every key that sealed it is a registered,
// unrevoked key of its office.
Result<protocol::ExportContents> check_carried(LogStore& store, const std::filesystem::path& file,
                                               const protocol::ExportHeader& header) {
  LONTAR_ASSIGN(auto contents, protocol::check_export(file));
  for (const auto& key : contents.keys) {
    LONTAR_ASSIGN(auto who, store.authenticate(key));
    if (!who || who->principal != header.office) {
      return Error{Code::unauthorized,
                   fmt::format("{}: sealed by key {}, which is not a registered, unrevoked key of {}; register the "
                               "office first (office add)",
                               file.string(), crypto::fingerprint(key), header.office)};
    }
  }
  return contents;
}

// Pass 2: integrates the checked file batch by batch, exactly as pushes (idempotent),
// skipping batches that repeat an earlier one. Stops at the first failure, keeping
// what was integrated before it in `imported`.
class Integration {
 public:
  Integration(LogStore& store, const std::filesystem::path& file, const protocol::ExportContents& contents)
      : store_(store), file_(file), contents_(contents) {}

  Status run() {
    LONTAR_ASSIGN(auto reader, protocol::ExportReader::open(file_));
    for (;;) {
      LONTAR_ASSIGN(auto next, reader.next());
      if (!next) break;
      const std::uint64_t k = next->index;
      if (k > contents_.batches.size() || contents_.batches[k - 1].digest != next->digest) {
        return Error{Code::bad_input,
                     fmt::format("{}: batch {} is not what was checked a moment ago: the file changed while it was "
                                 "read; make sure nothing else writes it, then import it again",
                                 file_.string(), k)};
      }
      if (const std::uint64_t earlier = contents_.batches[k - 1].repeats; earlier != 0) {
        std::printf("%s: batch %llu repeats batch %llu byte for byte: skipped\n", file_.string().c_str(),
                    static_cast<unsigned long long>(k), static_cast<unsigned long long>(earlier));
        ++repeated;
        continue;
      }
      LONTAR_TRY(push(k, std::move(next->batch)));
    }
    if (imported.size() != contents_.distinct) {
      return Error{Code::bad_input,
                   fmt::format("{}: holds {} batches, not the {} checked a moment ago: the file changed while it was "
                               "read; make sure nothing else writes it, then import it again",
                               file_.string(), imported.size(), contents_.distinct)};
    }
    return {};
  }

  std::vector<Imported> imported;
  std::uint64_t counts[4] = {0, 0, 0, 0};  // by domain::Outcome
  std::uint64_t repeated = 0;

 private:
  Status push(std::uint64_t k, chain::Batch batch) {
    const auto where = fmt::format("{}: batch {} ({} #{}..#{})", file_.string(), k, batch.principal,
                                   batch.entries.front().seq, batch.seal.last_seq);
    LONTAR_ASSIGN(auto who, store_.authenticate(batch.seal.key));
    if (!who) {
      return Error{Code::unauthorized, fmt::format("{}: sealed by key {}, which is no longer a registered, unrevoked "
                                                   "key of {}",
                                                   where, crypto::fingerprint(batch.seal.key), batch.principal)};
    }
    auto resp = store_.push(*who, std::move(batch));
    if (!resp.ok()) return std::move(resp).error().prefix(where);
    std::printf("%s: seal leaf %llu\n", where.c_str(), static_cast<unsigned long long>(resp->seal_leaf_index));
    for (const auto& r : resp->receipts) {
      ++counts[static_cast<int>(r.verdict.outcome)];
      std::printf("  #%llu leaf %llu %s", static_cast<unsigned long long>(r.seq),
                  static_cast<unsigned long long>(r.leaf_index), domain::outcome_name(r.verdict.outcome));
      for (const auto& reason : r.verdict.reasons) std::printf(" %s: %s", reason.code.c_str(), reason.text.c_str());
      std::printf("\n");
    }
    std::printf("checkpoint:\n%s", resp->checkpoint.c_str());
    imported.push_back(Imported{*who, resp->seal_leaf_index, std::move(resp->receipts)});
    return {};
  }

  LogStore& store_;
  const std::filesystem::path& file_;
  const protocol::ExportContents& contents_;
};

int run_import(const std::filesystem::path& data, const std::filesystem::path& file, std::filesystem::path receipts_out,
               unsigned receipts_version) {
  if (receipts_out.empty()) receipts_out = file.string() + std::string(receipts_suffix);
  auto nothing_imported = [](Error e) {
    e.message += "; nothing was imported";
    return fail(e);
  };
  auto reader = protocol::ExportReader::open(file);
  if (!reader.ok()) return nothing_imported(reader.error());
  const protocol::ExportHeader& header = reader->header();
  const TreeHead base{header.base_size, header.base_root};
  if (auto st = check_receipts_path(receipts_out); !st.ok()) return fail(st.error());
  auto lock = DataLock::take(data, "import");
  if (!lock.ok()) return fail(lock.error());
  auto store = open_store(data);
  if (!store.ok()) return fail(store.error());
  for (const auto& h : header.lines) std::printf("%s: %s\n", file.filename().string().c_str(), h.c_str());
  auto contents = check_carried(**store, file, header);
  if (!contents.ok()) return nothing_imported(contents.error());

  Integration in(**store, file, *contents);
  auto integrated = in.run();
  if (!integrated.ok() && in.imported.empty()) return nothing_imported(integrated.error());
  std::printf("imported %llu batches: %llu accepted, %llu rejected, %llu flagged\n",
              static_cast<unsigned long long>(in.imported.size()), static_cast<unsigned long long>(in.counts[1]),
              static_cast<unsigned long long>(in.counts[2]), static_cast<unsigned long long>(in.counts[3]));
  if (in.repeated != 0) {
    std::printf("skipped %llu batches that repeat an earlier one (each counted once)\n",
                static_cast<unsigned long long>(in.repeated));
  }
  if (auto st = write_receipts(**store, data, receipts_out, file, base, in.imported, receipts_version); !st.ok()) {
    return fail(std::move(st).error().prefix(fmt::format("{}: receipts bundle not written", receipts_out.string())));
  }
  std::printf("wrote %s: carry it back to the office for `lontar-agent import-bundle` (it holds no personal data)\n",
              receipts_out.string().c_str());
  (*store)->shutdown();
  if (!integrated.ok()) {
    // Kept what was verified and integrated (a log is append-only): say exactly what.
    Error e = integrated.error();
    e.message += fmt::format(
        ". The first {} of its {} batches (entries #{}..#{}) were integrated before that; their receipts are in {}: "
        "carry "
        "it back for `lontar-agent import-bundle`; once the cause is fixed, import the file again: it continues "
        "where it stopped",
        in.imported.size(), contents->distinct, in.imported.front().receipts.front().seq,
        in.imported.back().receipts.back().seq, receipts_out.string());
    return fail(e);
  }
  return exit_ok;
}

}  // namespace

void add_export(CLI::App& app, int& exit_code) {
  struct Args {
    std::filesystem::path data, out, batch, receipts;
    unsigned receipts_version = protocol::receipts_version_latest;
  };
  auto a = std::make_shared<Args>();
  auto* ex = app.add_subcommand("export",
                                "Write the log as static C2SP tlog-tiles files (checkpoint, hash tiles, "
                                "entry bundles); the server must be stopped");
  ex->add_option("--data", a->data, "the data folder")->required()->check(CLI::ExistingDirectory);
  ex->add_option("--out", a->out, "a new (or empty) folder to write")->required();
  ex->callback([a, &exit_code] { exit_code = run_export(a->data, a->out); });

  auto b = std::make_shared<Args>();
  auto* im = app.add_subcommand("import",
                                "Integrate a batch file written by `lontar-agent export` (verified like a "
                                "push; importing it again changes nothing), print the receipts and write them "
                                "as a signed receipts bundle for `lontar-agent import-bundle`; the server must "
                                "be stopped. The whole file is checked first (every batch, and the header's "
                                "office, entries and batch count against them): a damaged or incomplete file "
                                "is refused and nothing of it is imported (exit 2: copy it again from the "
                                "office). If the log refuses a batch after that (a revoked key, a full disk), "
                                "the batches before it stay integrated, their receipts bundle is written and "
                                "the message names them");
  im->add_option("--data", b->data, "the data folder")->required()->check(CLI::ExistingDirectory);
  im->add_option("--batch", b->batch, "the file from `lontar-agent export`")->required();
  im->add_option("--receipts", b->receipts,
                 "the receipts bundle to write (default: the batch file's name + .receipts, beside it, so that "
                 "it travels back on the same stick); an earlier bundle there is replaced");
  im->add_option("--receipts-version", b->receipts_version,
                 "the receipts bundle's format: 2 (default: one range proof per run of the batch's leaves, about "
                 "30 bytes a receipt) or 1 (one inclusion proof per entry, 0.5-0.8 KB a receipt: for an office "
                 "whose lontar-agent predates version 2, which refuses a version 2 bundle)")
      ->check(CLI::Range(1u, 2u));
  im->callback([b, &exit_code] { exit_code = run_import(b->data, b->batch, b->receipts, b->receipts_version); });
}

}  // namespace lontar::server::cli
