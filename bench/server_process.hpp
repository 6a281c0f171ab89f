// server_process.hpp — what the server benchmarks (ingest_bench, pg_bench) share: the real
// `lontar-server run` as a child process, commands run to completion, server.toml edits, and
// offices that push through net::Client with batches encoded and sealed beforehand.
//
// A benchmark that fails partway (bench::die, from any thread) exits through std::exit: every
// `lontar-server` child still running is then killed (SIGKILL) and reaped, so that a failed
// run leaves no server behind holding its port, its data folder or the machine's CPU.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/crypto.hpp"
#include "crypto/x509.hpp"
#include "encoding/encoding.hpp"
#include "limits.hpp"
#include "net/client.hpp"
#include "server/log_fixture.hpp"

namespace lontar::bench {

// ---------------------------------------------------------------- children killed on exit

namespace detail {
struct Children {
  std::mutex mu;
  std::vector<pid_t> pids;
};
inline Children& children() {
  static Children* c = new Children;  // never destroyed: used by the atexit handler
  return *c;
}
inline void kill_children() {
  Children& c = children();
  std::vector<pid_t> pids;
  {
    std::lock_guard lock(c.mu);
    pids.swap(c.pids);
  }
  for (pid_t pid : pids) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
}
inline void adopt_child(pid_t pid) {
  static const bool registered = [] { return std::atexit(kill_children) == 0; }();
  (void)registered;
  std::lock_guard lock(children().mu);
  children().pids.push_back(pid);
}
inline void forget_child(pid_t pid) {
  std::lock_guard lock(children().mu);
  auto& v = children().pids;
  v.erase(std::remove(v.begin(), v.end(), pid), v.end());
}
}  // namespace detail

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  return std::string((std::istreambuf_iterator<char>(f)), {});
}

// ---------------------------------------------------------------- the server process

// `lontar-server run --config DATA/server.toml`: started, its URL read from its first line
// ("listening on https://..."), its stderr appended to `log`.
struct ServerProcess {
  pid_t pid = -1;
  std::string url;
  std::filesystem::path data, log;

  void start(const std::string& binary) {
    int fds[2];
    if (::pipe(fds) != 0) die("pipe");
    const std::string config = (data / "server.toml").string();
    pid = ::fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      ::close(fds[0]);
      ::dup2(fds[1], 1);
      int e = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(e, 2);
      ::execl(binary.c_str(), binary.c_str(), "run", "--config", config.c_str(), nullptr);
      ::_exit(127);
    }
    detail::adopt_child(pid);
    ::close(fds[1]);
    std::string line;
    char c;
    while (::read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(fds[0]);
    if (line.rfind("listening on https://", 0) != 0) die("lontar-server run did not start; see " + log.string());
    url = line.substr(std::string("listening on ").size());
  }
  void stop(int sig = SIGTERM) {
    if (pid < 0) return;
    ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    detail::forget_child(pid);
    pid = -1;
  }

  // User + system CPU seconds of the server process, from /proc.
  double cpu_seconds() const { return stat_cpu_seconds(fmt::format("/proc/{}/stat", pid)); }
  static double stat_cpu_seconds(const std::filesystem::path& stat) {
    std::string s = slurp(stat);
    auto p = s.rfind(')');
    if (p == std::string::npos) return 0;
    std::istringstream in(s.substr(p + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  // CPU seconds of the server's thread named `name` (server/log names its threads).
  double thread_cpu_seconds(std::string_view name) const {
    for (const auto& t : std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid))) {
      std::ifstream c(t.path() / "comm");
      std::string comm;
      std::getline(c, comm);
      if (comm == name) return stat_cpu_seconds(t.path() / "stat");
    }
    return 0;
  }
  // A "Key:" line of /proc/PID/status, in KiB (-1 when absent).
  long status_kib(std::string_view key) const {
    std::ifstream f(fmt::format("/proc/{}/status", pid));
    for (std::string line; std::getline(f, line);) {
      if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + key.size() + 1);
    }
    return -1;
  }
};

// Runs `args` (args[0] a path) to completion with stdout and stderr in `out`; its output,
// or die() with it when it fails.
inline std::string run_command(const std::vector<std::string>& args, const std::filesystem::path& out) {
  pid_t pid = ::fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(o, 1);
    ::dup2(o, 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::string text = slurp(out);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die(args[1] + " failed: " + text);
  return text;
}

// Sets `key = value` (the first such line) in a server.toml.
inline void set_config(const std::filesystem::path& config, std::string_view key, const std::string& value) {
  std::string text = require(crypto::read_file(config), "server.toml");
  auto p = text.find(std::string(key) + " = ");
  if (p == std::string::npos) die(fmt::format("no {} in server.toml", key));
  text.replace(p, text.find('\n', p) - p, std::string(key) + " = " + value);
  require(crypto::write_file_atomic(config, text), "server.toml");
}

// ---------------------------------------------------------------- offices

struct BenchOffice {
  test::ChainWriter writer;
  net::Identity identity;
};

// enrollment(n) of distinct people across all runs of one benchmark.
inline unsigned& next_person() {
  static unsigned n = 1'000'000;
  return n;
}

// `per_office` enrollments in pushes of `batch`, encoded and sealed (client work, untimed); their
// leaf bytes (as the log stores them, verdict aside) appended to `leaves` when given.
inline std::vector<Bytes> make_bodies(BenchOffice& o, std::size_t per_office, std::size_t batch,
                                      std::vector<Bytes>* leaves = nullptr) {
  std::vector<Bytes> bodies;
  for (std::size_t done = 0; done < per_office; done += batch) {
    std::vector<domain::Payload> payloads;
    for (std::size_t k = 0; k < std::min(batch, per_office - done); ++k)
      payloads.emplace_back(test::enrollment(next_person()++));
    chain::Batch b = o.writer.batch(payloads);
    if (leaves != nullptr) {
      for (auto& e : b.entries) leaves->push_back(require(encoding::encode(chain::entry_leaf(e, {})), "leaf"));
    }
    bodies.push_back(require(encoding::encode(b), "batch"));
  }
  return bodies;
}

// A client of `url` as office `o`, pinning the server's key; its TLS handshake done before timing.
inline net::Client connect(const std::string& url, const BenchOffice& o, const crypto::PublicKey& server_key) {
  net::ClientConfig cc;
  cc.url = url;
  cc.identity = o.identity;
  cc.trust.pinned_key = server_key;
  auto c = require(net::Client::create(std::move(cc)), "client");
  require(c.call("GET", "/healthz"), "healthz");
  return c;
}

}  // namespace lontar::bench
