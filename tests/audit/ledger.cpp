#include "ledger.hpp"

#include <cstdio>
#include <fstream>

#include "domain/schedule.hpp"
#include "encoding/encoding.hpp"
#include "note/checkpoint.hpp"
#include "support/take.hpp"

namespace lontar::test {
namespace {

constexpr std::size_t width = 256;

// C2SP tile index path, written independently of the auditor's.
std::string index_path(std::uint64_t n) {
  std::string s = std::to_string(n % 1000);
  s = std::string(3 - s.size(), '0') + s;
  while (n >= 1000) {
    n /= 1000;
    std::string p = std::to_string(n % 1000);
    s = "x" + std::string(3 - p.size(), '0') + p + "/" + s;
  }
  return s;
}

std::string tile_name(const std::string& level, std::uint64_t index, std::size_t w) {
  return "tile/" + level + "/" + index_path(index) + (w == width ? "" : ".p/" + std::to_string(w));
}

domain::Date date_from_days(std::int64_t z) {  // days since 1970-01-01 (H. Hinnant's civil_from_days)
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return domain::Date{static_cast<std::uint16_t>(y + (m <= 2)), static_cast<std::uint8_t>(m),
                      static_cast<std::uint8_t>(d)};
}

}  // namespace

Bytes encode_leaf(const chain::Leaf& leaf) { return take(encoding::encode(leaf), "encode leaf"); }

// ---- LogWriter ----

LogWriter::LogWriter(std::filesystem::path dir) : dir_(std::move(dir)) { std::filesystem::create_directories(dir_); }

void LogWriter::write(const std::string& path, ByteView bytes) const {
  auto file = dir_ / path;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  take(static_cast<bool>(out), "write " + file.string());
}

void LogWriter::append(ByteView leaf) {
  take(leaf.size() <= 0xffff, "leaf longer than a bundle can hold");
  bundle_.push_back(static_cast<std::uint8_t>(leaf.size() >> 8));
  bundle_.push_back(static_cast<std::uint8_t>(leaf.size()));
  lontar::append(bundle_, leaf);
  if (++bundle_count_ == width) {
    write(tile_name("entries", (builder_.size()) / width, width), bundle_);
    bundle_.clear();
    bundle_count_ = 0;
  }
  for (const merkle::Node& n : builder_.append(merkle::leaf_hash(leaf))) {
    if (n.id.level % 8 != 0) continue;
    std::size_t level = n.id.level / 8;
    if (pending_.size() <= level) pending_.resize(level + 1);
    pending_[level].push_back(n.hash);
    if (pending_[level].size() == width) {
      Bytes tile;
      for (const Hash& h : pending_[level]) lontar::append(tile, h);
      write(tile_name(std::to_string(level), n.id.index / width, width), tile);
      pending_[level].clear();
    }
  }
}

void LogWriter::publish(const crypto::PrivateKey& key, const std::string& origin) const {
  std::uint64_t size = builder_.size();
  if (bundle_count_ > 0) write(tile_name("entries", size / width, bundle_count_), bundle_);
  for (std::size_t level = 0; level < pending_.size(); ++level) {
    if (pending_[level].empty()) continue;
    Bytes tile;
    for (const Hash& h : pending_[level]) lontar::append(tile, h);
    std::uint64_t count = size >> (8 * level);
    write(tile_name(std::to_string(level), count / width, pending_[level].size()), tile);
  }
  note::Checkpoint cp{origin, size, builder_.root(), {}};
  std::string signed_note = take(note::sign_checkpoint(cp, origin, key), "sign checkpoint");
  write("checkpoint", as_bytes(signed_note));
}

void write_log(const std::filesystem::path& dir, const std::vector<Bytes>& leaves, const crypto::PrivateKey& key,
               const std::string& origin) {
  LogWriter w(dir);
  for (const Bytes& l : leaves) w.append(l);
  w.publish(key, origin);
}

// ---- people and payloads ----

Person person(std::uint64_t n) {
  constexpr std::uint64_t days = 14'000;  // birth dates 1960-01-01 .. 1998-04
  constexpr std::uint64_t districts = 90;
  domain::Date birth = date_from_days(-3653 + static_cast<std::int64_t>(n % days));
  std::uint64_t district = 1 + (n / days) % districts;
  auto serial = static_cast<std::uint16_t>(1 + n / (days * districts));
  domain::Sex sex = (n / 7) % 2 ? domain::Sex::female : domain::Sex::male;
  std::string d = (district < 10 ? "0" : "") + std::to_string(district);
  auto nik = take(domain::make_nik("3578", d, birth, sex, serial), "make nik");
  return Person{nik.str(), birth, sex};
}

domain::Payload enroll(std::uint64_t person_no, const std::string& occupation) {
  Person who = person(person_no);
  domain::ParticipantEnroll e;
  e.nik = who.nik;
  e.name = "Peserta " + std::to_string(person_no);
  e.birth_date = who.birth;
  e.sex = who.sex;
  e.regency_code = "3578";
  e.occupation = occupation;
  e.sponsor = "DINSOS-JATIM";
  e.declared_income = 1'500'000;
  e.programmes = domain::programme_bit(domain::Programme::jkk) | domain::programme_bit(domain::Programme::jkm);
  e.coverage_start = {2018, 5, 1};
  e.heirs = {domain::Heir{"Ahli Waris", "spouse", ""}};
  return e;
}

domain::Payload contribution(std::uint64_t person_no, const std::string& receipt, domain::YearMonth first,
                             std::uint16_t months) {
  domain::ContributionPaid c;
  c.nik = person(person_no).nik;
  c.first_month = first;
  c.months = months;
  c.amounts = {{domain::Programme::jkk, 10'000 * months}, {domain::Programme::jkm, 6'800 * months}};
  c.payer = "DINSOS-JATIM";
  c.receipt_no = receipt;
  return c;
}

domain::Payload claim(std::uint64_t person_no, const std::string& claim_no, domain::Date event) {
  domain::ClaimFiled c;
  c.claim_no = claim_no;
  c.nik = person(person_no).nik;
  c.programme = domain::Programme::jkm;
  c.event_date = event;
  c.claimant = domain::Heir{"Ahli Waris", "spouse", ""};
  return c;
}

domain::Payload payout(const std::string& claim_no, domain::Rupiah amount) {
  domain::PayoutMade p;
  p.claim_no = claim_no;
  p.amount = amount;
  p.beneficiary = "Ahli Waris";
  p.method = domain::PayMethod::bank;
  p.reference = "TRF-" + claim_no;
  return p;
}

domain::Payload revoke(const Principal& p) {
  return domain::PrincipalRevoke{p.principal(), p.key().public_key(), "laptop stolen"};
}

domain::Payload void_entry(const std::string& principal, std::uint64_t seq) {
  return domain::EntryVoid{principal, seq, "recorded twice"};
}

// ---- LedgerBuilder ----

LedgerBuilder::LedgerBuilder(Sink sink)
    : sink_(std::move(sink)), log_key_(take(crypto::PrivateKey::generate(), "log key")) {
  state_ = rules::make_memory_state(rules::NikKey{});
  admin_ = std::make_unique<Principal>("ADMIN", take(crypto::PrivateKey::generate(), "admin key"), domain::Role::admin);
  domain::PrincipalRegister reg{"ADMIN", domain::Role::admin, admin_->key().public_key(), "Kantor Pusat", ""};
  push(*admin_, {reg, domain::default_schedule()});
}

Principal& LedgerBuilder::add_office(const std::string& id, const std::string& scope) {
  auto p = std::make_unique<Principal>(id, take(crypto::PrivateKey::generate(), "office key"));
  push(*admin_, {domain::PrincipalRegister{id, domain::Role::office, p->key().public_key(), "Kantor " + id, scope}});
  return *(offices_[id] = std::move(p));
}

void LedgerBuilder::push(Principal& p, const std::vector<domain::Payload>& payloads, const crypto::PrivateKey* seal_key,
                         std::int64_t recorded_at_ms) {
  std::vector<chain::Entry> entries;
  for (const auto& payload : payloads) entries.push_back(p.entry(payload, recorded_at_ms, "clerk"));
  chain::Seal seal = p.seal(recorded_at_ms);
  if (seal_key != nullptr) seal.signature = seal_key->sign(chain::seal_message(seal));
  auto emit = [&](chain::Leaf leaf) {
    if (sink_) {
      sink_(leaf);
    } else {
      leaves_.push_back(std::move(leaf));
    }
  };
  emit(chain::seal_leaf(seal));
  for (auto& e : entries) {
    domain::Verdict v = take(rules::judge_and_apply(e, *state_), "judge");
    emit(chain::entry_leaf(std::move(e), std::move(v)));
  }
}

std::string LedgerBuilder::verifier_key() const {
  return take(note::Verifier::make(origin, log_key_.public_key()), "verifier").to_string();
}

std::vector<Bytes> LedgerBuilder::encoded() const {
  std::vector<Bytes> out;
  for (const auto& l : leaves_) out.push_back(encode_leaf(l));
  return out;
}

}  // namespace lontar::test
