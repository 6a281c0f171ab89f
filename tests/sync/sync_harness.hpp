// sync_harness.hpp — a real lontar-server and real lontar-agent processes on loopback.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "agent/agent_process.hpp"
#include "crypto/x509.hpp"
#include "net/client.hpp"
#include "note/note.hpp"

namespace lontar::test {

inline Run run_process(const std::vector<std::string>& args, const std::string& out, const std::string& err) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(o, 1);
    ::dup2(e, 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Run r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

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
  explicit Server(std::string origin = "lontar.test/jatim") : data_(dir_.path() / "data") {
    auto r = server({"init", "--data", data_.string(), "--origin", origin});
    INFO(r.err);
    REQUIRE(r.rc == 0);
    auto at = r.out.find(origin + "+");
    REQUIRE(at != std::string::npos);
    verifier_key_ = r.out.substr(at, r.out.find('\n', at) - at);
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
    REQUIRE(pid_ < 0);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const std::string log = (dir_.path() / "server.log").string(), config = (data_ / "server.toml").string();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::close(fds[0]);
      ::dup2(fds[1], 1);
      int e = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(e, 2);
      ::execl(LONTAR_SERVER_BINARY, LONTAR_SERVER_BINARY, "run", "--config", config.c_str(), nullptr);
      ::_exit(127);
    }
    ::close(fds[1]);
    std::string line;
    char c;
    while (::read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(fds[0]);
    INFO("server log: " << slurp(log));
    REQUIRE(line.rfind("listening on https://", 0) == 0);
    url_ = line.substr(std::string("listening on ").size());
    port_ = static_cast<unsigned>(std::stoul(url_.substr(url_.rfind(':') + 1)));
    set_port(port_);  // restarts keep the URL the offices were given
  }
  int stop(int sig = SIGTERM) {
    if (pid_ < 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
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
    return run_process(full, dir_.file("cmd" + std::to_string(n) + ".out"),
                       dir_.file("cmd" + std::to_string(n) + ".err"));
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

  const std::string& url() const { return url_; }
  unsigned port() const { return port_; }
  const std::string& verifier_key() const { return verifier_key_; }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  std::filesystem::path data_;
  std::string verifier_key_;
  std::string url_;
  unsigned port_ = 0;
  pid_t pid_ = -1;
};

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
    auto at = r.out.find("public key:");
    REQUIRE(at != std::string::npos);
    at = r.out.find_first_not_of(' ', at + 11);
    key_hex = r.out.substr(at, 64);
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

}  // namespace lontar::test
