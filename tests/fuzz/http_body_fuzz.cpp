// http_body_fuzz.cpp — libFuzzer target for the HTTP routes (server/http/routes.hpp):
// request targets, query strings and push bodies from outside. Whatever the bytes, the
// routes answer with a status from docs/PROTOCOL.md: no crash, no hang, no undefined
// behaviour, and a 200 to a push always carries a decodable PushResponse.
// Input: byte 0 picks the caller (office, auditor, admin, unregistered key, anonymous);
// then "METHOD TARGET\n" and the body.
// Build: cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DLONTAR_FUZZ=ON && ninja -C build-fuzz
// http_body_fuzz Run:   build-fuzz/tests/http_body_fuzz -max_total_time=60 -max_len=70000
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "net/fake_service.hpp"
#include "server/http/routes.hpp"

using namespace lontar;

namespace {
struct Fixture {
  test::FakeService service;
  crypto::PublicKey office{}, auditor{}, admin{}, stranger{};
  Fixture() {
    office.fill(1);
    auditor.fill(2);
    admin.fill(3);
    stranger.fill(4);
    service.add("SBY-RUNGKUT", domain::Role::office, office);
    service.add("AUDIT-PUSAT", domain::Role::auditor, auditor);
    service.add("ADMIN", domain::Role::admin, admin);
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture f;
  static const std::set<int> statuses = {200, 400, 403, 404, 405, 409, 414, 500, 503};
  if (size < 1) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  auto sp = line.find(' ');
  std::string_view method = line.substr(0, sp);
  std::string_view target = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);

  server::http::Access access;
  const crypto::PublicKey* keys[] = {&f.office, &f.auditor, &f.admin, &f.stranger};
  const int who = data[0] % 5;
  if (who < 4) {
    access.key = *keys[who];
    access.caller = std::move(f.service.authenticate(*keys[who])).value();  // none for the stranger
  }
  access.public_without_certificate = (data[0] & 0x80) != 0;

  auto reply = server::http::handle(f.service, access, method, target, body, [] { return std::string(); });
  if (statuses.count(reply.status) == 0) std::abort();
  if (reply.status == 200 && method == "POST") {
    if (!encoding::decode<protocol::PushResponse>(as_bytes(reply.body), "push response").ok()) std::abort();
  }
  return 0;
}
