// bundle_test.cpp — no network at all: lontar-agent export, lontar-server import
// --receipts (server stopped), lontar-agent import-bundle; real processes.
#include "sync/sync_harness.hpp"

#include <fmt/format.h>

#include "protocol/receipts.hpp"

namespace lontar::test {
namespace {

std::string server_data(const Server& s) { return (s.dir().path() / "data").string(); }

// `lontar-agent export` to a fresh file in the office's folder.
std::string export_file(const Office& o, const std::string& name = "export.lontar") {
  const std::string file = o.agent.dir().file(name);
  auto r = o.agent.run({"export", "--out", file});
  INFO(r.out << r.err);
  REQUIRE(r.rc == 0);
  return file;
}

// `lontar-server import` with the server stopped; the receipts land beside the file.
Run server_import(const Server& s, const std::string& file, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"import", "--data", server_data(s), "--batch", file};
  args.insert(args.end(), more.begin(), more.end());
  return s.server(args);
}

Run import_bundle(const Office& o, const std::string& file) { return o.agent.run({"import-bundle", file}, "bundle"); }

// Where each batch of an export file starts and ends (byte offsets), read from its framing.
struct Span {
  std::size_t begin = 0, end = 0;
};
std::vector<Span> batch_spans(const std::string& bytes) {
  std::vector<Span> spans;
  std::size_t at = bytes.find("\n\n");
  REQUIRE(at != std::string::npos);
  at += 2;
  while (at < bytes.size()) {
    REQUIRE(at + 8 <= bytes.size());
    std::uint64_t len = 0;
    for (int i = 7; i >= 0; --i) len = (len << 8) | static_cast<unsigned char>(bytes[at + i]);
    spans.push_back({at, at + 8 + len});
    at += 8 + len;
  }
  return spans;
}

// The number of leaves in the server's log (server stopped), as `lontar-server export` counts them.
std::uint64_t log_size(const Server& s) {
  static int n = 0;
  const auto out = s.dir().path() / ("tiles" + std::to_string(++n));
  auto r = s.server({"export", "--data", server_data(s), "--out", out.string()});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  return std::stoull(r.out.substr(r.out.find("exported ") + 9));
}

// Rewrites a bundle after `change`, signed by a key that is not the log's (as
// anyone who alters the file must).
template <class F>
std::string altered(const std::string& file, const std::string& out, F change, unsigned version = 2) {
  auto reader = protocol::ReceiptsReader::open(file);
  REQUIRE(reader.ok());
  protocol::ReceiptsHead head = reader->head();
  std::vector<protocol::ReceiptsBatch> batches;
  for (;;) {
    auto b = reader->next();
    REQUIRE(b.ok());
    if (!*b) break;
    batches.push_back(std::move(**b));
  }
  change(head, batches);
  REQUIRE(reader->version() == version);
  auto w = protocol::ReceiptsWriter::create(out, reader->header_lines(), version);
  REQUIRE(w.ok());
  REQUIRE(w->add(head).ok());
  for (const auto& b : batches) REQUIRE(w->add(b).ok());
  auto key = crypto::PrivateKey::generate();
  REQUIRE(key.ok());
  REQUIRE(w->finish(*key).ok());
  return out;
}

TEST_CASE(
    "no network at all: export, server import, import-bundle; the central verdicts reach the office, a second "
    "import changes nothing, and a later sync pushes nothing again") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT"), b(server, "SBY-DARMO");
  // B pushes one entry, so that it trusts a small tree: the bundle must prove the bigger one extends it.
  REQUIRE(b.enroll(500).rc == 0);
  REQUIRE(b.sync().rc == 0);
  const std::string a_csv = import_list(a.agent, {"--tagana", "30", "--seed", "1"});
  REQUIRE(a.enroll(7).rc == 0);
  REQUIRE(a.sync().rc == 0);
  server.stop();

  // B, offline, enrolls 4 of A's people again and one of its own.
  import_list(b.agent, {"--tagana", "10", "--seed", "2", "--overlap-from", a_csv, "--overlap", "4"});
  REQUIRE(b.enroll(8).rc == 0);
  const std::string file = export_file(b);
  CHECK(contains(slurp(file), "\ncheckpoint: "));
  CHECK(!contains(slurp(file), "checkpoint: none"));
  auto im = server_import(server, file);
  INFO(im.out << im.err);
  REQUIRE(im.rc == 0);
  CHECK(contains(im.out, "imported 2 batches: 11 accepted, 4 rejected, 0 flagged"));
  const std::string receipts = file + ".receipts";
  CHECK(contains(im.out, "wrote " + receipts));
  const std::string first_bytes = slurp(receipts);
  // Importing the same file again logs nothing and writes the same bundle.
  auto again = server_import(server, file);
  REQUIRE(again.rc == 0);
  CHECK(slurp(receipts) == first_bytes);

  CHECK(b.agent.count("SELECT count(*) FROM outbox") == 15);
  auto ib = import_bundle(b, receipts);
  INFO(ib.out << ib.err);
  REQUIRE(ib.rc == 0);
  CHECK(contains(ib.out, "15 entries acknowledged in 2 batches (11 accepted, 4 rejected, 0 flagged)"));
  CHECK(contains(ib.out, "not updated by a bundle"));
  CHECK(b.agent.count("SELECT count(*) FROM outbox") == 0);
  CHECK(b.agent.count("SELECT count(*) FROM receipts") == 16);
  auto status = b.agent.run({"status"});
  CHECK(status.rc == 0);
  CHECK(contains(status.out, "12 accepted, 4 rejected, 0 flagged"));
  CHECK(contains(status.out, "duplicate_enrollment"));
  auto rejected = b.agent.run({"list", "--entries", "--verdict", "rejected"});
  CHECK(rejected.rc == 0);
  CHECK(contains(rejected.out, "duplicate_enrollment"));

  auto twice = import_bundle(b, receipts);
  INFO(twice.out << twice.err);
  CHECK(twice.rc == 0);
  CHECK(contains(twice.out, "already imported"));

  // Back online: nothing is pushed again, and the next record syncs as usual.
  server.start();
  auto s = b.sync();
  INFO(s.out << s.err);
  REQUIRE(s.rc == 0);
  CHECK(contains(s.out, "pushed 0 entries"));
  CHECK(contains(s.out, "replica rebuilt"));
  CHECK(b.enroll(7).rc == 3);  // A's person, known to B's replica after the pull
  REQUIRE(b.enroll(9).rc == 0);
  auto s2 = b.sync();
  INFO(s2.out << s2.err);
  REQUIRE(s2.rc == 0);
  CHECK(contains(s2.out, "pushed 1 entries in 1 batches (1 accepted"));
  CHECK(b.agent.count("SELECT count(DISTINCT leaf_index) FROM receipts") == 17);
}

TEST_CASE("a bundle for another office, an altered bundle and a stale one are refused and change nothing") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT"), b(server, "SBY-DARMO");
  server.stop();
  for (int i = 1; i <= 3; ++i) REQUIRE(a.enroll(i).rc == 0);
  for (int i = 11; i <= 12; ++i) REQUIRE(b.enroll(i).rc == 0);
  const std::string fa = export_file(a), fb = export_file(b);
  REQUIRE(server_import(server, fa).rc == 0);
  REQUIRE(server_import(server, fb).rc == 0);
  const std::string ra = fa + ".receipts", rb = fb + ".receipts";

  auto other = import_bundle(a, rb);
  INFO(other.err);
  CHECK(other.rc == 1);
  CHECK(contains(other.err, "receipts of SBY-DARMO, but this office is SBY-RUNGKUT"));

  const std::string bad = a.agent.dir().file("bad.receipts");
  SUBCASE("a verdict changed") {
    altered(ra, bad, [](auto&, auto& batches) {
      batches[1].receipts[0].receipt.verdict = domain::Verdict{domain::Outcome::rejected, {{"x", "forged"}}};
    });
    auto r = import_bundle(a, bad);
    INFO(r.err);
    CHECK(r.rc == 5);
    CHECK(contains(r.err, "altered or damaged"));
    CHECK(contains(r.err, "#2 with verdict rejected"));
  }
  SUBCASE("a proof changed") {
    altered(ra, bad, [](auto&, auto& batches) { batches[0].ranges[0].hashes[0][0] ^= 1; });
    auto r = import_bundle(a, bad);
    INFO(r.err);
    CHECK(r.rc == 5);
    CHECK(contains(r.err, "batch 1: leaves ["));
    CHECK(contains(r.err, "(the batch's seal leaf .. #1 with verdict accepted) are not proven"));
  }
  SUBCASE("a range left out") {
    altered(ra, bad, [](auto&, auto& batches) { batches[2].ranges.clear(); });
    auto r = import_bundle(a, bad);
    INFO(r.err);
    CHECK(r.rc == 5);
    CHECK(contains(r.err, "batch 3: no proof for the batch's seal leaf (leaf "));
    CHECK(contains(r.err, "the bundle is malformed"));
  }
  SUBCASE("a range moved by one leaf") {
    altered(ra, bad, [](auto&, auto& batches) { ++batches[1].ranges[0].begin; });
    auto r = import_bundle(a, bad);
    INFO(r.err);
    CHECK(r.rc == 5);
    CHECK(contains(r.err, "batch 2: its proof of leaves ["));
    CHECK(contains(r.err, "does not match its leaves"));
  }
  SUBCASE("only the signature changed") {
    std::string bytes = slurp(ra);
    bytes.back() = static_cast<char>(bytes.back() ^ 1);
    write_file(bad, bytes);
    auto r = import_bundle(a, bad);
    INFO(r.err);
    CHECK(r.rc == 5);
    CHECK(contains(r.err, "signature over the bundle does not verify"));
  }
  SUBCASE("cut short") {
    std::string bytes = slurp(ra);
    write_file(bad, bytes.substr(0, bytes.size() - 100));
    auto r = import_bundle(a, bad);
    INFO(r.err);
    CHECK(r.rc == 5);
  }
  SUBCASE("the office synced after exporting: a bundle with new receipts cannot be proven against it") {
    server.start();
    REQUIRE(a.enroll(4).rc == 0);  // a new entry, so that the sync's checkpoint moves on
    auto s = a.sync();
    INFO(s.out << s.err);
    REQUIRE(s.rc == 0);
    // The sync acknowledged everything, so the old bundle has nothing new: a no-op.
    auto r = import_bundle(a, ra);
    INFO(r.out << r.err);
    CHECK(r.rc == 0);
    CHECK(contains(r.out, "already imported"));
    return;
  }
  CHECK(a.agent.count("SELECT count(*) FROM outbox") == 3);
  CHECK(a.agent.run({"status"}).rc == 0);  // no incident
  auto good = import_bundle(a, ra);
  INFO(good.out << good.err);
  CHECK(good.rc == 0);
  CHECK(contains(good.out, "3 entries acknowledged in 3 batches (3 accepted, 0 rejected, 0 flagged)"));
  CHECK(a.agent.count("SELECT count(*) FROM outbox") == 0);
}

TEST_CASE("a bundle from a rolled-back or forked server is an incident: exit 7, and syncing stops") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT"), c(server, "SBY-GUBENG");
  const auto snapshot = server.dir().path() / "snapshot";
  server.stop();
  server.save_store(snapshot);
  server.start();
  // C's entries grow the log; A (nothing of its own yet) accepts that bigger tree.
  int c_entries = 0, a_entries = 0;
  std::string kind;
  SUBCASE("rolled back: the server's log is smaller than what the office accepted") {
    c_entries = 5, a_entries = 2, kind = "shrank";
  }
  SUBCASE("forked: the server's log is bigger but does not extend what the office accepted") {
    c_entries = 1, a_entries = 3, kind = "forked";
  }
  for (int i = 1; i <= c_entries; ++i) REQUIRE(c.enroll(20 + i).rc == 0);
  REQUIRE(c.sync().rc == 0);
  REQUIRE(a.sync().rc == 0);
  server.stop();
  server.restore_store(snapshot);

  for (int i = 1; i <= a_entries; ++i) REQUIRE(a.enroll(i).rc == 0);
  const std::string file = export_file(a);
  auto im = server_import(server, file);
  INFO(im.out << im.err);
  REQUIRE(im.rc == 0);
  CHECK(contains(im.err, "WARNING"));
  auto r = import_bundle(a, file + ".receipts");
  INFO(r.out << r.err);
  CHECK(r.rc == 7);
  CHECK(contains(r.err, "SERVER HISTORY CHANGED"));
  CHECK(contains(r.err, kind));
  CHECK(a.agent.count(fmt::format("SELECT count(*) FROM outbox")) == a_entries);
  CHECK(a.agent.run({"status"}).rc == 7);
  auto again = import_bundle(a, file + ".receipts");
  CHECK(again.rc == 7);
  CHECK(contains(again.err, "stopped"));
}

TEST_CASE(
    "a carried file cut at a batch boundary, cut or damaged inside batch 3 of 4, or whose header does not match its "
    "batches is refused whole: nothing is imported and no receipts are written") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT");
  server.stop();
  for (int i = 1; i <= 4; ++i) REQUIRE(a.enroll(i).rc == 0);  // one seal, so one batch, each
  const std::string file = export_file(a);
  const std::string bytes = slurp(file);
  const auto spans = batch_spans(bytes);
  REQUIRE(spans.size() == 4);
  CHECK(contains(bytes, "\nbatches: 4\n"));
  const std::uint64_t before = log_size(server);
  const std::string bad = a.agent.dir().file("bad.lontar");
  std::string expected;

  SUBCASE("cut at the boundary after batch 3") {
    write_file(bad, bytes.substr(0, spans[2].end));
    expected =
        "holds 3 batches with entries #1..#3, but its header announces 4 batches with entries #1..#4: the file "
        "is incomplete: copy it again from the office; nothing was imported";
  }
  SUBCASE("cut inside batch 3") {
    write_file(bad, bytes.substr(0, (spans[2].begin + spans[2].end) / 2));
    expected = "batch 3 body is cut short: the file is incomplete: copy it again from the office; nothing was imported";
  }
  SUBCASE("a byte of batch 3 changed") {
    std::string damaged = bytes;
    damaged[(spans[2].begin + spans[2].end) / 2] ^= 0x20;
    write_file(bad, damaged);
    expected = "batch 3";
  }
  SUBCASE("the header names another office") {
    std::string other = bytes;
    other.replace(other.find("office: SBY-RUNGKUT"), 19, "office: SBY-DARMO");
    write_file(bad, other);
    expected = "but the header names 'SBY-DARMO': the file is damaged or was put together from two exports";
  }
  SUBCASE("the header's batch count is not a number") {
    std::string other = bytes;
    other.replace(other.find("batches: 4"), 10, "batches: x");
    write_file(bad, other);
    expected = "line 4: 'batches: x' is not 'batches: <count>': the header is damaged";
  }
  SUBCASE("the header's batch count is wrong") {
    std::string other = bytes;
    other.replace(other.find("batches: 4"), 10, "batches: 5");
    write_file(bad, other);
    expected = "but its header announces 5 batches";
  }
  SUBCASE("the header's last entry is wrong") {
    std::string other = bytes;
    other.replace(other.find("entries: 1..4"), 13, "entries: 1..5");
    write_file(bad, other);
    expected =
        "holds 4 batches with entries #1..#4, but its header announces 4 batches with entries #1..#5: the file "
        "is incomplete";
  }
  auto r = server_import(server, bad);
  INFO(r.out << r.err);
  CHECK(r.rc == 2);
  CHECK(contains(r.err, expected));
  CHECK(contains(r.err, "nothing was imported"));
  CHECK(!contains(r.out, "seal leaf"));
  CHECK(!std::filesystem::exists(bad + ".receipts"));
  CHECK(log_size(server) == before);

  // The whole file still goes in, all four batches.
  auto good = server_import(server, file);
  INFO(good.out << good.err);
  CHECK(good.rc == 0);
  CHECK(contains(good.out, "imported 4 batches: 4 accepted, 0 rejected, 0 flagged"));
  CHECK(log_size(server) == before + 8);
}

TEST_CASE("a batch repeated in a carried file is integrated once and counted once") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT");
  server.stop();
  REQUIRE(a.enroll(1).rc == 0);
  import_list(a.agent, {"--tagana", "30", "--seed", "1"});
  REQUIRE(a.enroll(2).rc == 0);
  REQUIRE(a.enroll(3).rc == 0);
  const std::string file = export_file(a);
  const std::string bytes = slurp(file);
  const auto spans = batch_spans(bytes);
  REQUIRE(spans.size() == 4);
  // Batch 2 (the 30 of the list) once more after itself, and batch 4 once more at the end.
  const std::string twice = bytes.substr(0, spans[1].end) +
                            bytes.substr(spans[1].begin, spans[1].end - spans[1].begin) + bytes.substr(spans[1].end) +
                            bytes.substr(spans[3].begin);
  write_file(file, twice);
  auto im = server_import(server, file);
  INFO(im.out << im.err);
  REQUIRE(im.rc == 0);
  CHECK(contains(im.out, "batch 3 repeats batch 2 byte for byte: skipped"));
  CHECK(contains(im.out, "batch 6 repeats batch 5 byte for byte: skipped"));
  CHECK(contains(im.out, "imported 4 batches: 33 accepted, 0 rejected, 0 flagged"));
  CHECK(contains(im.out, "skipped 2 batches that repeat an earlier one"));
  auto ib = import_bundle(a, file + ".receipts");
  INFO(ib.out << ib.err);
  CHECK(ib.rc == 0);
  CHECK(contains(ib.out, "33 entries acknowledged in 4 batches"));
  CHECK(a.agent.count("SELECT count(*) FROM outbox") == 0);
}

TEST_CASE(
    "when the log refuses a batch of a carried file that checked out, the batches before it stay, their receipts "
    "bundle is written, and the message says exactly which") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT");
  server.stop();
  REQUIRE(a.enroll(1).rc == 0);
  const auto backup = a.agent.dir().path() / "backup";
  std::filesystem::copy(a.agent.data(), backup, std::filesystem::copy_options::recursive);
  REQUIRE(a.enroll(2).rc == 0);
  REQUIRE(server_import(server, export_file(a, "first.lontar")).rc == 0);
  // The laptop is restored from the copy taken after #1: its #2 is now another entry.
  std::filesystem::remove_all(a.agent.data());
  std::filesystem::copy(backup, a.agent.data(), std::filesystem::copy_options::recursive);
  REQUIRE(a.enroll(3).rc == 0);
  REQUIRE(a.enroll(4).rc == 0);
  const std::string file = export_file(a, "second.lontar");
  auto im = server_import(server, file);
  INFO(im.out << im.err);
  CHECK(im.rc == 3);
  CHECK(contains(im.err, "batch 2 (SBY-RUNGKUT #2..#2)"));
  CHECK(contains(im.err, "EQUIVOCATION"));
  CHECK(contains(im.err,
                 "The first 1 of its 3 batches (entries #1..#1) were integrated before that; their receipts "
                 "are in " +
                     file + ".receipts"));
  auto reader = protocol::ReceiptsReader::open(file + ".receipts");
  REQUIRE(reader.ok());
  CHECK(reader->head().batches == 1);
  auto ib = import_bundle(a, file + ".receipts");
  INFO(ib.out << ib.err);
  CHECK(ib.rc == 0);
  CHECK(contains(ib.out, "1 entries acknowledged in 1 batches"));
  CHECK(a.agent.count("SELECT count(*) FROM outbox") == 2);
}

TEST_CASE(
    "a receipts bundle with a damaged first line, an unknown verdict value or cut short exits 5 and stores nothing; "
    "a missing file is a bad command line, exit 1") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT");
  server.stop();
  for (int i = 1; i <= 2; ++i) REQUIRE(a.enroll(i).rc == 0);
  const std::string file = export_file(a);
  REQUIRE(server_import(server, file).rc == 0);
  const std::string receipts = file + ".receipts", bytes = slurp(receipts);
  const std::string bad = a.agent.dir().file("bad.receipts");
  std::string expected;
  int rc = 5;
  SUBCASE("a damaged first line") {
    std::string damaged = bytes;
    damaged[0] = 'X';
    write_file(bad, damaged);
    expected = "line 1 is neither 'LONTAR-RECEIPTS 2' nor 'LONTAR-RECEIPTS 1'";
  }
  SUBCASE("an unknown verdict value") {
    auto reader = protocol::ReceiptsReader::open(receipts);
    REQUIRE(reader.ok());
    auto first = reader->next();
    REQUIRE(first.ok());
    REQUIRE(*first);
    // The first batch section (version 2): its length, flag, seal_leaf_index, seal_leaf, then
    // the receipts' count, the first receipt's seq and leaf index, then its outcome byte.
    const std::size_t head_at = bytes.find("\n\n") + 2;
    std::uint64_t head_len = 0;
    for (int i = 7; i >= 0; --i) head_len = (head_len << 8) | static_cast<unsigned char>(bytes[head_at + i]);
    const std::size_t batch_at = head_at + 8 + head_len;
    const std::size_t outcome_at = batch_at + 8 + 1 + 8 + 8 + (*first)->seal_leaf.size() + 8 + 8 + 8;
    REQUIRE(static_cast<unsigned char>(bytes[outcome_at]) == 1);  // accepted
    std::string damaged = bytes;
    damaged[outcome_at] = 9;
    write_file(bad, damaged);
    expected = "the file is damaged; copy it again";
  }
  SUBCASE("cut short") {
    write_file(bad, bytes.substr(0, bytes.size() - 100));
    expected = "copy it again";
  }
  SUBCASE("a missing file") {
    rc = 1;
    expected = "cannot open; check the path";
  }
  auto r = import_bundle(a, bad);
  INFO(r.out << r.err);
  CHECK(r.rc == rc);
  CHECK(contains(r.err, expected));
  CHECK(a.agent.count("SELECT count(*) FROM outbox") == 2);
  CHECK(a.agent.run({"status"}).rc == 0);  // no incident
  CHECK(import_bundle(a, receipts).rc == 0);
}

}  // namespace
}  // namespace lontar::test

namespace lontar::test {
namespace {

TEST_CASE(
    "receipts bundles: version 2 proves each batch's run of leaves with one range proof, across other offices' "
    "leaves and batches logged by an earlier import; version 1 (--receipts-version 1) still verifies") {
  Server server;
  server.start();
  Office a(server, "SBY-RUNGKUT"), b(server, "SBY-DARMO");
  server.stop();
  // A's first export is imported (4 leaves) but its receipts never reach the office; then B's
  // entries land after them (2 leaves); A's second export carries both batches again (logged
  // before: same leaves, nothing added) and a new one, after B's.
  REQUIRE(a.enroll(1).rc == 0);
  REQUIRE(a.enroll(2).rc == 0);
  REQUIRE(server_import(server, export_file(a, "first.lontar")).rc == 0);
  REQUIRE(b.enroll(11).rc == 0);
  REQUIRE(server_import(server, export_file(b)).rc == 0);
  import_list(a.agent, {"--tagana", "40", "--seed", "3"});
  const std::string file = export_file(a, "second.lontar");
  const std::string v1 = a.agent.dir().file("second.v1.receipts");
  auto im = server_import(server, file);
  INFO(im.out << im.err);
  REQUIRE(im.rc == 0);
  auto im1 = server_import(server, file, {"--receipts", v1, "--receipts-version", "1"});
  INFO(im1.out << im1.err);
  REQUIRE(im1.rc == 0);
  CHECK(server_import(server, file, {"--receipts-version", "3"}).rc != 0);

  auto reader = protocol::ReceiptsReader::open(file + ".receipts");
  REQUIRE(reader.ok());
  CHECK(reader->version() == 2);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (;;) {
    auto next = reader->next();
    REQUIRE(next.ok());
    if (!*next) break;
    CHECK((*next)->receipts.front().inclusion.empty());
    for (const auto& r : (*next)->ranges) ranges.emplace_back(r.begin, r.end);
  }
  using Ranges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
  // One per batch: the first two adjacent, the third after B's two leaves: seal, then the 40.
  REQUIRE(ranges.size() == 3);
  const std::uint64_t at = ranges[0].first;
  CHECK(ranges == Ranges{{at, at + 2}, {at + 2, at + 4}, {at + 6, at + 47}});
  const auto size2 = std::filesystem::file_size(file + ".receipts"), size1 = std::filesystem::file_size(v1);
  MESSAGE("bundle of 42 receipts: version 1 " << size1 << " bytes, version 2 " << size2 << " bytes");
  CHECK(size2 * 3 < size1);

  SUBCASE("version 2") {
    auto ib = import_bundle(a, file + ".receipts");
    INFO(ib.out << ib.err);
    CHECK(ib.rc == 0);
    CHECK(contains(ib.out, "42 entries acknowledged in 3 batches (42 accepted, 0 rejected, 0 flagged)"));
  }
  SUBCASE("version 1") {
    const std::string bad = a.agent.dir().file("bad.receipts");
    altered(
        v1, bad, [](auto&, auto& batches) { batches[2].receipts[5].inclusion[0][0] ^= 1; }, 1);
    auto r = import_bundle(a, bad);
    INFO(r.err);
    CHECK(r.rc == 5);
    CHECK(contains(r.err, "#8 with verdict accepted as leaf " + std::to_string(at + 12) + " is not proven"));
    auto ib = import_bundle(a, v1);
    INFO(ib.out << ib.err);
    CHECK(ib.rc == 0);
    CHECK(contains(ib.out, "42 entries acknowledged in 3 batches (42 accepted, 0 rejected, 0 flagged)"));
  }
  CHECK(a.agent.count("SELECT count(*) FROM outbox") == 0);
  CHECK(a.agent.count("SELECT count(DISTINCT leaf_index) FROM receipts") == 42);
}

}  // namespace
}  // namespace lontar::test
