// lontar-server office|auditor|schedule|status: admin commands over HTTPS.
#include <fmt/format.h>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

#include "admin.hpp"
#include "cli.hpp"
#include "crypto/x509.hpp"
#include "encoding/encoding.hpp"
#include "i18n/i18n.hpp"
#include "protocol/protocol.hpp"
#include "status_html.hpp"

namespace lontar::server::cli {

namespace {

struct ConnArgs {
  std::string server;
  std::string server_key;
  std::filesystem::path server_ca;
  std::filesystem::path admin_key;
  std::filesystem::path passphrase_file;
};

void add_connection_options(CLI::App* cmd, ConnArgs& a, const char* key_help) {
  cmd->add_option("--server", a.server, "the server's URL, e.g. https://127.0.0.1:8443")
      ->envname("LONTAR_SERVER")
      ->required();
  cmd->add_option("--server-key", a.server_key, "the log's verifier key printed by init (pins the server)")
      ->envname("LONTAR_SERVER_KEY")
      ->required();
  cmd->add_option("--server-ca", a.server_ca, "trust the server's certificate by this CA file instead of the pin")
      ->check(CLI::ExistingFile);
  cmd->add_option("--admin-key", a.admin_key, key_help)->envname("LONTAR_ADMIN_KEY")->required();
  cmd->add_option("--passphrase-file", a.passphrase_file, "decrypt the key with the first line of this file")
      ->check(CLI::ExistingFile);
}

Result<std::unique_ptr<admin::Session>> connect(const ConnArgs& a) {
  admin::Connection c;
  c.url = a.server;
  c.verifier_key = a.server_key;
  if (!a.server_ca.empty()) c.ca_file = a.server_ca;
  c.key_file = a.admin_key;
  if (!a.passphrase_file.empty()) {
    LONTAR_ASSIGN(c.passphrase, read_passphrase_file(a.passphrase_file));
  }
  return admin::Session::open(c);
}

// Pushes one admin entry and prints its verdict; rejected → exit_refused.
int submit(const ConnArgs& a, const domain::Payload& payload, const std::string& what) {
  auto session = connect(a);
  if (!session.ok()) return fail(session.error());
  auto done = (*session)->submit(payload);
  if (!done.ok()) return fail(done.error());
  const auto& r = done->response.receipts.front();
  std::printf("%s: %s (entry %s #%llu, leaf %llu; checkpoint size %llu)\n", domain::outcome_name(r.verdict.outcome),
              what.c_str(), done->entry.principal.c_str(), static_cast<unsigned long long>(r.seq),
              static_cast<unsigned long long>(r.leaf_index), static_cast<unsigned long long>(done->checkpoint.size));
  for (const auto& reason : r.verdict.reasons) std::printf("  %s: %s\n", reason.code.c_str(), reason.text.c_str());
  return r.verdict.outcome == domain::Outcome::rejected ? exit_refused : exit_ok;
}

struct PrincipalArgs {
  ConnArgs conn;
  std::string id, name, key, scope, reason;
  bool update = false;
};

// A principal as the log's admin entries leave it.
struct Registered {
  std::string name, scope;
  std::map<std::string, std::string> keys;  // fingerprint -> "active" / "revoked: reason"
  std::uint64_t leaf = 0;                   // its first registration
};

// The principals of `role` registered in the log, by id (reads the whole feed, in
// which admins and auditors see admin entries in full).
Result<std::map<std::string, Registered>> registered_principals(admin::Session& session, domain::Role role) {
  std::map<std::string, Registered> rows;
  std::uint64_t from = 0;
  for (;;) {
    LONTAR_ASSIGN(net::Response r, session.get(fmt::format("/v1/feed?from={}", from)));
    LONTAR_ASSIGN(protocol::FeedPage page, encoding::decode<protocol::FeedPage>(r.bytes(), "feed page"));
    for (const auto& item : page.items) {
      if (item.form != protocol::FeedForm::full) continue;
      auto leaf = encoding::decode<chain::Leaf>(item.leaf, "leaf");
      if (!leaf.ok() || leaf->type != chain::LeafType::entry) continue;
      if (leaf->verdict.outcome == domain::Outcome::rejected) continue;
      const auto& e = leaf->entry;
      if (e.kind != domain::EntryKind::principal_register && e.kind != domain::EntryKind::principal_revoke) continue;
      auto payload = domain::decode_payload(e.kind, e.payload);
      if (!payload.ok()) continue;
      if (auto* reg = std::get_if<domain::PrincipalRegister>(&*payload)) {
        if (reg->role != role) continue;
        Registered& row = rows[reg->principal_id];
        if (row.leaf == 0) row.leaf = item.leaf_index;
        row.name = reg->name;
        row.scope = reg->scope;
        row.keys[crypto::fingerprint(reg->key)] = "active";
      } else if (auto* rv = std::get_if<domain::PrincipalRevoke>(&*payload)) {
        auto it = rows.find(rv->principal_id);
        if (it != rows.end()) it->second.keys[crypto::fingerprint(rv->key)] = "revoked: " + rv->reason;
      }
    }
    if (page.items.empty()) break;
    from = page.items.back().leaf_index + 1;
    if (from >= page.tree_size) break;
  }
  return rows;
}

// The same, over a session of its own that is closed before it returns (so that a
// submit() after it can take the admin key's lock).
Result<std::map<std::string, Registered>> registered_principals(const ConnArgs& conn, domain::Role role) {
  LONTAR_ASSIGN(auto session, connect(conn));
  return registered_principals(*session, role);
}

// Registers a principal. Safe to run again after a lost response: a principal
// already registered exactly so is reported, not registered twice; one registered
// differently is refused unless `--update` says to change it.
int add_principal(const PrincipalArgs& a, domain::Role role) {
  auto key = admin::parse_public_key(a.key);
  if (!key.ok()) return fail(key.error());
  auto registered = registered_principals(a.conn, role);
  if (!registered.ok()) return fail(registered.error());
  const std::string fp = crypto::fingerprint(*key);
  const char* role_name = domain::role_name(role);
  if (auto it = registered->find(a.id); it != registered->end()) {
    const Registered& was = it->second;
    auto k = was.keys.find(fp);
    if (k != was.keys.end() && k->second != "active") {
      return fail(Error{Code::bad_input, fmt::format("key {} of {} was revoked ({}); a revoked key is never "
                                                     "registered again: make a new key",
                                                     fp, a.id, k->second)});
    }
    if (k != was.keys.end() && was.name == a.name && was.scope == a.scope) {
      std::printf("%s %s is already registered with key %s (leaf %llu); nothing to do\n", role_name, a.id.c_str(),
                  fp.c_str(), static_cast<unsigned long long>(was.leaf));
      return exit_ok;
    }
    if (!a.update) {
      return fail(Error{Code::conflict,
                        fmt::format("{} {} is already registered (leaf {}) as \"{}\", scope {}, with {} key(s); to "
                                    "add a key run `{} add-key`, to change its name, scope or key run `{} add` "
                                    "again with --update",
                                    role_name, a.id, was.leaf, was.name, was.scope.empty() ? "all" : was.scope,
                                    was.keys.size(), role_name, role_name)});
    }
  }
  domain::PrincipalRegister p{a.id, role, *key, a.name, a.scope};
  return submit(a.conn, p, fmt::format("{} {} registered with key {}", role_name, a.id, fp));
}

// Registers another key for an existing principal, keeping its name and scope
// (a new laptop for an office: `lontar-agent recover`).
int add_key(const PrincipalArgs& a, domain::Role role) {
  auto key = admin::parse_public_key(a.key);
  if (!key.ok()) return fail(key.error());
  auto registered = registered_principals(a.conn, role);
  if (!registered.ok()) return fail(registered.error());
  auto it = registered->find(a.id);
  if (it == registered->end()) {
    return fail(Error{Code::not_found, fmt::format("no {} {} is registered in the log; register it with `{} add`",
                                                   domain::role_name(role), a.id, domain::role_name(role))});
  }
  const std::string fp = crypto::fingerprint(*key);
  if (auto k = it->second.keys.find(fp); k != it->second.keys.end() && k->second != "active") {
    return fail(Error{Code::bad_input, fmt::format("key {} of {} was revoked ({}); a revoked key is never "
                                                   "registered again: have the laptop make a new key",
                                                   fp, a.id, k->second)});
  }
  domain::PrincipalRegister p{a.id, role, *key, it->second.name, it->second.scope};
  return submit(
      a.conn, p,
      fmt::format("{} {} has the additional key {} (name and scope kept)", domain::role_name(role), a.id, fp));
}

void add_principal_commands(CLI::App& app, int& exit_code, const char* group, domain::Role role) {
  auto* g = app.add_subcommand(group, fmt::format("Register, revoke or list {}s", group));
  g->require_subcommand(1);
  const bool office = role == domain::Role::office;

  auto add = std::make_shared<PrincipalArgs>();
  auto* c = g->add_subcommand("add", fmt::format("Register an {} and its key (a principal.register entry)", group));
  c->add_option("--id", add->id, "the principal id, e.g. SBY-RUNGKUT ([A-Z0-9-], 2-32)")->required();
  c->add_option("--name", add->name, "its name, e.g. \"Surabaya Rungkut\"")->required();
  c->add_option("--key", add->key, "its public key: 64 hex digits, or a certificate or PUBLIC KEY PEM file")
      ->required();
  if (office) c->add_option("--scope", add->scope, "region it serves: province (35) or regency (3578); default all");
  c->add_flag("--update", add->update,
              "change the name, scope or key of a registered one (without it, add refuses an id already registered "
              "differently; a second key is `add-key`)");
  add_connection_options(c, add->conn, "the admin key (PEM)");
  c->callback([add, role, &exit_code] { exit_code = add_principal(*add, role); });

  auto rev = std::make_shared<PrincipalArgs>();
  auto* r = g->add_subcommand("revoke", fmt::format("Revoke one key of an {} (a principal.revoke entry)", group));
  r->add_option("--id", rev->id, "the principal id")->required();
  r->add_option("--key", rev->key, "the key to revoke: 64 hex digits, or a certificate or PUBLIC KEY PEM file")
      ->required();
  r->add_option("--reason", rev->reason, "why, e.g. \"laptop stolen 2018-05-20\"")->required();
  add_connection_options(r, rev->conn, "the admin key (PEM)");
  r->callback([rev, role, &exit_code] {
    auto key = admin::parse_public_key(rev->key);
    if (!key.ok()) {
      exit_code = fail(key.error());
      return;
    }
    // Run again after a lost response: a key already revoked is not revoked twice.
    auto registered = registered_principals(rev->conn, role);
    if (!registered.ok()) {
      exit_code = fail(registered.error());
      return;
    }
    const std::string fp = crypto::fingerprint(*key);
    if (auto it = registered->find(rev->id); it != registered->end()) {
      if (auto k = it->second.keys.find(fp); k != it->second.keys.end() && k->second != "active") {
        std::printf("key %s of %s is already %s; nothing to do\n", fp.c_str(), rev->id.c_str(), k->second.c_str());
        exit_code = exit_ok;
        return;
      }
    }
    domain::PrincipalRevoke p{rev->id, *key, rev->reason};
    exit_code = submit(rev->conn, p, fmt::format("key {} of {} revoked", fp, rev->id));
  });

  auto more = std::make_shared<PrincipalArgs>();
  auto* k = g->add_subcommand(
      "add-key", fmt::format("Register another key for an existing {}, keeping its name and scope (a new laptop; "
                             "revoke the lost key with `{} revoke`)",
                             group, group));
  k->add_option("--id", more->id, "the principal id")->required();
  k->add_option("--key", more->key, "the new public key: 64 hex digits, or a certificate or PUBLIC KEY PEM file")
      ->required();
  add_connection_options(k, more->conn, "the admin key (PEM)");
  k->callback([more, role, &exit_code] { exit_code = add_key(*more, role); });

  auto list = std::make_shared<ConnArgs>();
  auto* l = g->add_subcommand("list", fmt::format("List the {}s registered in the log and their keys", group));
  add_connection_options(l, *list, "the admin (or auditor) key (PEM)");
  l->callback([list, role, &exit_code] {
    auto registered = registered_principals(*list, role);
    if (!registered.ok()) {
      exit_code = fail(registered.error());
      return;
    }
    const auto& rows = *registered;
    std::printf("%-16s %-32s %-6s %-20s %s\n", "id", "name", "scope", "key", "status");
    for (const auto& [id, row] : rows) {
      for (const auto& [fp, status] : row.keys) {
        std::printf("%-16s %-32s %-6s %-20s %s\n", id.c_str(), row.name.c_str(),
                    row.scope.empty() ? "all" : row.scope.c_str(), fp.c_str(), status.c_str());
      }
    }
    std::printf("%zu %s(s)\n", rows.size(), domain::role_name(role));
    exit_code = exit_ok;
  });
}

struct ScheduleArgs {
  ConnArgs conn;
  std::string effective;
  std::optional<domain::Rupiah> jkk_benefit, jkk_monthly, jkm_benefit, jkm_monthly, jht_benefit, jht_monthly;
};

int run_schedule(const ScheduleArgs& a) {
  auto date = domain::parse_date(a.effective);
  if (!date.ok()) return fail(Error{Code::bad_input, "--effective: " + date.error().message});
  domain::ScheduleSet s;
  s.effective = *date;
  struct P {
    domain::Programme programme;
    const char* name;
    const std::optional<domain::Rupiah>& benefit;
    const std::optional<domain::Rupiah>& monthly;
  };
  for (const P& p : {P{domain::Programme::jkk, "jkk", a.jkk_benefit, a.jkk_monthly},
                     P{domain::Programme::jkm, "jkm", a.jkm_benefit, a.jkm_monthly},
                     P{domain::Programme::jht, "jht", a.jht_benefit, a.jht_monthly}}) {
    if (!p.benefit && !p.monthly) continue;
    if (!p.monthly) {
      return fail(Error{Code::bad_input, fmt::format("--{0}-monthly is missing: a schedule for {0} sets both its "
                                                     "benefit and its monthly contribution",
                                                     p.name)});
    }
    s.items.push_back({p.programme, p.benefit.value_or(0), *p.monthly});
  }
  if (s.items.empty()) {
    return fail(Error{Code::bad_input,
                      "name at least one programme: --jkm-benefit/--jkm-monthly, "
                      "--jkk-monthly, --jht-monthly"});
  }
  std::string what = "schedule effective " + domain::to_string(*date);
  for (const auto& i : s.items) {
    what += fmt::format("; {} benefit {} monthly {}", domain::programme_name(i.programme), i.benefit_max,
                        i.contribution_monthly);
  }
  return submit(a.conn, s, what);
}

struct StatusArgs {
  ConnArgs conn;
  std::string html;
  std::string lang = "id";
};

std::vector<StatusPrincipal> principal_rows(const std::map<std::string, Registered>& registered) {
  std::vector<StatusPrincipal> out;
  for (const auto& [id, row] : registered) {
    for (const auto& [fp, standing] : row.keys) out.push_back({id, row.name, row.scope, fp, standing});
  }
  return out;
}

int run_status(const StatusArgs& a) {
  std::optional<i18n::Lang> lang = i18n::parse_lang(a.lang);
  if (!lang) return fail(Error{Code::bad_input, "--lang: '" + a.lang + "' is not id or en"});
  auto session = connect(a.conn);
  if (!session.ok()) return fail(session.error());
  auto ledger = (*session)->ledger();
  if (!ledger.ok()) return fail(ledger.error());
  auto cp = (*session)->checkpoint();
  if (!cp.ok()) return fail(cp.error());
  auto metrics = (*session)->get("/metrics");
  if (!metrics.ok()) return fail(metrics.error());
  auto raw = (*session)->get("/checkpoint");
  if (!a.html.empty()) {
    StatusPage page;
    page.origin = ledger->origin;
    page.verifier_key = ledger->verifier_key;
    page.caller = ledger->caller ? ledger->caller->principal : "";
    page.caller_role = ledger->caller ? domain::role_name(ledger->caller->role) : "";
    page.tree_size = cp->size;
    page.root_hex = to_hex(cp->root);
    page.checkpoint = raw.ok() ? raw->body : "";
    page.metrics = metrics->body;
    page.generated_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    auto offices = registered_principals(**session, domain::Role::office);
    if (!offices.ok()) return fail(offices.error());
    auto auditors = registered_principals(**session, domain::Role::auditor);
    if (!auditors.ok()) return fail(auditors.error());
    page.offices = principal_rows(*offices);
    page.auditors = principal_rows(*auditors);
    if (auto st = crypto::write_file_atomic(a.html, status_html(page, *lang), 0644); !st.ok()) return fail(st.error());
    std::printf("%s\n", a.html.c_str());
    return exit_ok;
  }
  std::printf("ledger: %s\nverifier key: %s\nyou are: %s (%s)\n", ledger->origin.c_str(), ledger->verifier_key.c_str(),
              ledger->caller ? ledger->caller->principal.c_str() : "",
              ledger->caller ? domain::role_name(ledger->caller->role) : "");
  std::printf("tree size: %llu\nroot: %s\ncheckpoint (signature verified):\n",
              static_cast<unsigned long long>(cp->size), to_hex(cp->root).c_str());
  if (raw.ok()) std::printf("%s", raw->body.c_str());
  std::printf("metrics:\n");
  std::string_view m = metrics->body;
  while (!m.empty()) {
    auto nl = m.find('\n');
    std::string_view line = m.substr(0, nl);
    if (!line.empty() && line.front() != '#') std::printf("  %.*s\n", static_cast<int>(line.size()), line.data());
    if (nl == std::string_view::npos) break;
    m.remove_prefix(nl + 1);
  }
  return exit_ok;
}

}  // namespace

void add_admin(CLI::App& app, int& exit_code) {
  add_principal_commands(app, exit_code, "office", domain::Role::office);
  add_principal_commands(app, exit_code, "auditor", domain::Role::auditor);

  auto* sched = app.add_subcommand("schedule", "Benefit and contribution schedules");
  sched->require_subcommand(1);
  auto s = std::make_shared<ScheduleArgs>();
  auto* set = sched->add_subcommand("set",
                                    "Set the schedule for events on or after a date (a schedule.set entry); "
                                    "amounts in whole rupiah");
  set->add_option("--effective", s->effective, "first day it applies, YYYY-MM-DD")->required();
  set->add_option("--jkm-benefit", s->jkm_benefit, "JKM death benefit per claim, e.g. 42000000");
  set->add_option("--jkm-monthly", s->jkm_monthly, "JKM contribution per month, e.g. 6800");
  set->add_option("--jkk-benefit", s->jkk_benefit, "JKK ceiling per claim (0: no fixed ceiling)");
  set->add_option("--jkk-monthly", s->jkk_monthly, "JKK contribution per month, e.g. 10000");
  set->add_option("--jht-benefit", s->jht_benefit, "JHT ceiling (0: none)");
  set->add_option("--jht-monthly", s->jht_monthly, "JHT contribution per month, e.g. 20000");
  add_connection_options(set, s->conn, "the admin key (PEM)");
  set->callback([s, &exit_code] { exit_code = run_schedule(*s); });

  auto st = std::make_shared<StatusArgs>();
  auto* status = app.add_subcommand("status",
                                    "The server's ledger, verified checkpoint and metrics; with --html FILE also the "
                                    "registered offices and auditors, as one printable page");
  add_connection_options(status, st->conn, "a registered principal's key (PEM), e.g. the admin key");
  status->add_option("--html", st->html,
                     "write a self-contained HTML page (no external asset, prints on A4) to FILE instead of text");
  status->add_option("--lang", st->lang, "language of the HTML page: id (Bahasa Indonesia) or en")
      ->capture_default_str();
  status->callback([st, &exit_code] { exit_code = run_status(*st); });
}

}  // namespace lontar::server::cli
