#include <doctest/doctest.h>

#include "store/db.hpp"
#include "support/temp_dir.hpp"

using namespace lontar;
using namespace lontar::store;

TEST_CASE("a committed transaction is durable and an abandoned one rolls back") {
  test::TempDir dir;
  auto path = dir.file("s.db");
  {
    auto db = std::move(Db::open(path)).value();
    REQUIRE(db->exec("CREATE TABLE t(k INTEGER PRIMARY KEY, v BLOB NOT NULL, s TEXT)").ok());
    {
      auto tx = std::move(Transaction::begin(*db)).value();
      auto st = std::move(db->prepare("INSERT INTO t(k, v, s) VALUES(?, ?, ?)")).value();
      Hash h{};
      h[0] = 7;
      REQUIRE(st.bind(1, 1).bind(2, h).bind(3, "satu").run().ok());
      REQUIRE(tx.commit().ok());
    }
    {
      auto tx = std::move(Transaction::begin(*db)).value();
      REQUIRE(db->exec("INSERT INTO t(k, v) VALUES(2, x'00')").ok());
    }  // not committed
  }
  auto db = std::move(Db::open(path)).value();
  CHECK(*db->query_int("SELECT count(*) FROM t") == std::optional<std::int64_t>(1));
  auto st = std::move(db->prepare("SELECT v, s FROM t WHERE k = ?")).value();
  REQUIRE(*st.bind(1, 1).step());
  CHECK(st.hash(0)[0] == 7);
  CHECK(st.text(1) == "satu");
}

TEST_CASE("an injected full disk fails the write with a clear error and keeps the store valid") {
  test::TempDir dir;
  auto db = std::move(Db::open(dir.file("s.db"))).value();
  REQUIRE(db->exec("CREATE TABLE t(k INTEGER PRIMARY KEY)").ok());
  db->set_write_failure_after(2);
  auto ins = std::move(db->prepare("INSERT INTO t(k) VALUES(?)")).value();
  {
    auto tx = std::move(Transaction::begin(*db)).value();  // write 1: BEGIN
    auto r = ins.bind(1, 1).run();                         // write 2: fails
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::io);
    CHECK(r.error().message.find("full") != std::string::npos);
  }
  CHECK(*db->query_int("SELECT count(*) FROM t") == std::optional<std::int64_t>(0));
  ins.reset();
  CHECK(ins.bind(1, 2).run().ok());
}

TEST_CASE("opening a file that is not a database names the file") {
  test::TempDir dir;
  auto path = dir.file("junk.db");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    std::fputs("this is not a database, it is a grocery list with enough bytes to fill a header....", f);
    std::fclose(f);
  }
  auto db = Db::open(path);
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().message.find("junk.db") != std::string::npos);
}

TEST_CASE("two connections to one store serialize their writes") {
  test::TempDir dir;
  auto path = dir.file("s.db");
  auto a = std::move(Db::open(path)).value();
  auto b = std::move(Db::open(path)).value();
  REQUIRE(a->exec("CREATE TABLE t(k INTEGER PRIMARY KEY)").ok());
  {
    auto tx = std::move(Transaction::begin(*a)).value();
    REQUIRE(a->exec("INSERT INTO t VALUES(1)").ok());
    REQUIRE(tx.commit().ok());
  }
  {
    auto tx = std::move(Transaction::begin(*b)).value();
    REQUIRE(b->exec("INSERT INTO t VALUES(2)").ok());
    REQUIRE(tx.commit().ok());
  }
  CHECK(*a->query_int("SELECT count(*) FROM t") == std::optional<std::int64_t>(2));
}
