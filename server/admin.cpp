#include "admin.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>
#include <charconv>
#include <chrono>
#include <cstring>

#include "crypto/x509.hpp"
#include "encoding/encoding.hpp"
#include "merkle/merkle.hpp"
#include "note/checkpoint.hpp"

namespace lontar::server::admin {

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An exclusive lock on a file for the life of the object (flock; released at exit).
class FileLock {
 public:
  // A key on read-only media (a write-protected USB stick) cannot have a lock file
  // beside it: then commands go unlocked, and the server still refuses a second
  // entry under the same seq.
  static Result<FileLock> take(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return FileLock(-1);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      return Error{Code::conflict, fmt::format("{}: another admin command with this key is running; wait for it "
                                               "to finish (two at once would write the same seq)",
                                               path.string())};
    }
    return FileLock(fd);
  }
  FileLock(FileLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace

Result<crypto::PublicKey> parse_public_key(const std::string& text) {
  crypto::PublicKey key{};
  if (text.size() == 64 && text.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
    LONTAR_ASSIGN(Bytes b, from_hex(text));
    std::copy(b.begin(), b.end(), key.begin());
    return key;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(text, ec)) {
    return Error{Code::bad_input, fmt::format("--key '{}' is neither 64 hex digits nor a readable file; give the "
                                              "office's public key as printed by `lontar-agent init`, or its "
                                              "certificate file",
                                              text.substr(0, 80))};
  }
  LONTAR_ASSIGN(std::string pem, crypto::read_file(text));
  if (pem.find("-----BEGIN CERTIFICATE-----") != std::string::npos) {
    auto k = crypto::certificate_public_key(pem);
    if (!k.ok()) return Error{Code::bad_input, fmt::format("{}: {}", text, k.error().message)};
    return *k;
  }
  constexpr std::string_view begin = "-----BEGIN PUBLIC KEY-----", end = "-----END PUBLIC KEY-----";
  auto b = pem.find(begin), e = pem.find(end);
  if (b == std::string::npos || e == std::string::npos || e < b) {
    if (pem.find("PRIVATE KEY") != std::string::npos) {
      return Error{Code::bad_input, fmt::format("{}: is a PRIVATE key; never copy an office's private key — give its "
                                                "public key (hex) or its certificate file instead",
                                                text)};
    }
    return Error{Code::bad_input, fmt::format("{}: holds no CERTIFICATE or PUBLIC KEY PEM block", text)};
  }
  std::string body;
  for (char c : pem.substr(b + begin.size(), e - b - begin.size())) {
    if (c != '\n' && c != '\r' && c != ' ') body += c;
  }
  auto der = from_base64(body);
  // An Ed25519 SubjectPublicKeyInfo: 30 2a 30 05 06 03 2b 65 70 03 21 00 <32 bytes>.
  static const Bytes prefix = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  if (!der.ok() || der->size() != prefix.size() + key.size() ||
      !std::equal(prefix.begin(), prefix.end(), der->begin())) {
    return Error{Code::bad_input, fmt::format("{}: the PUBLIC KEY is not an Ed25519 key", text)};
  }
  std::copy(der->begin() + static_cast<std::ptrdiff_t>(prefix.size()), der->end(), key.begin());
  return key;
}

Result<std::unique_ptr<Session>> Session::open(const Connection& c) {
  auto verifier = note::Verifier::parse(c.verifier_key);
  if (!verifier.ok()) return Error{Code::bad_input, "--server-key: " + verifier.error().message};
  auto key = crypto::PrivateKey::load_pem(c.key_file, c.passphrase);
  if (!key.ok()) return Error{key.error().code, fmt::format("{}: {}", c.key_file.string(), key.error().message)};
  net::ClientConfig cc;
  cc.url = c.url;
  if (c.ca_file) {
    LONTAR_ASSIGN(cc.trust.ca_pem, net::load_ca_file(*c.ca_file));
  } else {
    cc.trust.pinned_key = verifier->public_key();
  }
  LONTAR_ASSIGN(cc.identity, net::self_signed_identity(*key, "lontar-admin"));
  LONTAR_ASSIGN(net::Client client, net::Client::create(std::move(cc)));
  std::filesystem::path lock = c.key_file;
  lock += ".lock";
  return std::unique_ptr<Session>(
      new Session(std::move(*key), std::move(client), std::move(*verifier), std::move(lock)));
}

Result<net::Response> Session::get(std::string_view target) { return client_.call("GET", target); }

Result<LedgerParams> Session::ledger() {
  LONTAR_ASSIGN(net::Response r, get("/v1/ledger"));
  LedgerParams p;
  p.origin = json_field(r.body, "origin").value_or("");
  p.verifier_key = json_field(r.body, "verifier_key").value_or("");
  p.principal = json_field(r.body, "principal").value_or("");
  p.role = json_field(r.body, "role").value_or("");
  p.nik_key = json_field(r.body, "nik_key").value_or("");
  if (p.verifier_key != verifier_.to_string()) {
    return Error{Code::conflict, fmt::format("the server says its log key is {} but --server-key is {}; check that "
                                             "you are talking to the right server",
                                             p.verifier_key.substr(0, 200), verifier_.to_string())};
  }
  return p;
}

Result<note::Checkpoint> Session::checkpoint() {
  LONTAR_ASSIGN(net::Response r, get("/checkpoint"));
  auto cp = note::open_checkpoint(r.body, verifier_, verifier_.name());
  if (!cp.ok()) {
    return Error{Code::corrupt, "the server's checkpoint does not verify with --server-key: " + cp.error().message};
  }
  return cp;
}

Result<Submitted> Session::submit(const domain::Payload& payload) {
  LONTAR_TRY(domain::validate(payload));
  LONTAR_ASSIGN(FileLock lock, FileLock::take(lock_path_));
  LONTAR_ASSIGN(LedgerParams params, ledger());
  if (params.role != "admin") {
    return Error{Code::unauthorized,
                 fmt::format("this key ({}) is principal '{}', {}; admin commands need the admin key written by "
                             "`lontar-server init`",
                             crypto::fingerprint(key_.public_key()), params.principal,
                             params.role.empty() ? "not registered" : "whose role is " + params.role)};
  }
  LONTAR_ASSIGN(net::Response head_r, get(fmt::format("/v1/offices/{}/head", params.principal)));
  auto seq_text = json_field(head_r.body, "seq");
  auto head_text = json_field(head_r.body, "head");
  if (!seq_text || !head_text) {
    return Error{Code::corrupt, "the server's head answer lacks seq or head: " + head_r.body.substr(0, 200)};
  }
  std::uint64_t seq = 0;
  try {
    seq = std::stoull(*seq_text);
  } catch (const std::exception&) {
    return Error{Code::corrupt, "the server's head answer has a bad seq: " + seq_text->substr(0, 40)};
  }
  LONTAR_ASSIGN(Hash head, hash_from_hex(*head_text));

  const std::int64_t now = now_ms();
  LONTAR_ASSIGN(chain::Entry entry, chain::make_entry(params.principal, seq + 1, head, now, params.principal, payload));
  chain::Batch batch;
  batch.principal = params.principal;
  batch.seal = chain::make_seal(params.principal, seq + 1, chain::entry_hash(entry), now, key_);
  batch.entries.push_back(entry);
  LONTAR_ASSIGN(Bytes body, encoding::encode(batch));
  LONTAR_ASSIGN(net::Response r, client_.call("POST", "/v1/push", as_chars(body)));
  LONTAR_ASSIGN(protocol::PushResponse resp, encoding::decode<protocol::PushResponse>(r.bytes(), "push response"));
  if (resp.receipts.size() != 1 || resp.receipts[0].seq != seq + 1) {
    return Error{Code::corrupt,
                 "the server's push response does not hold one receipt for seq " + std::to_string(seq + 1)};
  }
  auto cp = note::open_checkpoint(resp.checkpoint, verifier_, verifier_.name());
  if (!cp.ok()) {
    return Error{Code::corrupt, "the receipt's checkpoint does not verify with --server-key: " + cp.error().message};
  }
  // The entry's leaf must be in the tree the receipt's checkpoint signs.
  const auto& receipt = resp.receipts[0];
  LONTAR_ASSIGN(Bytes leaf, encoding::encode(chain::entry_leaf(entry, receipt.verdict)));
  LONTAR_ASSIGN(net::Response pr,
                get(fmt::format("/v1/proof/inclusion?index={}&size={}", receipt.leaf_index, cp->size)));
  LONTAR_ASSIGN(protocol::Proof proof, encoding::decode<protocol::Proof>(pr.bytes(), "inclusion proof"));
  auto included =
      merkle::verify_inclusion(merkle::leaf_hash(leaf), receipt.leaf_index, cp->size, proof.hashes, cp->root);
  if (!included.ok()) {
    return Error{Code::corrupt, fmt::format("the server's receipt for seq {} (leaf {}) is not proven in its "
                                            "checkpoint of size {}: {}; report this as an incident",
                                            receipt.seq, receipt.leaf_index, cp->size, included.error().message)};
  }
  return Submitted{std::move(entry), std::move(resp), std::move(*cp)};
}

}  // namespace lontar::server::admin
