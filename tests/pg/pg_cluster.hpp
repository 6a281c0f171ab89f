// pg_cluster.hpp — a throw-away PostgreSQL 15 cluster for the tests (tests/pg).
//
// One cluster per test program (Cluster::shared()), started on first use: initdb and
// pg_ctl from /usr/lib/postgresql/15/bin (Debian's `postgresql` package) in a temporary
// folder, listening on a Unix socket in that folder only (no TCP: listen_addresses = ''),
// under a free port number (which names the socket). PostgreSQL refuses to run as root,
// so when the tests run as root (CI) the cluster runs as the `postgres` user (runuser),
// owning the folder.
//
// Always stopped: a watchdog process, forked before the cluster starts, waits for the test
// program to end — normally, by an exception, by abort or by a signal — and then stops the
// cluster (pg_ctl stop -m immediate) and removes the folder.
//
// available() is false, with why(), only when the PostgreSQL binaries are missing; the
// test program then says so and exits 77 (CTest's "skipped"). Every other failure to
// start is a test failure.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace lontar::test::pg {

inline const std::filesystem::path bin_dir = "/usr/lib/postgresql/15/bin";

// Empty when initdb and pg_ctl are there; else what is missing and how to get it.
inline std::string missing_binaries() {
  for (const char* tool : {"initdb", "pg_ctl", "postgres"}) {
    if (::access((bin_dir / tool).c_str(), X_OK) != 0) {
      return (bin_dir / tool).string() + " is missing: install Debian's postgresql package (packaging/install-deps.sh)";
    }
  }
  return {};
}

class Cluster {
 public:
  // How the program's cluster runs; set before the first shared(). The tests keep the
  // defaults (Unix socket only, fsync off); the benchmark (bench/pg_bench.cpp) measures a
  // durable cluster reached over TCP on 127.0.0.1.
  struct Options {
    bool loopback_tcp = false;  // also listen on 127.0.0.1:port(); url() then uses it
    bool durable = false;       // fsync and full_page_writes on, as in production
  };
  static Options& options() {
    static Options o;
    return o;
  }

  // The program's one cluster, started on first use (throws when it cannot start).
  static Cluster& shared() {
    static Cluster cluster;
    return cluster;
  }

  // A new empty database, and its libpq URI (Unix socket in the cluster's folder).
  std::string create_database(const std::string& name) {
    run({"psql", "-h", dir_.string(), "-p", std::to_string(port_), "-U", "postgres", "-d", "postgres", "-q", "-v",
         "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \"" + name + "\""});
    return url(name);
  }
  std::string url(const std::string& database) const {
    const std::string host = options().loopback_tcp ? std::string("127.0.0.1") : dir_.string();
    return "postgresql:///" + database + "?host=" + host + "&port=" + std::to_string(port_) + "&user=postgres";
  }
  // Runs SQL in `database` through psql; returns what it printed (unaligned, tuples only).
  std::string sql(const std::string& database, const std::string& statement) {
    return run({"psql", "-h", dir_.string(), "-p", std::to_string(port_), "-U", "postgres", "-d", database, "-q", "-A",
                "-t", "-v", "ON_ERROR_STOP=1", "-c", statement});
  }
  // PostgreSQL itself stopped (fast: connections cut) and started again on the same socket.
  void stop() { run({"pg_ctl", "-D", (dir_ / "data").string(), "-m", "fast", "-w", "stop"}); }
  void start() {
    run({"pg_ctl", "-D", (dir_ / "data").string(), "-w", "-t", "60", "-l", (dir_ / "postgres.log").string(), "-o",
         "-k " + dir_.string() + " -p " + std::to_string(port_) +
             (options().loopback_tcp ? " -c listen_addresses=127.0.0.1" : " -c listen_addresses=''") +
             (options().durable ? "" : " -c fsync=off -c full_page_writes=off") + " -c max_connections=200",
         "start"});
  }
  std::string log() const { return slurp(dir_ / "postgres.log"); }
  unsigned port() const { return port_; }

  ~Cluster() {
    // Closing the pipe tells the watchdog to stop the cluster; wait until it has.
    if (watchdog_pipe_ >= 0) ::close(watchdog_pipe_);
    if (watchdog_ > 0) ::waitpid(watchdog_, nullptr, 0);
  }

 private:
  Cluster() {
    char tmpl[] = "/tmp/lontar-pg-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr) throw std::runtime_error("running as root and there is no postgres user to run PostgreSQL");
      as_user_ = "postgres";
      if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown " + dir_.string());
    }
    port_ = free_port();
    start_watchdog();
    run({"initdb", "-D", (dir_ / "data").string(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
         "--no-sync", "--no-instructions"});
    start();
  }

  // A TCP port nothing listens on now (the number names the Unix socket only).
  static unsigned free_port() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof a;
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n) != 0) {
      ::close(s);
      throw std::runtime_error("no free port");
    }
    ::close(s);
    return ntohs(a.sin_port);
  }

  std::vector<std::string> command(const std::vector<std::string>& args) const {
    std::vector<std::string> argv;
    if (!as_user_.empty()) argv = {"/usr/sbin/runuser", "-u", as_user_, "--"};
    argv.push_back((bin_dir / args[0]).string());
    argv.insert(argv.end(), args.begin() + 1, args.end());
    return argv;
  }

  // Runs a PostgreSQL tool; throws with what it printed when it fails.
  std::string run(const std::vector<std::string>& args) {
    static int n = 0;
    const auto out = dir_.parent_path() / (dir_.filename().string() + "-cmd" + std::to_string(++n));
    Spawn how(out.string() + ".out", out.string() + ".err");
    const Run r = run_process(command(args), how);
    std::filesystem::remove(out.string() + ".out");
    std::filesystem::remove(out.string() + ".err");
    if (r.rc != 0) throw std::runtime_error(args[0] + " failed (exit " + std::to_string(r.rc) + "): " + r.err + r.out);
    return r.out;
  }

  // Forks the process that stops the cluster once this program ends, however it ends.
  void start_watchdog() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    const auto stop_argv = command({"pg_ctl", "-D", (dir_ / "data").string(), "-m", "immediate", "-w", "stop"});
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::close(fds[1]);
      // Out of the test program's process group: a signal to the group leaves the watchdog to clean up.
      ::setsid();
      char c;
      while (::read(fds[0], &c, 1) != 0) {
      }
      const int devnull = ::open("/dev/null", O_RDWR);
      if (::fork() == 0) {
        ::dup2(devnull, 1);
        ::dup2(devnull, 2);
        std::vector<char*> argv;
        for (const auto& a : stop_argv) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
      }
      ::wait(nullptr);
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
      ::_exit(0);
    }
    ::close(fds[0]);
    watchdog_pipe_ = fds[1];
    watchdog_ = pid;
  }

  std::filesystem::path dir_;
  std::string as_user_;
  unsigned port_ = 0;
  pid_t watchdog_ = -1;
  int watchdog_pipe_ = -1;
};

}  // namespace lontar::test::pg
