// ledger_route_test.cpp — GET /v1/ledger (server/http/routes.cpp) over a real log store:
// public parameters for anyone allowed public resources, the NIK key only for principals.
#include <doctest/doctest.h>

#include "server/http/routes.hpp"
#include "server/log_fixture.hpp"
#include "support/temp_dir.hpp"

namespace lontar::test {

TEST_CASE("/v1/ledger gives the NIK key to registered principals only") {
  TempDir tmp;
  auto ledger = Ledger::create(tmp.path() / "data");
  const auto& nik = ledger.store->nik_key();
  const server::http::LedgerInfo info{ledger.store->origin(), ledger.store->verifier_key(), nik};
  const std::string nik_key_hex = to_hex(info.nik_key);
  auto office = ledger.add_principal("SBY-RUNGKUT");
  auto none = [] { return std::string(); };

  server::http::Access registered;
  registered.key = office.key().public_key();
  registered.caller = office.caller();
  auto r = server::http::handle(*ledger.store, registered, "GET", "/v1/ledger", "", none, &info);
  CHECK(r.status == 200);
  CHECK(r.content_type == "application/json");
  CHECK(r.body.find("\"verifier_key\":\"" + ledger.verifier_key + "\"") != std::string::npos);
  CHECK(r.body.find("\"principal\":\"SBY-RUNGKUT\",\"role\":\"office\"") != std::string::npos);
  CHECK(r.body.find("\"nik_key\":\"" + nik_key_hex + "\"") != std::string::npos);

  server::http::Access anonymous;
  anonymous.public_without_certificate = true;
  r = server::http::handle(*ledger.store, anonymous, "GET", "/v1/ledger", "", none, &info);
  CHECK(r.status == 200);
  CHECK(r.body.find("\"origin\":\"lontar.test/jatim\"") != std::string::npos);
  CHECK(r.body.find("nik_key") == std::string::npos);
  CHECK(r.body.find(nik_key_hex) == std::string::npos);

  anonymous.public_without_certificate = false;
  CHECK(server::http::handle(*ledger.store, anonymous, "GET", "/v1/ledger", "", none, &info).status == 403);
  // A server not given the parameters says so.
  CHECK(server::http::handle(*ledger.store, registered, "GET", "/v1/ledger", "", none, nullptr).status == 404);
  CHECK(server::http::handle(*ledger.store, registered, "POST", "/v1/ledger", "", none, &info).status == 405);
}

}  // namespace lontar::test
