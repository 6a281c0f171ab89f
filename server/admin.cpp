#include "admin.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>
#include <charconv>
#include <cstring>

#include "base/clock.hpp"
#include "crypto/x509.hpp"
#include "encoding/encoding.hpp"
#include "merkle/merkle.hpp"
#include "note/checkpoint.hpp"

namespace lontar::server::admin {

namespace {

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

Result<net::Response> Session::get(std::string_view target) { return client_.get(std::string(target)); }

Result<protocol::Ledger> Session::ledger() {
  LONTAR_ASSIGN(protocol::Ledger ledger, client_.ledger());
  const std::string pinned = log_.verifier().to_string();
  if (ledger.verifier_key != pinned) {
    return Error{Code::conflict, fmt::format("the server says its log key is {} but --server-key is {}; check that "
                                             "you are talking to the right server",
                                             ledger.verifier_key.substr(0, 200), pinned)};
  }
  return ledger;
}

Result<note::Checkpoint> Session::verified(std::string_view note_text, std::string_view what) const {
  auto cp = log_.check(note_text, nullptr);
  if (!cp.ok())
    return Error{Code::corrupt, fmt::format("{} does not verify with --server-key: {}", what, cp.error().message)};
  return cp;
}

Result<note::Checkpoint> Session::checkpoint() {
  LONTAR_ASSIGN(std::string note, client_.checkpoint());
  return verified(note, "the server's checkpoint");
}

Result<Submitted> Session::submit(const domain::Payload& payload) {
  LONTAR_TRY(domain::validate(payload));
  LONTAR_ASSIGN(FileLock lock, FileLock::take(lock_path_));
  LONTAR_ASSIGN(protocol::Ledger params, ledger());
  if (!params.caller || params.caller->role != domain::Role::admin) {
    return Error{Code::unauthorized,
                 fmt::format("this key ({}) is principal '{}', {}; admin commands need the admin key written by "
                             "`lontar-server init`",
                             crypto::fingerprint(key_.public_key()), params.caller ? params.caller->principal : "",
                             params.caller ? fmt::format("whose role is {}", domain::role_name(params.caller->role))
                                           : std::string("not registered"))};
  }
  const std::string& principal = params.caller->principal;
  LONTAR_ASSIGN(protocol::OfficeHead head, client_.head(principal));
  const std::uint64_t seq = head.seq;

  const std::int64_t now = now_ms();
  LONTAR_ASSIGN(chain::Entry entry, chain::make_entry(principal, seq + 1, head.head, now, principal, payload));
  chain::Batch batch;
  batch.principal = principal;
  batch.seal = chain::make_seal(principal, seq + 1, chain::entry_hash(entry), now, key_);
  batch.entries.push_back(entry);
  LONTAR_ASSIGN(protocol::PushResponse resp, client_.push(batch));
  LONTAR_ASSIGN(note::Checkpoint cp, verified(resp.checkpoint, "the receipt's checkpoint"));
  // The entry's leaf must be in the tree the receipt's checkpoint signs.
  const auto& receipt = resp.receipts[0];
  LONTAR_ASSIGN(Bytes leaf, encoding::encode(chain::entry_leaf(entry, receipt.verdict)));
  LONTAR_ASSIGN(protocol::Proof proof, client_.inclusion_proof(receipt.leaf_index, cp.size));
  if (auto s = protocol::check_included(receipt.leaf_index, merkle::leaf_hash(leaf), cp, proof.hashes,
                                        fmt::format("the server's receipt for seq {}: leaf", receipt.seq));
      !s.ok()) {
    return Error{Code::corrupt, s.error().message + "; report this as an incident"};
  }
  return Submitted{std::move(entry), std::move(resp), std::move(cp)};
}

}  // namespace lontar::server::admin
