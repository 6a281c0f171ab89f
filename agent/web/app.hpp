// app.hpp — the office's web page (`lontar-agent serve`) as request -> response.
//
// WebApp answers one HTTP request at a time with Beast's message types and knows
// nothing of sockets (server.hpp carries them), so tests can drive it directly. It
// renders plain HTML (every string from shared/i18n, Indonesian unless the
// remembered `lontar_lang` cookie says English) and works over the same agent
// operations as the CLI: record_entry (record.hpp), sync_once (sync.hpp), the store.
//
// Security (README "Web page"):
//   - every request's Host must be one of the agent's own (DNS rebinding), else 421;
//   - a state-changing request (POST) must come from the agent's own Origin (or,
//     without Origin, Referer) and carry the session's CSRF token, else 403;
//   - every page but sign-in, the language switch and the assets needs a session:
//     an HttpOnly, SameSite=Strict cookie naming a random 256-bit token kept only in
//     memory (restart = sign in again), expiring after `session_idle_ms`;
//   - responses carry a Content-Security-Policy allowing only the agent's own assets.
#pragma once

#include <boost/beast/http.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "i18n/i18n.hpp"
#include "office.hpp"

namespace lontar::agent::web {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

constexpr std::size_t sessions_max = 256;
constexpr std::int64_t session_idle_ms = 8LL * 3600 * 1000;  // one working day
constexpr std::size_t page_rows = 50;                        // rows per page of any long list
constexpr std::size_t form_body_bytes_max = 1 << 20;
constexpr std::size_t upload_bytes_max = 64 << 20;  // a partner list (a 200,000-row list is about 12 MiB)
constexpr std::size_t import_preview_rows = 5;      // rows of the file shown in the import preview
constexpr std::size_t import_preview_rejects = 20;  // rejected rows shown there (all are in the rejects file)

class ImportJob;

struct WebConfig {
  std::vector<std::string> hosts;         // Host header values accepted, e.g. "127.0.0.1:8080", "localhost:8080"
  bool tls = false;                       // cookies get Secure; origins are https://
  std::filesystem::path data_dir;         // for sync (the TLS identity files)
  std::optional<std::string> passphrase;  // the office key's, for sync
};

class WebApp {
 public:
  WebApp(Office& office, WebConfig config);
  ~WebApp();
  // Thread-safe: requests are answered one at a time.
  Response handle(const Request& req);
  // The body limit for a request with these headers: an upload to /import from a
  // signed-in clerk may carry a partner list, anything else a form.
  std::size_t body_limit(std::string_view method, std::string_view target, std::string_view cookie_header);
  // Stops an import in progress (nothing of it is recorded) and waits for it.
  void stop();
  // The Host values accepted (set once the port is bound).
  void allow_hosts(std::vector<std::string> hosts) {
    std::lock_guard lock(mu_);
    config_.hosts = std::move(hosts);
  }

  struct Session {
    std::string clerk;
    std::string name;
    std::string csrf;
    std::int64_t last_ms = 0;
  };

 private:
  struct Ctx;
  Response route(Ctx& c);
  // An HTML page for a signed-in clerk: the layout (menu, language switch) around `body`.
  Response show(Ctx& c, std::string_view path, const std::string& title, const std::string& body,
                http::status status = http::status::ok);
  Response login_page(Ctx& c, const std::string& error, int status);
  Response login_post(Ctx& c);
  Response logout(Ctx& c);
  Response dashboard(Ctx& c);
  Response search(Ctx& c);
  Response record_form(Ctx& c, const std::string& kind);
  Response record_post(Ctx& c, const std::string& kind);
  Response person(Ctx& c);
  Response void_page(Ctx& c);
  Response update_page(Ctx& c);
  Response sync_page(Ctx& c, const std::string& message, bool error);
  Response sync_post(Ctx& c);
  Response receipt(Ctx& c);
  Response nik_api(Ctx& c);
  Response import_form(Ctx& c, const std::string& error);
  Response import_upload(Ctx& c);
  Response import_job_page(Ctx& c);
  Response import_run(Ctx& c);
  Response import_status_api(Ctx& c);
  Response import_rejects(Ctx& c);
  ImportJob* job_for(Ctx& c);

  Office* office_;
  WebConfig config_;
  std::map<std::string, Session> sessions_;
  std::mutex mu_;
  std::unique_ptr<ImportJob> job_;  // the latest import or preview (one at a time)
};

}  // namespace lontar::agent::web
