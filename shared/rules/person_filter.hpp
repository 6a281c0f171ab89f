// person_filter.hpp — an exact "none" for a person the SQLite rules state has never held
// (issue 14: a B-tree probe of rules_participants for every new person was 16 % of the
// server integrator's time, a miss each).
//
// A Bloom filter of the person keys in rules_participants, kept by the SQLite state it is
// given to (make_sqlite_state below): participant() of a key the filter does not hold
// answers "none" without reading SQLite, and every participant row written adds its key.
// Person keys are HMAC-SHA-256 outputs, so their own bytes serve as the filter's hashes.
//
// It answers only while armed, and it is armed only for one write transaction of the
// connection: arm() is called just after BEGIN IMMEDIATE (so no other connection can commit
// until the transaction ends) and checks PRAGMA data_version, which changes only when
// another connection committed; if one did, the filter is emptied and read again from the
// table at its next use. So another writer (a second process, a restore) can make it
// reload, never answer wrong. Outside armed transactions the state reads SQLite as before.
// Keys of a rolled-back transaction stay in it: a false "maybe", which costs one read.
//
// Memory: 16 bits per person (at least 1 MiB; 20 MB at 10,000,000 people), about 0.3 %
// false "maybe" with 4 probes. Loaded by one scan of rules_participants at the first
// lookup of an armed transaction (about 0.3 s per million people), grown by a new scan
// when it reaches its capacity.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "rules/rules.hpp"
#include "store/db.hpp"

namespace lontar::rules {

class PersonFilter {
 public:
  // Just after BEGIN IMMEDIATE on `db`: from now until disarm() the filter may answer.
  Status arm(store::Db& db);
  void disarm() { armed_ = false; }
  bool armed() const { return armed_; }

  // False only when `person` is certainly not in rules_participants (loads it first if needed).
  Result<bool> may_hold(store::Db& db, const Hash& person);
  // A row for `person` was written (or replaced) on this connection.
  void add(const Hash& person);

  bool loaded() const { return loaded_; }
  std::uint64_t loads() const { return loads_; }  // how many times the table was read (tests)

 private:
  Status load(store::Db& db);
  void set(const Hash& person);
  bool test(const Hash& person) const;

  std::vector<std::uint64_t> words_;
  std::uint64_t mask_ = 0;      // bits - 1
  std::uint64_t count_ = 0;     // keys added since the last load
  std::uint64_t capacity_ = 0;  // keys it holds before it is read again, larger
  bool loaded_ = false, armed_ = false;
  std::optional<std::int64_t> data_version_;
  std::uint64_t loads_ = 0;
};

// The SQLite state (make_sqlite_state in rules.hpp) keeping `filter` (which must outlive it)
// as above. For a connection that is its database's only writer between arm() calls.
Result<std::unique_ptr<State>> make_sqlite_state(store::Db& db, const NikKey& key, PersonFilter& filter);

}  // namespace lontar::rules
