// agent_process.hpp — running the real lontar-agent binary from tests.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "chain/chain.hpp"
#include "domain/domain.hpp"
#include "store/db.hpp"
#include "support/temp_dir.hpp"

namespace lontar::test {

struct Run {
  int rc = -1;  // exit code; -1 when killed by a signal
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One office in a fresh temp dir, and helpers to run the agent against it.
class Agent {
 public:
  Agent() : data_(dir_.file("data")) {}
  const TempDir& dir() const { return dir_; }
  const std::string& data() const { return data_; }
  std::map<std::string, std::string>& env() { return env_; }

  // Starts the agent with `args` (after --data); stdout/stderr go to files named by `tag`.
  pid_t spawn(const std::vector<std::string>& args, const std::string& tag = "run") const {
    std::vector<std::string> full = {LONTAR_AGENT_BINARY, "--data", data_};
    full.insert(full.end(), args.begin(), args.end());
    const std::string out = dir_.file(tag + ".out"), err = dir_.file(tag + ".err");
    pid_t pid = ::fork();
    if (pid == 0) {
      int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(o, 1);
      ::dup2(e, 2);
      ::setenv("LONTAR_OPERATOR", "test-clerk", 1);
      for (const auto& [k, v] : env_) ::setenv(k.c_str(), v.c_str(), 1);
      std::vector<char*> argv;
      for (auto& a : full) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    return pid;
  }

  Run wait(pid_t pid, const std::string& tag = "run") const {
    int status = 0;
    ::waitpid(pid, &status, 0);
    Run r;
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(dir_.file(tag + ".out"));
    r.err = slurp(dir_.file(tag + ".err"));
    return r;
  }

  Run run(const std::vector<std::string>& args, const std::string& tag = "run") const {
    return wait(spawn(args, tag), tag);
  }

  Run init(const std::string& office = "SBY-RUNGKUT") const {
    return run({"init", "--office", office, "--name", "Surabaya Rungkut"});
  }

  // Enrollment arguments for a valid person numbered `i` (1..9999).
  static std::vector<std::string> enroll_args(int i) {
    return {"enroll",       "--nik",      nik(i),         "--name", "Peserta " + std::to_string(i),
            "--birth-date", "1980-01-01", "--occupation", "TAGANA", "--coverage-start",
            "2018-05-14"};
  }
  static std::string nik(int i) {
    auto n = domain::make_nik("3578", "01", domain::Date{1980, 1, 1}, domain::Sex::male, static_cast<std::uint16_t>(i));
    return n.ok() ? n->str() : "bad";
  }

  // A read-only count from agent.db.
  std::int64_t count(const std::string& sql) const {
    auto db = store::Db::open(data_ + "/agent.db", store::OpenOptions{false, true});
    if (!db.ok()) return -1;
    auto v = (*db)->query_int(sql);
    return v.ok() && *v ? **v : -1;
  }

 private:
  TempDir dir_;
  std::string data_;
  std::map<std::string, std::string> env_;
};

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace lontar::test
