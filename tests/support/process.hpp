// process.hpp — running the real Lontar binaries from tests: one way to spawn a
// child with argv, capture what it printed, and read how it ended; and a
// long-running server that is ready once it prints its "listening on" line.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lontar::test {

// How a child ended: `rc` is its exit code, or 128 + the signal that killed it
// (as a shell reports it); `out` and `err` are everything it printed.
struct Run {
  int rc = -1;
  std::string out, err;
};

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// The exit code of a waitpid status, or 128 + the signal.
inline int exit_status(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

// Where a child's output goes and what it sees besides the parent's environment.
struct Spawn {
  Spawn() = default;
  Spawn(std::filesystem::path out_file, std::filesystem::path err_file,
        std::map<std::string, std::string> child_env = {})
      : out(std::move(out_file)), err(std::move(err_file)), env(std::move(child_env)) {}

  std::filesystem::path out, err;          // created or truncated; err is appended to if `append_err`
  std::map<std::string, std::string> env;  // set in the child only
  bool append_err = false;
  int stdout_fd = -1;  // instead of `out`: a pipe end to write to
};

// Starts `argv[0]` with `argv` (argv[0] is a path, not looked up in PATH). Returns
// the child's pid, or -1 when fork fails. A child that cannot exec exits 127.
inline pid_t spawn(const std::vector<std::string>& argv, const Spawn& how) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  int o = how.stdout_fd >= 0 ? how.stdout_fd : ::open(how.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int e = ::open(how.err.c_str(), O_WRONLY | O_CREAT | (how.append_err ? O_APPEND : O_TRUNC), 0600);
  if (o < 0 || e < 0) ::_exit(126);
  ::dup2(o, 1);
  ::dup2(e, 2);
  for (const auto& [k, v] : how.env) ::setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

// Waits for `pid` and reads the files it printed to.
inline Run wait_for(pid_t pid, const Spawn& how) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return Run{exit_status(status), slurp(how.out), slurp(how.err)};
}

// Runs `argv` to its end.
inline Run run_process(const std::vector<std::string>& argv, const Spawn& how) {
  const pid_t pid = spawn(argv, how);
  if (pid < 0) return Run{-1, "", "fork failed"};
  return wait_for(pid, how);
}

// A server process (`lontar-server run ...`): ready when it has printed its first
// stdout line ("listening on https://HOST:PORT"); stopped by a signal.
class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess() {
    if (pid_ > 0) stop(SIGKILL);
  }

  // Starts `argv` with stderr appended to `log`, and waits for its first line.
  // Returns false when it could not start; line() says what it printed, log() why.
  bool start(const std::vector<std::string>& argv, const std::filesystem::path& log) {
    log_ = log;
    line_.clear();
    int fds[2];
    if (::pipe(fds) != 0) return false;
    Spawn how;
    how.err = log;
    how.append_err = true;
    how.stdout_fd = fds[1];
    pid_ = spawn(argv, how);
    ::close(fds[1]);
    if (pid_ < 0) {
      ::close(fds[0]);
      return false;
    }
    char c;
    while (::read(fds[0], &c, 1) == 1 && c != '\n') line_ += c;
    ::close(fds[0]);
    return listening();
  }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  bool listening() const { return line_.rfind("listening on https://", 0) == 0; }
  const std::string& line() const { return line_; }
  // "https://HOST:PORT" from the first line.
  std::string url() const { return listening() ? line_.substr(std::string_view("listening on ").size()) : ""; }
  unsigned port() const {
    const auto u = url();
    return u.empty() ? 0 : static_cast<unsigned>(std::stoul(u.substr(u.rfind(':') + 1)));
  }
  std::string log() const { return slurp(log_); }

  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  // Sends `sig` and waits; returns the exit status (see Run::rc), -1 if not running.
  int stop(int sig = SIGTERM) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    return wait();
  }
  // Waits for a server that exits on its own (a refusal at startup).
  int wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return exit_status(status);
  }

 private:
  pid_t pid_ = -1;
  std::string line_;
  std::filesystem::path log_;
};

}  // namespace lontar::test
