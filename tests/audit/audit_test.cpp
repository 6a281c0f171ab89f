// audit_test.cpp — the real lontar-audit binary against real ledgers, clean and tampered.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "ledger.hpp"
#include "run.hpp"
#include "support/temp_dir.hpp"

namespace lontar::test {
namespace {

namespace fs = std::filesystem;
using domain::Outcome;

// A small but complete ledger: genesis admin, two offices, 300+ leaves (more than one
// full tile), contributions, a death claim and a payout above the schedule (flagged).
struct Fixture {
  LedgerBuilder b;
  Principal* sby = nullptr;
  Principal* mlg = nullptr;
  TempDir tmp;

  Fixture() {
    sby = &b.add_office("SBY-RUNGKUT");
    mlg = &b.add_office("MLG-KOTA");
    for (int batch = 0; batch < 5; ++batch) {
      std::vector<domain::Payload> p;
      for (int i = 0; i < 50; ++i) p.push_back(enroll(batch * 50 + i, i % 3 ? "TAGANA" : "TKSK"));
      b.push(*sby, p);
    }
    std::vector<domain::Payload> pay;
    for (int i = 0; i < 40; ++i) pay.push_back(contribution(i, "R-" + std::to_string(i), {2018, 5}, 3));
    b.push(*sby, pay);
    b.push(*mlg, {enroll(1000, "KPM_PKH"), contribution(1000, "M-1", {2018, 5}, 1)});
    b.push(*sby, {claim(1, "SBY/2018/0001", {2018, 6, 2}), payout("SBY/2018/0001", 30'000'000)});
    b.push(*mlg, {enroll(1, "TKSK")});  // a duplicate enrollment: rejected
  }

  std::string dir() const { return tmp.file("log"); }
  std::string state() const { return tmp.file("state"); }
  void write() { write_log(dir(), b.encoded(), b.log_key(), LedgerBuilder::origin); }
  void write(const std::vector<Bytes>& leaves) { write_log(dir(), leaves, b.log_key(), LedgerBuilder::origin); }
  Run verify(const std::string& extra = "") {
    return audit("verify --dir " + dir() + " --key '" + b.verifier_key() + "' --state " + state() + " " + extra);
  }
  // Flips the last byte of the first entry bundle (inside leaf 255's bytes), as a disk would.
  void flip_last_byte_of_first_bundle() const {
    std::fstream io(fs::path(dir()) / "tile/entries/000", std::ios::in | std::ios::out | std::ios::binary);
    io.seekg(-1, std::ios::end);
    char c = 0;
    io.get(c);
    io.seekp(-1, std::ios::end);
    io.put(static_cast<char>(c ^ 0x01));
  }
  // Index of the first entry leaf matching `pred`.
  template <class Pred>
  std::size_t find(Pred pred) {
    auto& l = b.leaves();
    for (std::size_t i = 0; i < l.size(); ++i) {
      if (l[i].type == chain::LeafType::entry && pred(l[i])) return i;
    }
    FAIL("no such leaf");
    return 0;
  }
};

bool has(const std::string& haystack, const std::string& text) { return haystack.find(text) != std::string::npos; }
bool has(const Run& r, const std::string& text) { return has(r.output, text); }

std::string line_with(const Run& r, const std::string& text) {
  auto at = r.output.find(text);
  if (at == std::string::npos) return "";
  auto start = r.output.rfind('\n', at);
  start = start == std::string::npos ? 0 : start + 1;
  return r.output.substr(start, r.output.find('\n', at) - start);
}

TEST_CASE("a clean ledger passes, and a second audit with nothing new passes without rechecking") {
  Fixture f;
  f.write();
  Run r = f.verify();
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(has(r, "PASS"));
  CHECK(has(r, "checked leaves [0, " + std::to_string(f.b.leaves().size()) + ")"));
  Run again = f.verify("--json");
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(has(again, "\"passed\":true"));
  CHECK(has(again, "\"from\":" + std::to_string(f.b.leaves().size())));
  CHECK(has(again, "\"entries\":0"));
}

TEST_CASE("one byte of one entry changed on disk: the recomputed root and the tile disagree") {
  Fixture f;
  f.write();
  f.flip_last_byte_of_first_bundle();
  Run r = f.verify();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(has(r, "root_mismatch"));
  CHECK(has(line_with(r, "tile_mismatch"), "leaf 255 "));
}

TEST_CASE("an old leaf changed after it was audited: only --from-start re-reads it, and finds it") {
  Fixture f;
  f.write();
  REQUIRE(f.verify().exit_code == 0);
  f.flip_last_byte_of_first_bundle();
  Run incremental = f.verify();  // nothing new since the last run: nothing re-read
  CHECK(incremental.exit_code == 0);
  Run full = f.verify("--from-start");
  INFO(full.output);
  CHECK(full.exit_code == 1);
  CHECK(has(full, "checked leaves [0, "));
  CHECK(has(full, "root_mismatch"));
  CHECK(has(line_with(full, "tile_mismatch"), "leaf 255 "));
  CHECK_FALSE(fs::exists(fs::path(f.state()) / "from-start.tmp"));
  CHECK(f.verify().exit_code == 0);                // the incremental audit still has nothing new to read
  CHECK(f.verify("--from-start").exit_code == 1);  // and every full re-read finds it again
}

TEST_CASE("--sample N re-reads old leaves at random on an incremental run and finds one changed since") {
  Fixture f;
  f.write();
  REQUIRE(f.verify().exit_code == 0);
  const std::size_t size = f.b.leaves().size();
  Run clean = f.verify("--sample 5 --json");
  INFO(clean.output);
  CHECK(clean.exit_code == 0);
  CHECK(has(clean, "\"sampled\":5"));
  CHECK(has(clean, "\"entries\":0"));  // nothing new: only the sample was read

  f.flip_last_byte_of_first_bundle();                      // leaf 255, audited by the first run
  CHECK(f.verify().exit_code == 0);                        // the plain incremental run does not re-read it
  Run all = f.verify("--sample " + std::to_string(size));  // a sample as large as the log: every old leaf
  INFO(all.output);
  CHECK(all.exit_code == 1);
  CHECK(has(all, std::to_string(size) + " old leaves re-read at random"));
  CHECK(has(line_with(all, "root_mismatch"), "old leaf 255 "));
  CHECK(has(all, "--from-start"));
}

TEST_CASE("one byte of one entry changed and re-signed by the log: the office chain breaks at that entry") {
  Fixture f;
  std::size_t i = f.find([](const chain::Leaf& l) { return l.entry.principal == "SBY-RUNGKUT" && l.entry.seq == 10; });
  f.b.leaves()[i].entry.operator_id[0] ^= 0x01;
  f.write();
  Run r = f.verify();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(has(line_with(r, "chain_link"), "leaf " + std::to_string(i + 1) + " office SBY-RUNGKUT seq 11"));
  CHECK_FALSE(has(r, "root_mismatch"));
}

TEST_CASE("a leaf dropped: a gap in the office chain, with leaf, office and seq") {
  Fixture f;
  std::size_t i = f.find([](const chain::Leaf& l) { return l.entry.principal == "SBY-RUNGKUT" && l.entry.seq == 20; });
  auto leaves = f.b.encoded();
  leaves.erase(leaves.begin() + static_cast<std::ptrdiff_t>(i));
  f.write(leaves);
  Run r = f.verify();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(has(line_with(r, "chain_gap"), "leaf " + std::to_string(i) + " office SBY-RUNGKUT seq 21"));
}

TEST_CASE("two leaves swapped: the office chain is out of order") {
  Fixture f;
  std::size_t i = f.find([](const chain::Leaf& l) { return l.entry.principal == "SBY-RUNGKUT" && l.entry.seq == 30; });
  auto leaves = f.b.encoded();
  std::swap(leaves[i], leaves[i + 1]);
  f.write(leaves);
  Run r = f.verify();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(has(line_with(r, "chain_gap"), "leaf " + std::to_string(i) + " office SBY-RUNGKUT seq 31"));
}

TEST_CASE("a seal leaf dropped: the entries it covered are unsealed") {
  Fixture f;
  std::size_t i = f.find([](const chain::Leaf& l) { return l.entry.principal == "SBY-RUNGKUT" && l.entry.seq == 51; });
  REQUIRE(f.b.leaves()[i - 1].type == chain::LeafType::seal);
  auto leaves = f.b.encoded();
  leaves.erase(leaves.begin() + static_cast<std::ptrdiff_t>(i - 1));
  f.write(leaves);
  Run r = f.verify();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(has(line_with(r, "unsealed_entry"), "leaf " + std::to_string(i - 1) + " office SBY-RUNGKUT seq 51"));
}

TEST_CASE("a seal forged with another key is refused") {
  Fixture f;
  auto other = crypto::PrivateKey::generate();
  REQUIRE(other.ok());
  std::size_t seal_leaf = f.b.leaves().size();
  f.b.push(*f.sby, {enroll(500)}, &*other);
  f.write();
  Run r = f.verify();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(has(line_with(r, "seal_signature"), "leaf " + std::to_string(seal_leaf) + " office SBY-RUNGKUT seq "));
}

TEST_CASE("a seal by an office whose key was revoked earlier in the log is refused") {
  Fixture f;
  f.b.push(f.b.admin(), {revoke(*f.mlg)});
  std::size_t seal_leaf = f.b.leaves().size();
  f.b.push(*f.mlg, {enroll(600, "KPM_PKH")});
  f.write();
  Run r = f.verify();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(has(line_with(r, "seal_key"), "leaf " + std::to_string(seal_leaf) + " office MLG-KOTA seq 4"));
  CHECK_FALSE(has(r, "verdict_mismatch"));
}

TEST_CASE("a checkpoint signed by another key is refused before anything else") {
  Fixture f;
  auto other = crypto::PrivateKey::generate();
  REQUIRE(other.ok());
  write_log(f.dir(), f.b.encoded(), *other, LedgerBuilder::origin);
  Run r = f.verify();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(has(r, "checkpoint_signature"));
}

TEST_CASE("two checkpoints of the same size with different roots are a fork") {
  Fixture f;
  f.write();
  REQUIRE(f.verify().exit_code == 0);
  f.b.leaves().back().entry.operator_id = "other";
  fs::remove_all(f.dir());
  f.write();
  Run r = f.verify();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(has(r, "fork: the log signed two different trees of size " + std::to_string(f.b.leaves().size())));
}

TEST_CASE("a larger checkpoint whose tree does not start with the accepted one is inconsistent") {
  Fixture f;
  f.write();
  REQUIRE(f.verify().exit_code == 0);
  std::size_t i = f.find([](const chain::Leaf& l) { return l.entry.principal == "SBY-RUNGKUT" && l.entry.seq == 3; });
  f.b.leaves()[i].entry.operator_id = "rewritten";
  f.b.push(*f.sby, {enroll(700)});
  fs::remove_all(f.dir());
  f.write();
  Run r = f.verify();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(has(r, "inconsistent: the first " + std::to_string(f.b.leaves().size() - 2) + " leaves of the log"));
  CHECK(has(r, "the log rewrote its history"));
}

TEST_CASE("a verdict changed from flagged to accepted is caught by replaying the rules") {
  Fixture f;
  std::size_t i = f.find([](const chain::Leaf& l) { return l.verdict.outcome == Outcome::flagged; });
  const auto& e = f.b.leaves()[i].entry;
  std::string where = "leaf " + std::to_string(i) + " office " + e.principal + " seq " + std::to_string(e.seq);
  f.b.leaves()[i].verdict = domain::Verdict{};
  f.write();
  Run r = f.verify();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  std::string line = line_with(r, "verdict_mismatch");
  CHECK(has(line, where));
  CHECK(has(line, "the log says accepted, replaying the rules gives flagged (above_schedule"));
}

TEST_CASE("a verdict logged with an older wording of its reason still audits; a changed reason code does not") {
  Fixture f;
  std::size_t i = f.find([](const chain::Leaf& l) { return l.verdict.outcome == Outcome::flagged; });
  REQUIRE_FALSE(f.b.leaves()[i].verdict.reasons.empty());
  f.b.leaves()[i].verdict.reasons[0].text = "an older version's wording of the same reason";
  f.write();
  Run same = f.verify();
  INFO(same.output);
  CHECK(same.exit_code == 0);
  CHECK_FALSE(has(same, "verdict_mismatch"));

  Fixture g;
  std::size_t j = g.find([](const chain::Leaf& l) { return l.verdict.outcome == Outcome::flagged; });
  g.b.leaves()[j].verdict.reasons[0].code = "some_other_code";
  g.write();
  Run other = g.verify();
  INFO(other.output);
  CHECK(other.exit_code == 1);
  CHECK(has(line_with(other, "verdict_mismatch"), "some_other_code"));
}

TEST_CASE("a truncated hash tile is a finding") {
  Fixture f;
  f.write();
  fs::resize_file(fs::path(f.dir()) / "tile/0/000", 8192 - 32);
  Run r = f.verify();
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(has(line_with(r, "tile_mismatch"), "tile/0/000: 8160 bytes, expected 8192"));
}

TEST_CASE("a re-audit checks only the new leaves, and a rolled-back checkpoint is refused") {
  TempDir tmp;
  std::string dir = tmp.file("log");
  LogWriter w(dir);
  LedgerBuilder b([&](const chain::Leaf& l) { w.append(encode_leaf(l)); });
  Principal& sby = b.add_office("SBY-RUNGKUT");
  for (int k = 0; k < 10; ++k) {
    std::vector<domain::Payload> p;
    for (int i = 0; i < 99; ++i) p.push_back(enroll(k * 100 + i));
    b.push(sby, p);
  }
  w.publish(b.log_key(), LedgerBuilder::origin);
  std::uint64_t first = w.size();
  fs::copy_file(fs::path(dir) / "checkpoint", tmp.file("old-checkpoint"));
  std::string args =
      "verify --dir " + dir + " --key '" + b.verifier_key() + "' --state " + tmp.file("state") + " --json";
  Run r1 = audit(args);
  INFO(r1.output);
  REQUIRE(r1.exit_code == 0);

  for (int k = 0; k < 10; ++k) {
    std::vector<domain::Payload> p;
    for (int i = 0; i < 99; ++i) p.push_back(enroll(5000 + k * 100 + i));
    b.push(sby, p);
  }
  w.publish(b.log_key(), LedgerBuilder::origin);
  REQUIRE(w.size() == first + 1000);
  Run r2 = audit(args);
  INFO(r2.output);
  CHECK(r2.exit_code == 0);
  CHECK(has(r2, "\"from\":" + std::to_string(first) + ",\"to\":" + std::to_string(first + 1000)));
  CHECK(has(r2, "\"entries\":990,\"seals\":10"));
  CHECK(has(r2, "\"checkpoints_accepted\":2"));

  fs::copy_file(tmp.file("old-checkpoint"), fs::path(dir) / "checkpoint", fs::copy_options::overwrite_existing);
  Run r3 = audit(args);
  INFO(r3.output);
  CHECK(r3.exit_code == 1);
  CHECK(has(r3, "rollback"));
}

TEST_CASE("the report counts by office, programme, occupation and month, and lists flagged and rejected entries") {
  Fixture f;
  f.write();
  REQUIRE(f.verify().exit_code == 0);
  Run t = audit("report --state " + f.state());
  INFO(t.output);
  CHECK(t.exit_code == 0);
  CHECK(has(t, "participant.enroll"));
  CHECK(has(t, "TAGANA"));
  CHECK(has(t, "Rp 30.000.000"));  // the payout
  CHECK(has(t, "above_schedule"));
  CHECK(has(t, "duplicate_enrollment"));
  Run c = audit("report --state " + f.state() + " --csv");
  CHECK(has(c, "detail,payout.made,SBY-RUNGKUT,JKM,TAGANA,2018-05,1,30000000"));
  CHECK(has(c, "detail,contribution.paid,MLG-KOTA,JKK,KPM_PKH,2018-05,1,10000"));
  Run j = audit("report --state " + f.state() + " --json");
  CHECK(has(j, "\"exceptions\":[{"));
}

TEST_CASE("a voided entry leaves the report, after an incremental audit") {
  Fixture f;
  f.write();
  REQUIRE(f.verify().exit_code == 0);
  f.b.push(*f.mlg, {void_entry("MLG-KOTA", 2)});  // MLG-KOTA seq 2: its contribution
  f.write();
  Run r = f.verify();
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  Run c = audit("report --state " + f.state() + " --csv");
  INFO(c.output);
  CHECK_FALSE(has(c, "detail,contribution.paid,MLG-KOTA"));
  CHECK(has(c, "detail,participant.enroll,MLG-KOTA"));
}

}  // namespace
}  // namespace lontar::test
