// The CLI speaks the language of LC_ALL / LC_MESSAGES / LANG: Indonesian for id_ID,
// English otherwise.
#include <doctest/doctest.h>

#include "agent_process.hpp"

using lontar::test::Agent;
using lontar::test::contains;

TEST_CASE("LANG=id_ID.UTF-8 makes the agent speak Indonesian; LC_ALL=C overrides it to English") {
  Agent a;
  a.env()["LANG"] = "id_ID.UTF-8";
  a.env()["LC_ALL"] = "";
  a.env()["LC_MESSAGES"] = "";
  REQUIRE(a.init().rc == 0);
  auto r = a.run(Agent::enroll_args(1));
  REQUIRE(r.rc == 0);
  CHECK(contains(r.out, "tercatat: participant.enroll sebagai SBY-RUNGKUT #1"));
  auto dup = a.run(Agent::enroll_args(1));
  CHECK(dup.rc == 3);
  CHECK(contains(dup.err, "ditolak: NIK ini sudah terdaftar [duplicate_enrollment]"));
  CHECK(contains(dup.err, "saran: cari orangnya dulu"));
  auto st = a.run({"status"});
  CHECK(contains(st.out, "catatan:     1 tercatat, 1 belum tersinkron"));

  a.env()["LC_ALL"] = "C";
  auto en = a.run(Agent::enroll_args(1));
  CHECK(en.rc == 3);
  CHECK(contains(en.err, "rejected: "));
  CHECK(contains(en.err, "hint: look the person up"));
}
