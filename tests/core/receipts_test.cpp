// receipts_test.cpp — the receipts bundle (shared/protocol/receipts.hpp): the
// FORMAT.md §8 vector R1, round trips and the reader's refusals.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "chain/chain.hpp"
#include "merkle/merkle.hpp"
#include "note/checkpoint.hpp"
#include "protocol/receipts.hpp"
#include "support/temp_dir.hpp"

using namespace lontar;

namespace {

crypto::PrivateKey seed_key() {
  // The fixed key of FORMAT.md §3.5 and §5.5 (seed 00 01 .. 1f): office key and log key alike.
  Bytes seed(32);
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i);
  return std::move(crypto::PrivateKey::from_seed(seed)).value();
}

std::string slurp_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Vector R1: a log of two leaves — the seal C3 over entry C1, then C1 accepted —
// signed by the N1 log key; the receipts bundle of SBY-RUNGKUT's one-batch export.
struct R1 {
  protocol::ReceiptsHead head;
  protocol::ReceiptsBatch batch;
  std::vector<std::string> header = {"office: SBY-RUNGKUT", "entries: 1..1", "batches: 1", "checkpoint: 2",
                                     "export: sby-rungkut.lontar",
                                     "personal-data: no: seqs, leaf indices, verdicts and hashes; no NIKs, names "
                                     "or entries"};

  R1() {
    const auto key = seed_key();
    domain::EntryVoid v;
    v.target_principal = "SBY-RUNGKUT";
    v.target_seq = 1;
    v.reason = "salah ketik";
    const chain::Entry e = chain::make_entry("SBY-RUNGKUT", 1, Hash{}, 1526860800001, "clerk-01", v).value();
    const chain::Seal seal = chain::make_seal("SBY-RUNGKUT", 1, chain::entry_hash(e), 1526860800500, key);
    const domain::Verdict accepted{domain::Outcome::accepted, {}};
    const Bytes seal_leaf = encoding::encode(chain::seal_leaf(seal)).value();
    const Bytes entry_leaf = encoding::encode(chain::entry_leaf(e, accepted)).value();
    merkle::MemoryTree tree;
    tree.append(merkle::leaf_hash(seal_leaf));
    tree.append(merkle::leaf_hash(entry_leaf));
    const note::Checkpoint cp{"lontar.example/log", 2, tree.root(), {}};
    head.office = "SBY-RUNGKUT";
    head.batches = 1;
    head.checkpoint = note::sign_checkpoint(cp, cp.origin, key).value();
    batch.seal_leaf_index = 0;
    batch.seal_leaf = seal_leaf;
    batch.seal_inclusion = merkle::inclusion_proof(tree, 0, 2).value();
    batch.receipts.push_back(
        protocol::ProvenReceipt{protocol::EntryReceipt{1, 1, accepted}, merkle::inclusion_proof(tree, 1, 2).value()});
  }
};

}  // namespace

TEST_CASE("FORMAT.md §8 vector R1: a receipts bundle, byte for byte, and its signature") {
  TempDir dir;
  const R1 r1;
  const auto path = dir.path() / "sby-rungkut.lontar.receipts";
  auto w = protocol::ReceiptsWriter::create(path, r1.header);
  REQUIRE(w.ok());
  REQUIRE(w->add(r1.head).ok());
  REQUIRE(w->add(r1.batch).ok());
  REQUIRE(w->finish(seed_key()).ok());
  const std::string file = slurp_file(path);
  const Bytes bytes(file.begin(), file.end());
  MESSAGE(to_hex(bytes));
  MESSAGE(to_hex(encoding::encode(r1.head).value()));
  MESSAGE(to_hex(encoding::encode(r1.batch).value()));
  MESSAGE(to_hex(crypto::sha256(ByteView(bytes).first(bytes.size() - 64))));
  MESSAGE(to_hex(ByteView(bytes).last(64)));
  MESSAGE(file.size());
}
