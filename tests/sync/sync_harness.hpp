// sync_harness.hpp — a real lontar-server and real lontar-agent processes on loopback.
#pragma once

#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "agent/agent_process.hpp"
#include "crypto/x509.hpp"
#include "net/client.hpp"
#include "note/note.hpp"

namespace lontar::test {

// Polls `done` every 5 ms for at most `limit` (a hang guard, not a timed assertion).
template <class F>
bool eventually(F done, std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

// lontar-server: init once, then run/stop/kill as often as a test needs.
class Server {
 public:
  // `init_extra`: more arguments for init (e.g. --store postgresql://...).
  explicit Server(std::string origin = "lontar.test/jatim", const std::vector<std::string>& init_extra = {})
      : data_(dir_.path() / "data") {
    std::vector<std::string> init = {"init", "--data", data_.string(), "--origin", origin};
    init.insert(init.end(), init_extra.begin(), init_extra.end());
    auto r = server(init);
    INFO(r.err);
    REQUIRE(r.rc == 0);
    auto at = r.out.find(origin + "+");
    REQUIRE(at != std::string::npos);
    verifier_key_ = r.out.substr(at, r.out.find('\n', at) - at);
    set_port(0);
  }
  // A second server process on `first`'s ledger (kept in PostgreSQL): a copy of its data
  // folder (same keys, same [store] url), on a port of its own.
  struct SameLedger {};
  Server(const Server& first, SameLedger) : data_(dir_.path() / "data"), verifier_key_(first.verifier_key_) {
    std::filesystem::copy(first.data_, data_, std::filesystem::copy_options::recursive);
    for (const char* f : {"server.lock", "server.port", "published.checkpoint"}) std::filesystem::remove(data_ / f);
    const auto config = data_ / "server.toml";
    std::string text = slurp(config.string());
    const auto p = text.find("data = ");
    REQUIRE(p != std::string::npos);
    text.replace(p, text.find('\n', p) - p, "data = \"" + data_.string() + "\"");
    REQUIRE(crypto::write_file_atomic(config, text).ok());
    set_port(0);
  }
  ~Server() { kill(); }

  // Rewrites server.toml's port (0: any free port).
  void set_port(unsigned port) {
    const auto config = data_ / "server.toml";
    std::string text = slurp(config.string());
    auto p = text.find("port = ");
    REQUIRE(p != std::string::npos);
    text.replace(p, text.find('\n', p) - p, "port = " + std::to_string(port));
    REQUIRE(crypto::write_file_atomic(config, text).ok());
  }

  void start() {
    REQUIRE(!process_.running());
    const auto log = dir_.path() / "server.log", config = data_ / "server.toml";
    const bool up = process_.start({LONTAR_SERVER_BINARY, "run", "--config", config.string()}, log);
    INFO("server log: " << process_.log());
    REQUIRE(up);
    url_ = process_.url();
    port_ = process_.port();
    set_port(port_);  // restarts keep the URL the offices were given
  }
  int stop(int sig = SIGTERM) { return process_.stop(sig); }
  void kill() { stop(SIGKILL); }

  // Copies the ledger store (ledger.db and its WAL) and the server's own rollback
  // guard (published.checkpoint) to/from `to` (server stopped). Swapping both models
  // a server whose whole state was replaced by an older or forked copy — a rollback
  // the server itself cannot notice, so the offices must.
  static bool store_file(const std::filesystem::path& p) {
    auto name = p.filename().string();
    return name.rfind("ledger.db", 0) == 0 || name == "published.checkpoint";
  }
  void save_store(const std::filesystem::path& to) const {
    std::filesystem::create_directories(to);
    for (const auto& f : std::filesystem::directory_iterator(data_)) {
      if (store_file(f.path())) {
        std::filesystem::copy_file(f.path(), to / f.path().filename(),
                                   std::filesystem::copy_options::overwrite_existing);
      }
    }
  }
  void restore_store(const std::filesystem::path& from) const {
    for (const auto& f : std::filesystem::directory_iterator(data_)) {
      if (store_file(f.path())) std::filesystem::remove(f.path());
    }
    for (const auto& f : std::filesystem::directory_iterator(from)) {
      std::filesystem::copy_file(f.path(), data_ / f.path().filename());
    }
  }

  Run server(const std::vector<std::string>& args) const {
    std::vector<std::string> full = {LONTAR_SERVER_BINARY};
    full.insert(full.end(), args.begin(), args.end());
    static int n = 0;
    ++n;
    return run_process(
        full, Spawn{dir_.file("cmd" + std::to_string(n) + ".out"), dir_.file("cmd" + std::to_string(n) + ".err")});
  }
  // An admin command against the running server.
  Run admin(std::vector<std::string> args) const {
    args.insert(args.end(),
                {"--server", url_, "--server-key", verifier_key_, "--admin-key", (data_ / "admin.key").string()});
    return server(args);
  }
  void add_office(const std::string& id, const std::string& key_hex) const {
    auto r = admin({"office", "add", "--id", id, "--name", "Kantor " + id, "--key", key_hex});
    INFO(r.out << r.err);
    REQUIRE(r.rc == 0);
  }
  // Registers one more key for an office (a new laptop).
  void add_key(const std::string& id, const std::string& key_hex) const {
    auto r = admin({"office", "add-key", "--id", id, "--key", key_hex});
    INFO(r.out << r.err);
    REQUIRE(r.rc == 0);
  }

  const std::string& url() const { return url_; }
  unsigned port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  std::string log() const { return process_.log(); }
  const std::string& verifier_key() const { return verifier_key_; }
  const TempDir& dir() const { return dir_; }
  const std::filesystem::path& data() const { return data_; }

 private:
  TempDir dir_;
  std::filesystem::path data_;
  std::string verifier_key_;
  std::string url_;
  unsigned port_ = 0;
  ServerProcess process_;
};

// The 64 hex digits after "public key:" in what `init` or `recover` printed.
inline std::string public_key_in(const std::string& out) {
  auto at = out.find("public key:");
  REQUIRE(at != std::string::npos);
  at = out.find_first_not_of(' ', at + 11);
  return out.substr(at, 64);
}

// An office agent initialised against `server`, registered there.
struct Office {
  Agent agent;
  std::string id;
  std::string key_hex;

  Office(Server& server, const std::string& office_id) : id(office_id) {
    auto r = agent.run({"init", "--office", id, "--name", "Kantor " + id, "--server", server.url(), "--server-key",
                        server.verifier_key()});
    INFO(r.err);
    REQUIRE(r.rc == 0);
    key_hex = public_key_in(r.out);
    server.add_office(id, key_hex);
  }
  Run sync(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args = {"sync"};
    args.insert(args.end(), extra.begin(), extra.end());
    return agent.run(args, "sync");
  }
  Run enroll(int i) const { return agent.run(Agent::enroll_args(i), "enroll"); }

  // A client speaking as this office (for hand-made pushes).
  net::Client client(const Server& server) const {
    net::ClientConfig cc;
    cc.url = server.url();
    auto v = note::Verifier::parse(server.verifier_key());
    REQUIRE(v.ok());
    cc.trust.pinned_key = v->public_key();
    auto identity = net::load_identity(agent.data() + "/office-cert.pem", agent.data() + "/office-key.pem");
    REQUIRE(identity.ok());
    cc.identity = *identity;
    auto c = net::Client::create(std::move(cc));
    REQUIRE(c.ok());
    return std::move(*c);
  }
};

// Generates a partner CSV in the agent's folder with `generate_args` and imports it.
inline std::string import_list(const Agent& agent, const std::vector<std::string>& generate_args) {
  const std::string csv = agent.dir().file("list.csv");
  std::vector<std::string> args = {"generate-partner-csv", "--out", csv};
  args.insert(args.end(), generate_args.begin(), generate_args.end());
  REQUIRE(agent.run(args).rc == 0);
  auto r = agent.run({"import", csv});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  return csv;
}

}  // namespace lontar::test
