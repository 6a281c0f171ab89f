// https_test.cpp — lontar-audit verify --server: the real binary over mutual TLS on
// loopback, against the real HTTPS front (server/http) serving a test ledger.
#include <doctest/doctest.h>

#include <spdlog/spdlog.h>
#include <filesystem>
#include <fstream>

#include "ledger.hpp"
#include "net/tls.hpp"
#include "run.hpp"
#include "server/http/http_server.hpp"
#include "support/temp_dir.hpp"

namespace lontar::test {
namespace {

namespace fs = std::filesystem;

// A LogService that serves a log directory's checkpoint and tiles to one auditor.
class DirService final : public server::LogService {
 public:
  DirService(fs::path dir, const crypto::PublicKey& auditor) : dir_(std::move(dir)), auditor_(auditor) {}

  Result<std::optional<server::Caller>> authenticate(const crypto::PublicKey& key) override {
    if (key != auditor_) return std::optional<server::Caller>();
    return std::optional<server::Caller>(server::Caller{"AUDITOR", domain::Role::auditor, key, ""});
  }
  Result<protocol::PushResponse> push(const server::Caller&, chain::Batch) override { return unsupported(); }
  Result<std::pair<std::uint64_t, Hash>> head(std::string_view) override { return unsupported(); }
  Result<protocol::FeedPage> feed(const server::Caller&, std::uint64_t, std::size_t) override { return unsupported(); }
  Result<protocol::Proof> inclusion_proof(std::uint64_t, std::uint64_t) override { return unsupported(); }
  Result<protocol::Proof> consistency_proof(std::uint64_t, std::uint64_t) override { return unsupported(); }
  std::string checkpoint() override { return read(dir_ / "checkpoint"); }
  Result<Bytes> tile(std::string_view path) override {
    fs::path file = dir_ / std::string(path);
    if (!fs::exists(file)) return Error{Code::not_found, "no such tile"};
    std::string bytes = read(file);
    return Bytes(bytes.begin(), bytes.end());
  }
  server::Metrics metrics() override { return {}; }

 private:
  static Error unsupported() { return Error{Code::internal, "not served in this test"}; }
  static std::string read(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  fs::path dir_;
  crypto::PublicKey auditor_;
};

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST_CASE("verify --server audits over mutual TLS with a pinned server key; a wrong pin cannot run") {
  TempDir tmp;
  LedgerBuilder b;
  Principal& office = b.add_office("SBY-RUNGKUT");
  for (int k = 0; k < 3; ++k) {
    std::vector<domain::Payload> p;
    for (int i = 0; i < 100; ++i) p.push_back(enroll(k * 100 + i));
    b.push(office, p);
  }
  write_log(tmp.file("log"), b.encoded(), b.log_key(), LedgerBuilder::origin);

  auto server_key = crypto::PrivateKey::generate();
  auto auditor_key = crypto::PrivateKey::generate();
  REQUIRE(server_key.ok());
  REQUIRE(auditor_key.ok());
  auto auditor_id = net::self_signed_identity(*auditor_key, "AUDITOR");
  REQUIRE(auditor_id.ok());
  write_file(tmp.file("auditor.crt"), auditor_id->certificate_chain_pem);
  write_file(tmp.file("auditor.key"), auditor_id->private_key_pem);

  spdlog::set_level(spdlog::level::warn);  // the server's access log is not this test's output
  DirService service(tmp.file("log"), auditor_key->public_key());
  server::http::HttpServerConfig config;
  config.http.port = 0;
  config.http.io_threads = 1;
  config.http.worker_threads = 2;
  auto identity = net::self_signed_identity(*server_key, "localhost", {"127.0.0.1"});
  REQUIRE(identity.ok());
  config.identity = *identity;
  auto server = server::http::HttpServer::start(service, config);
  REQUIRE(server.ok());

  std::string url = "https://127.0.0.1:" + std::to_string((*server)->port());
  std::string args = "verify --server " + url + " --key '" + b.verifier_key() + "' --cert " + tmp.file("auditor.crt") +
                     " --key-file " + tmp.file("auditor.key") + " --state " + tmp.file("state");
  Run ok = audit(args + " --server-key " + to_hex(server_key->public_key()));
  INFO(ok.output);
  CHECK(ok.exit_code == 0);
  CHECK(ok.output.find("PASS: log lontar.test/log at size " + std::to_string(b.leaves().size())) != std::string::npos);

  Run pinned_wrong = audit(args + " --server-key " + to_hex(auditor_key->public_key()));
  INFO(pinned_wrong.output);
  CHECK(pinned_wrong.exit_code == 2);
  CHECK(pinned_wrong.output.find("reading the checkpoint from " + url) != std::string::npos);
  (*server)->stop();
}

}  // namespace
}  // namespace lontar::test
