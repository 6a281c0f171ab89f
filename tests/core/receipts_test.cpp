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
  std::vector<std::string> header = {"office: SBY-RUNGKUT",
                                     "entries: 1..1",
                                     "batches: 1",
                                     "checkpoint: 2",
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

// Vector R2: the same seal C3 and entry C1 accepted, now at leaves 1 and 2 of a log of four
// whose leaves 0 and 3 are other offices' (here: the M2 leaves "" and 00, FORMAT.md §4.2);
// the version 2 bundle proves leaves [1, 3) with one range proof of two hashes.
struct R2 {
  protocol::ReceiptsHead head;
  protocol::ReceiptsBatch batch;
  std::vector<std::string> header = {"office: SBY-RUNGKUT",
                                     "entries: 1..1",
                                     "batches: 1",
                                     "checkpoint: 4",
                                     "export: sby-rungkut.lontar",
                                     "personal-data: no: seqs, leaf indices, verdicts and hashes; no NIKs, names "
                                     "or entries"};
  Hash root{};

  R2() {
    const R1 r1;
    const auto key = seed_key();
    merkle::MemoryTree tree;
    tree.append(merkle::leaf_hash(Bytes{}));
    tree.append(merkle::leaf_hash(r1.batch.seal_leaf));
    tree.append(merkle::leaf_hash(
        encoding::encode(chain::entry_leaf(
                             [] {
                               domain::EntryVoid v;
                               v.target_principal = "SBY-RUNGKUT";
                               v.target_seq = 1;
                               v.reason = "salah ketik";
                               return chain::make_entry("SBY-RUNGKUT", 1, Hash{}, 1526860800001, "clerk-01", v).value();
                             }(),
                             r1.batch.receipts[0].receipt.verdict))
            .value()));
    tree.append(merkle::leaf_hash(Bytes{0x00}));
    root = tree.root();
    const note::Checkpoint cp{"lontar.example/log", 4, root, {}};
    head = r1.head;
    head.checkpoint = note::sign_checkpoint(cp, cp.origin, key).value();
    batch.seal_leaf_index = 1;
    batch.seal_leaf = r1.batch.seal_leaf;
    batch.receipts.push_back(
        protocol::ProvenReceipt{protocol::EntryReceipt{1, 2, r1.batch.receipts[0].receipt.verdict}, {}});
    batch.ranges.push_back(protocol::LeafRangeProof{1, 3, merkle::range_proof(tree, 1, 3, 4).value()});
  }
};

}  // namespace

TEST_CASE("FORMAT.md §8 vector R1: a receipts bundle, byte for byte, and its signature") {
  test::TempDir dir;
  const R1 r1;
  const auto path = dir.path() / "sby-rungkut.lontar.receipts";
  auto w = protocol::ReceiptsWriter::create(path, r1.header, 1);
  REQUIRE(w.ok());
  REQUIRE(w->add(r1.head).ok());
  REQUIRE(w->add(r1.batch).ok());
  REQUIRE(w->finish(seed_key()).ok());
  const std::string file = slurp_file(path);
  const Bytes bytes(file.begin(), file.end());
  REQUIRE(bytes.size() == 833);
  // clang-format off
  const std::string header =
      "LONTAR-RECEIPTS 1\noffice: SBY-RUNGKUT\nentries: 1..1\nbatches: 1\ncheckpoint: 2\n"
      "export: sby-rungkut.lontar\n"
      "personal-data: no: seqs, leaf indices, verdicts and hashes; no NIKs, names or entries\n\n";
  const std::string head_hex =
      "01"                                                                  // flag
      "0b00000000000000" "5342592d52554e474b5554"                          // office "SBY-RUNGKUT"
      "0100000000000000"                                                    // batches 1
      "b700000000000000"                                                    // checkpoint: 183 bytes
        "6c6f6e7461722e6578616d706c652f6c6f670a" "320a"
        "49364a4b414963763870304d5037574e67557a324936564938326841746a6a6f55372b59496e757053674d3d0a" "0a"
        "e28094206c6f6e7461722e6578616d706c652f6c6f6720"
        "5841457643764d322b76647431436b44303846754e2b4b4b6c4734433271482f4b77682b67543770735456747261434d4c3476"
        "372f4b45744e73343832562f77424a4a72356944485535486335784e454b513047744943686c41633d0a"
      "0000000000000000"                                                    // base_size 0 (none)
      "0000000000000000000000000000000000000000000000000000000000000000"    // base_root
      "0000000000000000";                                                   // consistency: 0 hashes
  const std::string batch_hex =
      "01"                                                                  // flag
      "0000000000000000"                                                    // seal_leaf_index 0
      "a500000000000000"                                                    // seal_leaf: 165 bytes
        "01" "02" "0b000000000000005342592d52554e474b5554" "0100000000000000"
        "a922fd1d1c61627a18b4ea212443c349f97102d962bed852b7aec7a2be7fd56c" "f4e1fe7f63010000"
        "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
        "fa941c82d0c94426d7ea5ef293fb675a6bea7ac71fb388198f35c44a3418f14d"
        "94f9f63386bb6c902707778e25f5945e080bef10ddae6cf4bf8a22d69f246e09"
      "0100000000000000"                                                    // seal_inclusion: 1 hash
        "4a68f7bf13bbdaad85546c8e7164fdb4a58ee2aa2c97f591466bf9d24b851751" //   leaf hash of the entry leaf
      "0100000000000000"                                                    // receipts: 1
        "0100000000000000" "0100000000000000" "01" "0000000000000000"      //   seq 1, leaf 1, accepted, no reasons
        "0100000000000000"                                                  //   inclusion: 1 hash
        "82343da1a68cb67bb369338149d7728bdb50d425f5e06300969e8b7f9c2e16ea"; //   leaf hash of the seal leaf
  // clang-format on
  CHECK(to_hex(encoding::encode(r1.head).value()) == head_hex);
  CHECK(to_hex(encoding::encode(r1.batch).value()) == batch_hex);
  CHECK(to_hex(ByteView(bytes).first(bytes.size() - 64)) ==
        to_hex(as_bytes(header)) + "0b01000000000000" + head_hex + "2701000000000000" + batch_hex);
  const Hash digest = crypto::sha256(ByteView(bytes).first(bytes.size() - 64));
  CHECK(to_hex(digest) == "fc4d7fafa632b5accbb837e464c6e237adf8fc7e2c4d645fa8ae15dd1f4a95b1");
  CHECK(to_hex(ByteView(bytes).last(64)) ==
        "62f7462b7d0ceb09b1f02dff70a9405c557eba915518718f2c23f480a115d533"
        "df6697e010b906ea36aef6db60ed3098d683a03a301678bd50b58b4304c4af03");

  // Read back: the same sections, and the signature holds for the log key only.
  auto reader = protocol::ReceiptsReader::open(path);
  REQUIRE(reader.ok());
  CHECK(reader->header_lines() == r1.header);
  CHECK(reader->head().checkpoint == r1.head.checkpoint);
  auto batch = reader->next();
  REQUIRE(batch.ok());
  REQUIRE(batch->has_value());
  CHECK(to_hex(encoding::encode(**batch).value()) == batch_hex);
  auto end = reader->next();
  REQUIRE(end.ok());
  CHECK(!end->has_value());
  CHECK(reader->signed_by(seed_key().public_key()).value());
  CHECK(!reader->signed_by(crypto::PrivateKey::generate().value().public_key()).value());
}

TEST_CASE("a receipts bundle cut short or announcing more batches than it holds is refused, naming the byte") {
  test::TempDir dir;
  const R1 r1;
  const auto path = dir.path() / "r.receipts";
  auto w = protocol::ReceiptsWriter::create(path, r1.header, 1);
  REQUIRE(w.ok());
  protocol::ReceiptsHead head = r1.head;
  head.batches = 2;
  REQUIRE(w->add(head).ok());
  REQUIRE(w->add(r1.batch).ok());
  REQUIRE(w->finish(seed_key()).ok());
  auto reader = protocol::ReceiptsReader::open(path);
  REQUIRE(reader.ok());
  REQUIRE(reader->next().ok());
  auto missing = reader->next();
  REQUIRE(!missing.ok());
  CHECK(missing.error().message.find("announces 2 batches but the file holds 1") != std::string::npos);

  const std::string file = slurp_file(path);
  std::ofstream(dir.path() / "cut.receipts", std::ios::binary) << file.substr(0, 300);
  auto cut = protocol::ReceiptsReader::open(dir.path() / "cut.receipts");
  REQUIRE(!cut.ok());
  CHECK(cut.error().message.find("byte 191") != std::string::npos);
  std::ofstream(dir.path() / "other.receipts", std::ios::binary) << "LONTAR-EXPORT 1\n\n";
  auto other = protocol::ReceiptsReader::open(dir.path() / "other.receipts");
  REQUIRE(!other.ok());
  CHECK(other.error().message.find("not a receipts bundle") != std::string::npos);
}

TEST_CASE("FORMAT.md §8 vector R2: a version 2 receipts bundle with a range proof, byte for byte") {
  test::TempDir dir;
  const R2 r2;
  const auto path = dir.path() / "sby-rungkut.lontar.receipts";
  auto w = protocol::ReceiptsWriter::create(path, r2.header);
  REQUIRE(w.ok());
  REQUIRE(w->add(r2.head).ok());
  REQUIRE(w->add(r2.batch).ok());
  REQUIRE(w->finish(seed_key()).ok());
  const std::string file = slurp_file(path);
  const Bytes bytes(file.begin(), file.end());
  REQUIRE(bytes.size() == 849);
  // clang-format off
  const std::string header =
      "LONTAR-RECEIPTS 2\noffice: SBY-RUNGKUT\nentries: 1..1\nbatches: 1\ncheckpoint: 4\n"
      "export: sby-rungkut.lontar\n"
      "personal-data: no: seqs, leaf indices, verdicts and hashes; no NIKs, names or entries\n\n";
  const std::string note =
      "lontar.example/log\n4\nYBORVEsJyM8lwJEBI9hCm3DSh1a+rnYlANNNqYxGA8k=\n\n"
      "\xe2\x80\x94 lontar.example/log "
      "XAEvCgu2mG0lo6P2zM8ZQtaJEspGf500ueb6OUBZqHTlWiKTIQbsRwaUojCLY+p1fKn4BU16SQvp9zT6fchzkUieHAc=\n";
  const std::string head_hex =
      "01"                                                                  // flag
      "0b00000000000000" "5342592d52554e474b5554"                          // office "SBY-RUNGKUT"
      "0100000000000000"                                                    // batches 1
      "b700000000000000" + to_hex(as_bytes(note)) +                         // checkpoint: 183 bytes
      "0000000000000000"                                                    // base_size 0 (none)
      "0000000000000000000000000000000000000000000000000000000000000000"    // base_root
      "0000000000000000";                                                   // consistency: 0 hashes
  const std::string batch_hex =
      "01"                                                                  // flag
      "0100000000000000"                                                    // seal_leaf_index 1
      "a500000000000000"                                                    // seal_leaf: 165 bytes (as R1)
        "01" "02" "0b000000000000005342592d52554e474b5554" "0100000000000000"
        "a922fd1d1c61627a18b4ea212443c349f97102d962bed852b7aec7a2be7fd56c" "f4e1fe7f63010000"
        "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
        "fa941c82d0c94426d7ea5ef293fb675a6bea7ac71fb388198f35c44a3418f14d"
        "94f9f63386bb6c902707778e25f5945e080bef10ddae6cf4bf8a22d69f246e09"
      "0100000000000000"                                                    // receipts: 1
        "0100000000000000" "0200000000000000" "01" "0000000000000000"      //   seq 1, leaf 2, accepted, no reasons
      "0100000000000000"                                                    // ranges: 1
        "0100000000000000" "0300000000000000"                              //   leaves [1, 3)
        "0200000000000000"                                                  //   hashes: 2
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"  //   leaf 0 (left of the range)
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"; //   leaf 3 (right of it)
  // clang-format on
  CHECK(r2.head.checkpoint == note);
  CHECK(to_hex(ByteView(bytes).first(bytes.size() - 64)) ==
        to_hex(as_bytes(header)) + "0b01000000000000" + head_hex + "3701000000000000" + batch_hex);
  const Hash digest = crypto::sha256(ByteView(bytes).first(bytes.size() - 64));
  CHECK(to_hex(digest) == "f9638fbf8417f43666accd1b37894c90bfaf773de8bbf4ade0dcea0e3360d26e");
  CHECK(to_hex(ByteView(bytes).last(64)) ==
        "eb0ce6aae98d61dfde76636d2099cde6c4e3d649f5f97cbd1bb6acbf299dcc93"
        "1727a1c4fab8edcfe65d8c3b9d0dac0e3eb157e6a3afc30d1146e93c86e43601");

  // Read back as version 2: the receipts without proofs, the range, and a proof that holds.
  auto reader = protocol::ReceiptsReader::open(path);
  REQUIRE(reader.ok());
  CHECK(reader->version() == 2);
  auto batch = reader->next();
  REQUIRE(batch.ok());
  REQUIRE(batch->has_value());
  const auto& b = **batch;
  CHECK(b.seal_leaf_index == 1);
  CHECK(b.seal_inclusion.empty());
  REQUIRE(b.receipts.size() == 1);
  CHECK(b.receipts[0].receipt.leaf_index == 2);
  CHECK(b.receipts[0].inclusion.empty());
  REQUIRE(b.ranges.size() == 1);
  const std::vector<Hash> leaves = {
      merkle::leaf_hash(b.seal_leaf),
      hash_from_hex("4a68f7bf13bbdaad85546c8e7164fdb4a58ee2aa2c97f591466bf9d24b851751").value()};
  CHECK(merkle::verify_range(leaves, 1, 4, b.ranges[0].hashes, r2.root).ok());
  CHECK(!reader->next().value().has_value());
  CHECK(reader->signed_by(seed_key().public_key()).value());

  // A version 1 writer refuses ranges, a version 2 writer per-leaf proofs.
  const R1 r1;
  auto v1 = protocol::ReceiptsWriter::create(dir.path() / "v1.receipts", r1.header, 1);
  REQUIRE(v1.ok());
  CHECK(v1->add(r2.batch).error().code == Code::internal);
  auto v2 = protocol::ReceiptsWriter::create(dir.path() / "v2.receipts", r1.header, 2);
  REQUIRE(v2.ok());
  CHECK(v2->add(r1.batch).error().code == Code::internal);
  CHECK(protocol::ReceiptsWriter::create(dir.path() / "v3.receipts", r1.header, 3).error().code == Code::bad_input);
}

TEST_CASE("leaf_runs: the maximal runs of consecutive leaf indices, ascending") {
  using Runs = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
  CHECK(protocol::leaf_runs({}) == Runs{});
  CHECK(protocol::leaf_runs({7}) == Runs{{7, 8}});
  CHECK(protocol::leaf_runs({5, 6, 7, 8}) == Runs{{5, 9}});
  CHECK(protocol::leaf_runs({9, 3, 4, 8, 10, 4, 20}) == Runs{{3, 5}, {8, 11}, {20, 21}});
}
