// cli_test.cpp — drives the real lontar-server binary: init, run on port 0, admin
// commands over mutual TLS, signals, export and import.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <functional>
#include <thread>

#include "crypto/x509.hpp"
#include "merkle/tiles.hpp"
#include "net/client.hpp"
#include "note/checkpoint.hpp"
#include "server/log_fixture.hpp"
#include "server/server_cli.hpp"
#include "store/db.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace lontar::test {
namespace {

const char* const server_bin = LONTAR_SERVER_BIN;
const char* const agent_bin = LONTAR_AGENT_BIN;

// A running `lontar-server run`: started, its "listening on" line read, stopped by signal.
class Server {
 public:
  Server(const TempDir& tmp, const std::filesystem::path& config) {
    const bool up = process_.start({server_bin, "run", "--config", config.string()}, tmp.path() / "server.err");
    INFO("server stderr: " << process_.log());
    REQUIRE(up);
    REQUIRE(process_.url().rfind("https://127.0.0.1:", 0) == 0);
  }
  // Sends `sig` and waits for the exit; returns the exit code.
  int stop(int sig = SIGTERM) { return process_.stop(sig); }
  void signal(int sig) { process_.signal(sig); }
  std::string url() const { return process_.url(); }
  std::uint16_t port() const { return static_cast<std::uint16_t>(process_.port()); }
  std::string log() const { return process_.log(); }

 private:
  ServerProcess process_;
};

struct Initialized {
  std::filesystem::path data;
  std::filesystem::path config;
  std::string verifier_key;
};

// init, then the config switched to port 0.
Initialized init(const TempDir& tmp) {
  Initialized i;
  i.data = tmp.path() / "data";
  auto r = run(tmp, {"init", "--data", i.data.string(), "--origin", "lontar.test/jatim"});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  auto at = r.out.find("lontar.test/jatim+");
  REQUIRE(at != std::string::npos);
  i.verifier_key = r.out.substr(at, r.out.find('\n', at) - at);
  i.config = i.data / "server.toml";
  std::string text = slurp(i.config);
  auto p = text.find("port = 8443");
  REQUIRE(p != std::string::npos);
  text.replace(p, 11, "port = 0");
  REQUIRE(crypto::write_file_atomic(i.config, text).ok());
  return i;
}

std::filesystem::path write_key(const TempDir& tmp, const std::string& name, const crypto::PrivateKey& key) {
  auto path = tmp.path() / name;
  REQUIRE(key.save_pem(path).ok());
  return path;
}

std::vector<std::string> admin_args(std::vector<std::string> cmd, const std::string& url, const Initialized& i,
                                    const std::filesystem::path& key) {
  cmd.insert(cmd.end(), {"--server", url, "--server-key", i.verifier_key, "--admin-key", key.string()});
  return cmd;
}

// Writes a file as `lontar-agent export` does: header, blank line, then length-framed batches.
void write_batch_file(const std::filesystem::path& path, const std::vector<chain::Batch>& batches) {
  std::string out = fmt::format(
      "LONTAR-EXPORT 1\noffice: SBY-RUNGKUT\nentries: {}..{}\nbatches: {}\npersonal-data: "
      "yes\n\n",
      batches.front().entries.front().seq, batches.back().seal.last_seq, batches.size());
  for (const auto& b : batches) {
    Bytes bytes = take(encoding::encode(b), "encode");
    for (int i = 0; i < 8; ++i) out += static_cast<char>((bytes.size() >> (8 * i)) & 0xff);
    out += as_chars(bytes);
  }
  REQUIRE(crypto::write_file_atomic(path, out).ok());
}

}  // namespace

TEST_CASE("init writes a ledger, a config and a certificate, prints the verifier key, and never overwrites") {
  TempDir tmp;
  auto i = init(tmp);
  CHECK(note::Verifier::parse(i.verifier_key).ok());
  for (const char* f : {"ledger.db", "log.key", "admin.key", "tls.crt", "server.toml"}) {
    CHECK(std::filesystem::exists(i.data / f));
  }
  // The TLS certificate is over the log key, so the verifier key pins the server.
  auto cert_key = take(crypto::certificate_public_key(slurp(i.data / "tls.crt")), "cert");
  CHECK(cert_key == take(note::Verifier::parse(i.verifier_key), "v").public_key());
  const std::string before = slurp(i.data / "admin.key");
  auto again = run(tmp, {"init", "--data", i.data.string(), "--origin", "other"});
  CHECK(again.rc == 3);
  CHECK(again.err.find("already") != std::string::npos);
  CHECK(slurp(i.data / "admin.key") == before);
}

// The mode bits of `path` (0 when it does not exist).
unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
}

TEST_CASE("the ledger, its backup, the export's entry bundles and the auditor's state are owner-only under umask 022") {
  const mode_t old_umask = ::umask(022);  // inherited by every process the test starts
  TempDir tmp;
  auto i = init(tmp);
  CHECK(mode_of(i.data) == 0700);
  CHECK(mode_of(i.data / "ledger.db") == 0600);
  if (std::filesystem::exists(i.data / "ledger.db-wal")) CHECK(mode_of(i.data / "ledger.db-wal") == 0600);
  const auto backup = tmp.path() / "ledger.backup";
  auto b = run(tmp, {"backup", "--data", i.data.string(), "--out", backup.string()});
  INFO(b.err);
  REQUIRE(b.rc == 0);
  CHECK(mode_of(backup) == 0600);
  const auto out = tmp.path() / "export";
  auto ex = run(tmp, {"export", "--data", i.data.string(), "--out", out.string()});
  INFO(ex.err);
  REQUIRE(ex.rc == 0);
  CHECK(mode_of(out / "checkpoint") == 0644);  // may be published
  CHECK(mode_of(out / "tile" / "entries") == 0700);
  int bundles = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(out / "tile" / "entries")) {
    INFO(e.path().string());
    CHECK(mode_of(e.path()) == (e.is_directory() ? 0700u : 0600u));
    bundles += e.is_regular_file() ? 1 : 0;
  }
  CHECK(bundles > 0);
  const auto state = tmp.path() / "audit-state";
  auto audit =
      run(tmp, {"verify", "--dir", out.string(), "--key", i.verifier_key, "--state", state.string()}, LONTAR_AUDIT_BIN);
  INFO(audit.out, audit.err);
  CHECK(audit.rc == 0);
  CHECK(mode_of(state) == 0700);
  CHECK(mode_of(state / "audit.sqlite") == 0600);
  ::umask(old_umask);
}

TEST_CASE("run refuses a config with an unknown key or a bad value, naming the file and the key") {
  TempDir tmp;
  auto i = init(tmp);
  std::string text = slurp(i.config);
  REQUIRE(crypto::write_file_atomic(i.config, text + "\n[extra]\nfoo = 1\n").ok());
  auto r = run(tmp, {"run", "--config", i.config.string()});
  CHECK(r.rc == 2);
  CHECK(r.err.find("server.toml: extra") != std::string::npos);
  auto p = text.find("io_threads = 2");
  REQUIRE(p != std::string::npos);
  text.replace(p, 14, "io_threads = 0");
  REQUIRE(crypto::write_file_atomic(i.config, text).ok());
  r = run(tmp, {"run", "--config", i.config.string()});
  CHECK(r.rc == 2);
  CHECK(r.err.find("limits.io_threads is 0") != std::string::npos);
}

TEST_CASE(
    "a served ledger: office add over mutual TLS, healthz for the office, admin refused to others, "
    "SIGTERM exits 0, then export verifies and import integrates a batch file") {
  TempDir tmp;
  auto i = init(tmp);
  const auto pin = take(note::Verifier::parse(i.verifier_key), "v").public_key();
  const auto admin_key = i.data / "admin.key";
  auto office = take(crypto::PrivateKey::generate(), "office key");
  const auto office_key_file = write_key(tmp, "office.key", office);
  auto stranger = take(crypto::PrivateKey::generate(), "stranger key");
  const auto stranger_key_file = write_key(tmp, "stranger.key", stranger);

  Server server(tmp, i.config);
  CHECK(slurp(i.data / "server.port") == std::to_string(server.port()) + "\n");

  // office add with the admin key, the office's public key given as hex.
  auto add = run(tmp, admin_args({"office", "add", "--id", "SBY-RUNGKUT", "--name", "Surabaya Rungkut", "--key",
                                  to_hex(office.public_key()), "--scope", "3578"},
                                 server.url(), i, admin_key));
  INFO(add.err);
  REQUIRE(add.rc == 0);
  CHECK(add.out.rfind("accepted: office SBY-RUNGKUT registered", 0) == 0);

  // The registered office is served; an unregistered key is refused with a reason.
  auto c = client_for(server.url(), office, pin);
  auto health = take(c.get("/healthz"), "healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  auto ledger = take(c.get("/v1/ledger"), "ledger");
  CHECK(ledger.status == 200);
  CHECK(ledger.body.find("\"principal\":\"SBY-RUNGKUT\"") != std::string::npos);
  CHECK(ledger.body.find("\"nik_key\":\"") != std::string::npos);
  auto s = client_for(server.url(), stranger, pin);
  auto refused = take(s.get("/healthz"), "stranger healthz");
  CHECK(refused.status == 403);
  CHECK(refused.body.find("not registered") != std::string::npos);

  // Admin commands with a key that is not the admin's are refused, and write nothing.
  auto as_office = run(tmp, admin_args({"auditor", "add", "--id", "BPK-AUDIT", "--name", "Auditor", "--key",
                                        to_hex(stranger.public_key())},
                                       server.url(), i, office_key_file));
  CHECK(as_office.rc == 3);
  CHECK(as_office.err.find("SBY-RUNGKUT") != std::string::npos);
  auto as_stranger = run(tmp, admin_args({"schedule", "set", "--effective", "2019-01-01", "--jkm-benefit", "42000000",
                                          "--jkm-monthly", "6800"},
                                         server.url(), i, stranger_key_file));
  CHECK(as_stranger.rc == 3);
  CHECK(as_stranger.err.find("not registered") != std::string::npos);
  auto head = take(c.get("/v1/offices/SBY-RUNGKUT/head"), "head");
  CHECK(head.body.find("\"seq\":0") != std::string::npos);

  // A schedule set by the admin; status and list show the ledger.
  auto sched = run(tmp, admin_args({"schedule", "set", "--effective", "2019-01-01", "--jkm-benefit", "42000000",
                                    "--jkm-monthly", "6800"},
                                   server.url(), i, admin_key));
  CHECK(sched.rc == 0);
  auto list = run(tmp, admin_args({"office", "list"}, server.url(), i, admin_key));
  CHECK(list.rc == 0);
  CHECK(list.out.find("SBY-RUNGKUT") != std::string::npos);
  CHECK(list.out.find(crypto::fingerprint(office.public_key())) != std::string::npos);
  auto status = run(tmp, admin_args({"status"}, server.url(), i, admin_key));
  CHECK(status.rc == 0);
  CHECK(status.out.find("tree size: ") != std::string::npos);

  // Keys can also be given as a certificate file or a PUBLIC KEY PEM file.
  auto auditor = take(crypto::PrivateKey::generate(), "auditor key");
  const auto auditor_cert = tmp.path() / "auditor.crt";
  REQUIRE(
      crypto::write_file_atomic(auditor_cert, take(crypto::make_self_signed_certificate(auditor, "BPK"), "cert")).ok());
  auto add_auditor = run(tmp, admin_args({"auditor", "add", "--id", "BPK-JATIM", "--name", "BPK Jawa Timur", "--key",
                                          auditor_cert.string()},
                                         server.url(), i, admin_key));
  CHECK(add_auditor.rc == 0);
  auto darmo = take(crypto::PrivateKey::generate(), "darmo key");
  Bytes spki = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  append(spki, darmo.public_key());
  const auto darmo_pub = tmp.path() / "darmo.pub";
  REQUIRE(crypto::write_file_atomic(darmo_pub,
                                    "-----BEGIN PUBLIC KEY-----\n" + to_base64(spki) + "\n-----END PUBLIC KEY-----\n")
              .ok());
  auto add_darmo = run(
      tmp, admin_args({"office", "add", "--id", "SBY-DARMO", "--name", "Surabaya Darmo", "--key", darmo_pub.string()},
                      server.url(), i, admin_key));
  CHECK(add_darmo.rc == 0);
  // Run again (as after a lost response): nothing is written twice.
  auto tree_size = [&] {
    auto st = run(tmp, admin_args({"status"}, server.url(), i, admin_key));
    auto at = st.out.find("tree size: ");
    REQUIRE(at != std::string::npos);
    return std::stoull(st.out.substr(at + 11));
  };
  const auto size_before = tree_size();
  auto add_again = run(
      tmp, admin_args({"office", "add", "--id", "SBY-DARMO", "--name", "Surabaya Darmo", "--key", darmo_pub.string()},
                      server.url(), i, admin_key));
  CHECK(add_again.rc == 0);
  CHECK(add_again.out.find("already registered") != std::string::npos);
  CHECK(tree_size() == size_before);
  // Registered differently: refused unless --update says so.
  auto renamed =
      run(tmp, admin_args({"office", "add", "--id", "SBY-DARMO", "--name", "Darmo Baru", "--key", darmo_pub.string()},
                          server.url(), i, admin_key));
  CHECK(renamed.rc == 3);
  CHECK(renamed.err.find("--update") != std::string::npos);
  auto updated = run(tmp, admin_args({"office", "add", "--id", "SBY-DARMO", "--name", "Darmo Baru", "--key",
                                      darmo_pub.string(), "--update"},
                                     server.url(), i, admin_key));
  CHECK(updated.rc == 0);
  CHECK(tree_size() > size_before);
  auto auditors = run(tmp, admin_args({"auditor", "list"}, server.url(), i, admin_key));
  CHECK(auditors.out.find("BPK-JATIM") != std::string::npos);
  CHECK(auditors.out.find(crypto::fingerprint(auditor.public_key())) != std::string::npos);
  CHECK(auditors.out.find("SBY-") == std::string::npos);
  // The same as one printable page, in both languages: every principal, no external asset.
  for (const char* lang : {"id", "en"}) {
    const auto page_file = tmp.path() / (std::string("status-") + lang + ".html");
    auto html =
        run(tmp, admin_args({"status", "--html", page_file.string(), "--lang", lang}, server.url(), i, admin_key));
    REQUIRE(html.rc == 0);
    const std::string page = take(crypto::read_file(page_file), "status page");
    CHECK(page.find("Darmo Baru") != std::string::npos);
    CHECK(page.find("BPK Jawa Timur") != std::string::npos);
    CHECK(page.find(crypto::fingerprint(auditor.public_key())) != std::string::npos);
    CHECK(page.find("<svg") != std::string::npos);
    CHECK(page.find("lontar_entries_integrated_total") != std::string::npos);
    CHECK(page.find(std::string(lang) == "id" ? "Kantor terdaftar" : "Registered offices") != std::string::npos);
    CHECK(page.find("src=") == std::string::npos);
    CHECK(page.find("href=") == std::string::npos);
    CHECK(page.find("<script") == std::string::npos);
  }
  CHECK(run(tmp, admin_args({"status", "--html", (tmp.path() / "x.html").string(), "--lang", "fr"}, server.url(), i,
                            admin_key))
            .rc == 2);
  auto private_given =
      run(tmp, admin_args({"office", "add", "--id", "SBY-X", "--name", "X", "--key", office_key_file.string()},
                          server.url(), i, admin_key));
  CHECK(private_given.rc == 2);
  CHECK(private_given.err.find("PRIVATE") != std::string::npos);

  // A verdict the rules reject is printed with its reason and exits 3.
  auto unknown = run(tmp, admin_args({"office", "revoke", "--id", "SBY-NOWHERE", "--key", to_hex(stranger.public_key()),
                                      "--reason", "never registered"},
                                     server.url(), i, admin_key));
  CHECK(unknown.rc == 3);
  CHECK(unknown.out.rfind("rejected: ", 0) == 0);
  // A server whose key is not the pinned one is refused before anything is sent.
  auto other = take(note::Verifier::make("lontar.test/jatim", stranger.public_key()), "other").to_string();
  auto wrong_pin =
      run(tmp, {"status", "--server", server.url(), "--server-key", other, "--admin-key", admin_key.string()});
  CHECK(wrong_pin.rc == 3);
  CHECK(wrong_pin.err.find("pinned") != std::string::npos);

  CHECK(server.stop(SIGTERM) == 0);
  CHECK(server.log().find("stopped cleanly") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(i.data / "server.port"));

  SUBCASE("export writes a checkpoint and tiles that verify, marked as holding personal data") {
    const auto out = tmp.path() / "export";
    auto ex = run(tmp, {"export", "--data", i.data.string(), "--out", out.string()});
    INFO(ex.err);
    REQUIRE(ex.rc == 0);
    auto verifier = take(note::Verifier::parse(i.verifier_key), "v");
    auto cp = take(note::open_checkpoint(slurp(out / "checkpoint"), verifier, "lontar.test/jatim"), "checkpoint");
    CHECK(cp.size >= 5);  // genesis (3 leaves), office add (2), schedule (2)
    merkle::TileReader reader(cp.size, [&](const merkle::TileId& id) -> Result<Bytes> {
      auto text = slurp(out / merkle::tile_path(id));
      return Bytes(text.begin(), text.end());
    });
    CHECK(take(merkle::root(reader, cp.size), "root") == cp.root);
    // Every leaf in the entry bundles hashes to the level-0 tile's hash.
    for (const auto& id : merkle::bundles_added(0, cp.size)) {
      auto leaves = take(merkle::parse_bundle(id, as_bytes(slurp(out / merkle::tile_path(id)))), "bundle");
      merkle::TileId hashes_id = id;
      hashes_id.entries = false;
      auto hashes = take(merkle::parse_tile(hashes_id, as_bytes(slurp(out / merkle::tile_path(hashes_id)))), "tile");
      REQUIRE(leaves.size() == hashes.size());
      for (std::size_t k = 0; k < leaves.size(); ++k) CHECK(merkle::leaf_hash(leaves[k]) == hashes[k]);
    }
    CHECK(slurp(out / "README.txt").find("PERSONAL DATA") != std::string::npos);
    auto again = run(tmp, {"export", "--data", i.data.string(), "--out", out.string()});
    CHECK(again.rc == 3);
  }

  SUBCASE("import integrates a batch file like a push, idempotently, and refuses a tampered one") {
    ChainWriter w("SBY-RUNGKUT", clone_key(office));
    auto b1 = w.batch({enrollment(1), enrollment(2)});
    auto b2 = w.batch({enrollment(3), enrollment(1)});  // the second enrollment of person 1 is rejected
    const auto file = tmp.path() / "rungkut.lontar";
    write_batch_file(file, {b1, b2});
    auto im = run(tmp, {"import", "--data", i.data.string(), "--batch", file.string()});
    INFO(im.err);
    REQUIRE(im.rc == 0);
    CHECK(im.out.find("imported 2 batches: 3 accepted, 1 rejected, 0 flagged") != std::string::npos);
    CHECK(im.out.find("#4 leaf") != std::string::npos);
    // The same file again: the same receipts, nothing added.
    auto again = run(tmp, {"import", "--data", i.data.string(), "--batch", file.string()});
    CHECK(again.rc == 0);
    CHECK(again.out.find("imported 2 batches: 3 accepted, 1 rejected, 0 flagged") != std::string::npos);
    // A batch whose seal is not by the office's key.
    auto b3 = w.batch({enrollment(4)});
    b3.seal.signature[0] ^= 1;
    const auto bad = tmp.path() / "bad.lontar";
    write_batch_file(bad, {b3});
    auto tampered = run(tmp, {"import", "--data", i.data.string(), "--batch", bad.string()});
    CHECK(tampered.rc == 3);
    CHECK(tampered.err.find("bad.lontar: batch 1") != std::string::npos);
    // A truncated file names the byte where it breaks.
    std::string cut = slurp(file);
    REQUIRE(crypto::write_file_atomic(bad, cut.substr(0, cut.size() - 10)).ok());
    auto truncated = run(tmp, {"import", "--data", i.data.string(), "--batch", bad.string()});
    CHECK(truncated.rc == 2);
    CHECK(truncated.err.find("the file is incomplete: copy it again from the office") != std::string::npos);
  }
}

TEST_CASE("import integrates the file a real lontar-agent export wrote, and not while the server runs") {
  TempDir tmp;
  auto i = init(tmp);
  const auto office_dir = tmp.path() / "office";
  auto a = run(tmp, {"init", "--data", office_dir.string(), "--office", "SBY-RUNGKUT", "--name", "Surabaya Rungkut"},
               agent_bin);
  INFO(a.err);
  REQUIRE(a.rc == 0);
  const auto csv = tmp.path() / "dinsos.csv";
  REQUIRE(run(tmp,
              {"generate-partner-csv", "--data", office_dir.string(), "--out", csv.string(), "--tagana", "20", "--tksk",
               "5", "--kpm-pkh", "3"},
              agent_bin)
              .rc == 0);
  REQUIRE(run(tmp, {"import", "--data", office_dir.string(), csv.string()}, agent_bin).rc == 0);
  const auto file = tmp.path() / "sby-rungkut.lontar";
  auto ex = run(tmp, {"export", "--data", office_dir.string(), "--out", file.string()}, agent_bin);
  INFO(ex.err);
  REQUIRE(ex.rc == 0);

  {
    Server server(tmp, i.config);
    auto add = run(tmp, admin_args({"office", "add", "--id", "SBY-RUNGKUT", "--name", "Surabaya Rungkut", "--key",
                                    (office_dir / "office-cert.pem").string(), "--scope", "3578"},
                                   server.url(), i, i.data / "admin.key"));
    REQUIRE(add.rc == 0);
    auto busy = run(tmp, {"import", "--data", i.data.string(), "--batch", file.string()});
    CHECK(busy.rc == 3);
    CHECK(busy.err.find("stop it first") != std::string::npos);
    CHECK(server.stop(SIGTERM) == 0);
  }
  auto im = run(tmp, {"import", "--data", i.data.string(), "--batch", file.string()});
  INFO(im.err);
  CHECK(im.rc == 0);
  CHECK(im.out.find("imported 1 batches: 28 accepted, 0 rejected, 0 flagged") != std::string::npos);
}

TEST_CASE("SIGHUP reloads the TLS certificate for new connections") {
  TempDir tmp;
  auto i = init(tmp);
  // A TLS key of its own (not the log key), so that it can be replaced.
  auto key_a = take(crypto::PrivateKey::generate(), "a");
  auto key_b = take(crypto::PrivateKey::generate(), "b");
  auto write_identity = [&](const crypto::PrivateKey& k) {
    std::filesystem::remove(i.data / "tls.key");
    REQUIRE(k.save_pem(i.data / "tls.key").ok());
    REQUIRE(crypto::write_file_atomic(i.data / "tls.crt",
                                      take(crypto::make_self_signed_certificate(k, "test", {"127.0.0.1"}), "cert"))
                .ok());
  };
  write_identity(key_a);
  std::string text = slurp(i.config);
  auto p = text.find("key = \"log.key\"");
  REQUIRE(p != std::string::npos);
  text.replace(p, 15, "key = \"tls.key\"");
  REQUIRE(crypto::write_file_atomic(i.config, text).ok());

  auto admin = take(crypto::PrivateKey::load_pem(i.data / "admin.key"), "admin");
  Server server(tmp, i.config);
  auto on_a = client_for(server.url(), admin, key_a.public_key());
  CHECK(take(on_a.get("/healthz"), "a").status == 200);

  write_identity(key_b);
  server.signal(SIGHUP);
  // The reload is asynchronous: new connections see B once it has happened.
  bool b_served = false;
  for (int attempt = 0; attempt < 200 && !b_served; ++attempt) {
    auto on_b = client_for(server.url(), admin, key_b.public_key());
    auto r = on_b.get("/healthz");
    b_served = r.ok() && r->status == 200;
    if (!b_served) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  CHECK(b_served);
  auto fresh_a = client_for(server.url(), admin, key_a.public_key());
  auto r = fresh_a.get("/healthz");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("pinned") != std::string::npos);
  CHECK(server.stop(SIGINT) == 0);
}

}  // namespace lontar::test

namespace lontar::test {

TEST_CASE("scrub re-reads every leaf, tile and index row against the signed tree and names the damage") {
  TempDir tmp;
  const auto data = tmp.path() / "data";
  {
    Ledger l = Ledger::create(data);
    ChainWriter a = l.add_principal("SBY-RUNGKUT");
    std::vector<domain::Payload> people;
    for (unsigned i = 1; i <= 300; ++i) people.emplace_back(enrollment(i));  // past one full tile
    take(l.store->push(a.caller(), a.batch(people)), "push");
  }
  auto clean = run(tmp, {"scrub", "--data", data.string()});
  INFO(clean.out << clean.err);
  REQUIRE(clean.rc == 0);
  CHECK(clean.out.find("clean: 306 leaves") != std::string::npos);

  // One byte of leaf 200 changes on disk (a failing sector): the server would serve it.
  {
    auto db = take(store::Db::open((data / "ledger.db").string(), {.create = false}), "open");
    auto get = take(db->prepare("SELECT leaf FROM log_leaves WHERE idx = 200"), "select");
    REQUIRE(take(get.step(), "step"));
    Bytes leaf = get.blob(0);
    leaf[leaf.size() / 2] ^= 0x20;
    auto put = take(db->prepare("UPDATE log_leaves SET leaf = ?1 WHERE idx = 200"), "update");
    take(put.bind(1, ByteView(leaf)).run(), "write");
  }
  auto damaged = run(tmp, {"scrub", "--data", data.string()});
  INFO(damaged.out << damaged.err);
  CHECK(damaged.rc == 5);
  CHECK(damaged.out.find("DAMAGED") != std::string::npos);
  CHECK(damaged.out.find("leaf 200: its stored bytes do not hash") != std::string::npos);
  CHECK(damaged.out.find("restore") != std::string::npos);  // what to do

  // An entry's index row pointing elsewhere is named too.
  {
    auto db = take(store::Db::open((data / "ledger.db").string(), {.create = false}), "open");
    take(db->exec("UPDATE log_entries SET leaf_index = 7 WHERE principal = 'SBY-RUNGKUT' AND seq = 250"), "write");
  }
  auto index = run(tmp, {"scrub", "--data", data.string()});
  CHECK(index.rc == 5);
  CHECK(index.out.find("entry SBY-RUNGKUT #250") != std::string::npos);
}

}  // namespace lontar::test

namespace lontar::test {
namespace {

// The config of `i` with `scrub_leaves_per_second` set to `rate`.
void set_scrub_rate(const Initialized& i, std::uint64_t rate) {
  std::string text = slurp(i.config);
  const std::string key = "scrub_leaves_per_second = 5000";
  auto p = text.find(key);
  REQUIRE(p != std::string::npos);
  text.replace(p, key.size(), "scrub_leaves_per_second = " + std::to_string(rate));
  REQUIRE(crypto::write_file_atomic(i.config, text).ok());
}

// One metric's value from a /metrics page; -1 when it is not there.
long long metric(const std::string& page, const std::string& name) {
  const std::string at = "\n" + name + " ";
  auto p = page.find(at);
  if (p == std::string::npos) return -1;
  return std::stoll(page.substr(p + at.size()));
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// Polls /metrics until `done` holds for it (bounded: the loop ends at the first match;
// the bound only keeps a broken server from hanging the test).
std::string metrics_until(net::Client& c, const std::function<bool(const std::string&)>& done) {
  std::string page;
  for (int attempt = 0; attempt < 1200; ++attempt) {
    auto r = c.get("/metrics");
    if (r.ok() && r->status == 200) {
      page = r->body;
      if (done(page)) return page;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return page;
}

// Flips one byte of a blob column in the live ledger.db, through SQLite (as a failing
// sector under a row would look to the server's next read).
void flip_byte(const std::filesystem::path& db_file, const std::string& select, const std::string& update) {
  auto db = take(store::Db::open(db_file.string(), {.create = false}), "open");
  auto get = take(db->prepare(select), "select");
  REQUIRE(take(get.step(), "step"));
  Bytes blob = get.blob(0);
  REQUIRE(!blob.empty());
  blob[blob.size() / 2] ^= 0x20;
  auto put = take(db->prepare(update), "update");
  take(put.bind(1, ByteView(blob)).run(), "write");
}

}  // namespace

TEST_CASE("the running server's background scrub notices a flipped leaf byte, stops signing and refuses pushes") {
  TempDir tmp;
  auto i = init(tmp);
  set_scrub_rate(i, 1'000'000);  // a pass every second: the test does not wait long
  const auto pin = take(note::Verifier::parse(i.verifier_key), "v").public_key();
  auto admin = take(crypto::PrivateKey::load_pem(i.data / "admin.key"), "admin");
  Server server(tmp, i.config);
  auto c = client_for(server.url(), admin, pin);
  auto office = take(crypto::PrivateKey::generate(), "office key");
  auto add = run(tmp, admin_args({"office", "add", "--id", "SBY-RUNGKUT", "--name", "Surabaya Rungkut", "--key",
                                  to_hex(office.public_key()), "--scope", "3578"},
                                 server.url(), i, i.data / "admin.key"));
  REQUIRE(add.rc == 0);

  // A clean log: complete passes, no alarm.
  auto clean = metrics_until(c, [](const std::string& m) { return metric(m, "lontar_scrub_passes_total") >= 2; });
  INFO(clean);
  REQUIRE(metric(clean, "lontar_scrub_passes_total") >= 2);
  CHECK(metric(clean, "lontar_scrub_leaves_per_second") == 1'000'000);
  CHECK(metric(clean, "lontar_scrub_leaves_checked_total") > metric(clean, "lontar_tree_size"));
  CHECK(metric(clean, "lontar_scrub_last_pass_completed_seconds") > 1'700'000'000);
  CHECK(metric(clean, "lontar_scrub_damage") == 0);
  CHECK(metric(clean, "lontar_signing_stopped") == 0);

  // One byte of leaf 1 changes on disk while the server runs.
  flip_byte(i.data / "ledger.db", "SELECT leaf FROM log_leaves WHERE idx = 1",
            "UPDATE log_leaves SET leaf = ?1 WHERE idx = 1");
  auto alarmed = metrics_until(c, [](const std::string& m) { return metric(m, "lontar_scrub_damage") == 1; });
  INFO(alarmed);
  REQUIRE(metric(alarmed, "lontar_scrub_damage") == 1);
  CHECK(metric(alarmed, "lontar_signing_stopped") == 1);
  CHECK(metric(alarmed, "lontar_integrator_invariant_broken") == 0);
  const std::string checkpoint = take(c.get("/checkpoint"), "checkpoint").body;

  // The next push is refused with what is damaged and what to run; nothing is signed.
  auto refused = run(tmp, admin_args({"office", "add", "--id", "SBY-DARMO", "--name", "Surabaya Darmo", "--key",
                                      to_hex(take(crypto::PrivateKey::generate(), "k").public_key())},
                                     server.url(), i, i.data / "admin.key"));
  INFO(refused.out << refused.err);
  CHECK(refused.rc != 0);
  CHECK(refused.err.find("503") != std::string::npos);
  CHECK(refused.err.find("DAMAGED LEDGER") != std::string::npos);
  CHECK(refused.err.find("leaf 1: its stored bytes do not hash") != std::string::npos);
  CHECK(refused.err.find("lontar-server scrub --data") != std::string::npos);
  CHECK(refused.err.find("restore") != std::string::npos);
  CHECK(take(c.get("/checkpoint"), "checkpoint").body == checkpoint);
  auto after = take(c.get("/metrics"), "metrics").body;
  CHECK(metric(after, "lontar_tree_size") == metric(alarmed, "lontar_tree_size"));
  CHECK(metric(after, "lontar_integrations_total") == metric(alarmed, "lontar_integrations_total"));
  // Reads are still served (an auditor can still fetch what it needs to compare).
  CHECK(take(c.get("/healthz"), "healthz").status == 200);

  CHECK(server.stop(SIGTERM) == 0);
  const std::string log = server.log();
  CHECK(occurrences(log, "ALARM") == 1);  // once, not every pass
  CHECK(log.find("leaf 1: its stored bytes do not hash") != std::string::npos);
}

TEST_CASE("a tree read back after a rolled-back group that is not the signed one stops signing (fault injection)") {
  TempDir tmp;
  auto i = init(tmp);
  set_scrub_rate(i, 0);  // the integrator's own check, not the scrub's
  const auto pin = take(note::Verifier::parse(i.verifier_key), "v").public_key();
  auto admin = take(crypto::PrivateKey::load_pem(i.data / "admin.key"), "admin");
  // The server's first write fails as on a full disk: its first group is rolled back.
  ::setenv("LONTAR_FAIL_WRITE_AFTER", "1", 1);
  Server server(tmp, i.config);
  ::unsetenv("LONTAR_FAIL_WRITE_AFTER");
  auto c = client_for(server.url(), admin, pin);
  const std::string checkpoint = take(c.get("/checkpoint"), "checkpoint").body;
  auto office_add = [&](const std::string& id) {
    return run(tmp, admin_args({"office", "add", "--id", id, "--name", "Kantor " + id, "--key",
                                to_hex(take(crypto::PrivateKey::generate(), "k").public_key())},
                               server.url(), i, i.data / "admin.key"));
  };

  // The right edge's hash tile changes on disk while the in-memory tree still holds the
  // good one; then a group fails and the tree is read back from the store.
  flip_byte(i.data / "ledger.db", "SELECT hashes FROM log_tiles WHERE level = 0 AND idx = 0",
            "UPDATE log_tiles SET hashes = ?1 WHERE level = 0 AND idx = 0");
  auto failed = office_add("SBY-RUNGKUT");
  INFO(failed.out << failed.err);
  CHECK(failed.rc != 0);
  CHECK(failed.err.find("(injected)") != std::string::npos);

  // The next group finds the tree read back is not the signed one: signing stops.
  auto refused = office_add("SBY-DARMO");
  INFO(refused.out << refused.err);
  CHECK(refused.rc != 0);
  CHECK(refused.err.find("503") != std::string::npos);
  CHECK(refused.err.find("stopped signing") != std::string::npos);
  CHECK(refused.err.find("integrator invariant broken") != std::string::npos);
  CHECK(refused.err.find("cannot read the log") == std::string::npos);
  CHECK(refused.err.find("lontar-server scrub --data") != std::string::npos);
  auto again = office_add("SBY-TEGAL");
  CHECK(again.rc != 0);
  CHECK(again.err.find("stopped signing") != std::string::npos);

  auto m = take(c.get("/metrics"), "metrics").body;
  INFO(m);
  CHECK(metric(m, "lontar_integrator_invariant_broken") == 1);
  CHECK(metric(m, "lontar_signing_stopped") == 1);
  CHECK(metric(m, "lontar_scrub_damage") == 0);
  CHECK(metric(m, "lontar_scrub_leaves_per_second") == 0);
  CHECK(take(c.get("/checkpoint"), "checkpoint").body == checkpoint);

  CHECK(server.stop(SIGTERM) == 0);
  CHECK(occurrences(server.log(), "ALARM") == 1);
  // The standalone scrub names the damage the integrator ran into.
  auto scrubbed = run(tmp, {"scrub", "--data", i.data.string()});
  INFO(scrubbed.out);
  CHECK(scrubbed.rc == 5);
  CHECK(scrubbed.out.find("DAMAGED") != std::string::npos);
  CHECK(scrubbed.out.find("tile/0/000.p/3") != std::string::npos);
}

}  // namespace lontar::test
