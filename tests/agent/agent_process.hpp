// agent_process.hpp — running the real lontar-agent binary from tests.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "chain/chain.hpp"
#include "domain/domain.hpp"
#include "store/db.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace lontar::test {

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
    return test::spawn(full, how(tag));
  }

  Run wait(pid_t pid, const std::string& tag = "run") const { return wait_for(pid, how(tag)); }

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
  Spawn how(const std::string& tag) const {
    Spawn h{dir_.file(tag + ".out"), dir_.file(tag + ".err"), env_};
    h.env.emplace("LONTAR_OPERATOR", "test-clerk");  // unless the test set its own
    return h;
  }

  TempDir dir_;
  std::string data_;
  std::map<std::string, std::string> env_;
};

}  // namespace lontar::test
