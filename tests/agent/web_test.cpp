// The web page's request handling, driven directly (no socket): Host, Origin, CSRF
// and session checks, sign-in, and recording through a form.
#include <doctest/doctest.h>

#include <optional>

#include "agent_process.hpp"
#include "clerks.hpp"
#include "office.hpp"
#include "web/app.hpp"

using lontar::test::Agent;
using lontar::test::contains;
namespace web = lontar::agent::web;
namespace http = boost::beast::http;

namespace {

struct Page {
  Agent a;
  std::optional<lontar::agent::Office> office;
  std::unique_ptr<web::WebApp> app;
  std::string cookie;
  std::string csrf;

  Page() {
    REQUIRE(a.init().rc == 0);
    auto o = lontar::agent::open_office(a.data(), std::nullopt);
    REQUIRE(o.ok());
    office.emplace(std::move(*o));
    REQUIRE(lontar::agent::add_clerk(*office->store, "siti", "Siti Aminah", "rahasia-123").ok());
    app = std::make_unique<web::WebApp>(*office,
                                        web::WebConfig{{"127.0.0.1:8080", "localhost:8080"}, false, a.data(), {}});
  }

  web::Response get(const std::string& target, const std::string& host = "127.0.0.1:8080") {
    web::Request req{http::verb::get, target, 11};
    req.set(http::field::host, host);
    if (!cookie.empty()) req.set(http::field::cookie, cookie);
    return app->handle(req);
  }
  web::Response post(const std::string& target, const std::string& body,
                     const std::string& origin = "http://127.0.0.1:8080") {
    web::Request req{http::verb::post, target, 11};
    req.set(http::field::host, "127.0.0.1:8080");
    if (!origin.empty()) req.set(http::field::origin, origin);
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    if (!cookie.empty()) req.set(http::field::cookie, cookie);
    req.body() = body;
    req.prepare_payload();
    return app->handle(req);
  }
  static std::string cookie_of(const web::Response& res, const std::string& name) {
    for (const auto& f : res) {
      if (f.name() != http::field::set_cookie) continue;
      std::string v(f.value());
      if (v.rfind(name + "=", 0) == 0) return v.substr(0, v.find(';'));
    }
    return "";
  }
  static std::string hidden(const std::string& body, const std::string& name) {
    const std::string key = "name=\"" + name + "\" value=\"";
    auto pos = body.find(key);
    if (pos == std::string::npos) return "";
    pos += key.size();
    return body.substr(pos, body.find('"', pos) - pos);
  }
  void sign_in() {
    auto login = get("/login");
    REQUIRE(login.result() == http::status::ok);
    cookie = cookie_of(login, "lontar_login");
    const std::string token = hidden(login.body(), "csrf");
    auto res = post("/login", "csrf=" + token + "&clerk=siti&passphrase=rahasia-123&back=%2F");
    REQUIRE(res.result() == http::status::see_other);
    cookie = cookie_of(res, "lontar_session");
    REQUIRE(!cookie.empty());
    auto home = get("/");
    REQUIRE(home.result() == http::status::ok);
    csrf = hidden(home.body(), "csrf");
    REQUIRE(csrf.size() == 64);
  }
};

}  // namespace

TEST_CASE("a foreign Host is refused before anything else (DNS rebinding)") {
  Page p;
  auto res = p.get("/login", "evil.example:8080");
  CHECK(res.result() == http::status::misdirected_request);
  CHECK(p.get("/login", "localhost:8080").result() == http::status::ok);
}

TEST_CASE("without a session, pages redirect to sign-in and POSTs are refused") {
  Page p;
  auto page = p.get("/person?nik=3578010101800001");
  CHECK(page.result() == http::status::see_other);
  CHECK(std::string(page[http::field::location]).rfind("/login", 0) == 0);
  auto post = p.post("/record/enroll", "csrf=x&nik=1");
  CHECK(post.result() == http::status::unauthorized);
}

TEST_CASE("a wrong passphrase does not sign in; the right one sets an HttpOnly SameSite=Strict cookie") {
  Page p;
  auto login = p.get("/login");
  p.cookie = Page::cookie_of(login, "lontar_login");
  const std::string token = Page::hidden(login.body(), "csrf");
  auto bad = p.post("/login", "csrf=" + token + "&clerk=siti&passphrase=salah-salah");
  CHECK(bad.result() == http::status::unauthorized);
  CHECK(contains(bad.body(), "kata sandi salah"));
  auto good = p.post("/login", "csrf=" + token + "&clerk=siti&passphrase=rahasia-123");
  REQUIRE(good.result() == http::status::see_other);
  bool strict = false;
  for (const auto& f : good) {
    std::string v(f.value());
    if (f.name() == http::field::set_cookie && v.rfind("lontar_session=", 0) == 0) {
      strict = contains(v, "HttpOnly") && contains(v, "SameSite=Strict");
    }
  }
  CHECK(strict);
}

TEST_CASE("a cross-origin POST and a POST without the CSRF token are refused, and record nothing") {
  Page p;
  p.sign_in();
  const std::string form = "nik=" + Agent::nik(1) +
                           "&name=Budi&birth_date=1980-01-01&sex=male&regency=3578&occupation=TAGANA"
                           "&programmes=JKK&programmes=JKM&coverage_start=2018-05-14";
  CHECK(p.post("/record/enroll", "csrf=" + p.csrf + "&" + form, "http://evil.example").result() ==
        http::status::forbidden);
  CHECK(p.post("/record/enroll", "csrf=wrong&" + form).result() == http::status::forbidden);
  CHECK(p.a.count("SELECT count(*) FROM entries") == 0);
  auto ok = p.post("/record/enroll", "csrf=" + p.csrf + "&" + form);
  CHECK(ok.result() == http::status::see_other);
  CHECK(p.a.count("SELECT count(*) FROM entries WHERE operator = 'siti'") == 1);
}
