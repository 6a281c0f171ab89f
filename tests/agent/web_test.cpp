// The web page's request handling, driven directly (no socket): Host, Origin, CSRF
// and session checks, sign-in, and recording through a form.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <thread>

#include "agent_process.hpp"
#include "clerks.hpp"
#include "office.hpp"
#include "web/app.hpp"
#include "web/certificate.hpp"
#include "web/import_job.hpp"
#include "web/server.hpp"

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

TEST_CASE("a LAN address is served over TLS only; 0.0.0.0 is refused") {
  auto lan = web::parse_listen("192.168.1.10:8443");
  REQUIRE(lan.ok());
  CHECK_FALSE(lan->loopback);
  auto local = web::parse_listen("localhost:0");
  REQUIRE(local.ok());
  CHECK(local->loopback);
  CHECK(web::parse_listen("[::1]:0")->loopback);
  CHECK_FALSE(web::parse_listen("0.0.0.0:8080").ok());
  CHECK(contains(web::parse_listen("0.0.0.0:8080").error().message, "own address"));
  CHECK_FALSE(web::parse_listen("kantor.local:8080").ok());
  // Refused before anything is bound (no LAN socket is opened by this test).
  Page p;
  std::atomic<bool> stop{true};
  bool listened = false;
  auto st = web::serve(
      *p.app, *lan, std::nullopt, [&](std::uint16_t) { listened = true; }, stop);
  REQUIRE_FALSE(st.ok());
  CHECK(contains(st.error().message, "TLS only"));
  CHECK_FALSE(listened);
}

TEST_CASE("the office certificate is made once, its key 0600, and its fingerprint is the certificate's SHA-256") {
  Agent a;
  REQUIRE(a.init().rc == 0);
  auto first = web::office_certificate(a.data(), "192.168.1.10");
  REQUIRE(first.ok());
  CHECK(first->created);
  CHECK(first->fingerprint.size() == 95);  // 32 bytes "AB:" ...
  struct stat st {};
  REQUIRE(::stat((a.data() + "/web-tls.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto again = web::office_certificate(a.data(), "192.168.1.10");
  REQUIRE(again.ok());
  CHECK_FALSE(again->created);
  CHECK(again->fingerprint == first->fingerprint);
  std::remove((a.data() + "/web-tls.crt").c_str());
  auto half = web::office_certificate(a.data(), "192.168.1.10");
  REQUIRE_FALSE(half.ok());
  CHECK(contains(half.error().message, "web-tls.key is there"));
}

TEST_CASE("multipart bodies: fields, a file with quotes and CRLFs inside, and malformed ones") {
  const std::string file = "NIK;Nama\r\n1;\"Siti \"\"Ani\"\"\"\r\n";
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"daftar.csv\"\r\n"
      "Content-Type: text/csv\r\n\r\n" +
      file + "\r\n--XyZ--\r\n";
  auto m = web::parse_multipart("multipart/form-data; boundary=XyZ", body);
  REQUIRE(m.ok());
  CHECK(m->fields.at("csrf") == "tok");
  CHECK(m->has_file);
  CHECK(m->file_name == "daftar.csv");
  CHECK(m->file == file);
  CHECK_FALSE(web::parse_multipart("multipart/form-data", body).ok());
  CHECK_FALSE(web::parse_multipart("multipart/form-data; boundary=XyZ", body.substr(0, 60)).ok());
}

TEST_CASE("an import through the page: the preview records nothing, the confirmed run records the rows") {
  Page p;
  p.sign_in();
  const std::string csv = "NIK,Nama Lengkap,Tgl. Lahir,Pekerjaan,TMT\n" + Agent::nik(1) +
                          ",Budi,01-01-1980,TAGANA,14-05-2018\n123,Pendek,01-01-1980,TAGANA,14-05-2018\n";
  const std::string body = "--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + p.csrf +
                           "\r\n--b\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nenroll\r\n--b\r\n"
                           "Content-Disposition: form-data; name=\"file\"; filename=\"d.csv\"\r\n\r\n" +
                           csv + "\r\n--b--\r\n";
  web::Request req{http::verb::post, "/import", 11};
  req.set(http::field::host, "127.0.0.1:8080");
  req.set(http::field::origin, "http://127.0.0.1:8080");
  req.set(http::field::content_type, "multipart/form-data; boundary=b");
  req.set(http::field::cookie, p.cookie);
  req.body() = body;
  auto res = p.app->handle(req);
  REQUIRE(res.result() == http::status::see_other);
  const std::string job = std::string(res[http::field::location]);
  REQUIRE(job.rfind("/import/job?id=", 0) == 0);
  const std::string id = job.substr(job.find('=') + 1);
  auto wait_done = [&] {
    for (int i = 0; i < 6000; ++i) {
      auto s = p.get("/api/import?id=" + id);
      if (contains(s.body(), "\"done\":true")) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  REQUIRE(wait_done());
  auto preview = p.get(job);
  CHECK(contains(preview.body(), "id=\"count-recorded\">1<"));
  CHECK(contains(preview.body(), "id=\"count-rejected\">1<"));
  CHECK(p.a.count("SELECT count(*) FROM entries") == 0);  // a preview records nothing
  // The upload and its rejects are private files.
  struct stat st {};
  bool checked = false;
  for (const auto& f : std::filesystem::directory_iterator(p.a.data() + "/web-imports")) {
    REQUIRE(::stat(f.path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    checked = true;
  }
  CHECK(checked);
  // Another clerk's browser cannot confirm it without the CSRF token.
  CHECK(p.post("/import/run", "csrf=wrong&id=" + id).result() == http::status::forbidden);
  auto run = p.post("/import/run", "csrf=" + p.csrf + "&id=" + id);
  REQUIRE(run.result() == http::status::see_other);
  const std::string job2 = std::string(run[http::field::location]);
  const std::string id2 = job2.substr(job2.find('=') + 1);
  auto wait2 = [&] {
    for (int i = 0; i < 6000; ++i) {
      if (contains(p.get("/api/import?id=" + id2).body(), "\"done\":true")) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  REQUIRE(wait2());
  CHECK(p.a.count("SELECT count(*) FROM entries WHERE operator = 'siti'") == 1);
  auto rejects = p.get("/import/rejects?id=" + id2);
  REQUIRE(rejects.result() == http::status::ok);
  CHECK(contains(rejects.body(), "Pendek"));
  CHECK(contains(rejects.body(), "reason"));
  CHECK(contains(std::string(rejects[http::field::content_disposition]), "attachment"));
}

TEST_CASE("search finds a person by a name corrected here and shows the name now; a voided correction does not count") {
  Page p;
  // The command line records as the agent harness's clerk, who must be a clerk here too.
  REQUIRE(lontar::agent::add_clerk(*p.office->store, "test-clerk", "Test Clerk", "rahasia-456").ok());
  const std::string nik = Agent::nik(1);
  auto first = p.a.run(Agent::enroll_args(1));  // "Peserta 1"
  INFO(first.out << first.err);
  REQUIRE(first.rc == 0);
  REQUIRE(p.a.run(Agent::enroll_args(2)).rc == 0);                              // "Peserta 2", never corrected
  REQUIRE(p.a.run({"update", "--nik", nik, "--name", "Siti Rahayu"}).rc == 0);  // seq 3
  p.sign_in();
  auto results = [&](const std::string& q) {
    auto res = p.get("/search?q=" + q);
    REQUIRE(res.result() == http::status::ok);
    const std::string& body = res.body();
    const auto from = body.find("id=\"results\"");
    return from == std::string::npos ? std::string() : body.substr(from, body.find("</table>", from) - from);
  };
  auto by_new = results("rahayu");
  CHECK(contains(by_new, nik));
  CHECK(contains(by_new, "Siti Rahayu"));
  CHECK(!contains(by_new, Agent::nik(2)));
  auto by_old = results("peserta");  // the enrolled name still finds them, shown as now
  CHECK(contains(by_old, "Siti Rahayu"));
  CHECK(contains(by_old, "Peserta 2"));
  CHECK(!contains(by_old, "Peserta 1"));
  auto by_nik = results(nik.substr(0, 10));
  CHECK(contains(by_nik, "Siti Rahayu"));

  REQUIRE(p.a.run({"void", "--seq", "3", "--reason", "salah ketik", "--confirm"}).rc == 0);
  CHECK(results("rahayu").empty());
  CHECK(contains(results("peserta"), "Peserta 1"));
}
