// lontar-agent clerk add | disable | enable | passphrase | list: the office's clerk
// accounts (clerks.hpp). They need the store only, not the office key.
#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "clerks.hpp"
#include "cli.hpp"

namespace lontar::agent::cli {
namespace {

std::string json_text(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::unique_ptr<Store>> open_store(const Context& ctx) { return Store::open(ctx.data); }

// Reads one line from the terminal without echo; from stdin as is when it is not a terminal.
Result<std::string> read_secret_line(const char* prompt) {
  const bool tty = ::isatty(STDIN_FILENO) == 1;
  termios old{};
  if (tty) {
    fmt::print(stderr, "{}", prompt);
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    fmt::print(stderr, "\n");
  }
  if (!got) return Error{Code::bad_input, "no passphrase given (type it, or give --clerk-passphrase-file FILE)"};
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The new passphrase: from the file, else asked twice on a terminal (once from a pipe).
Result<std::string> new_passphrase(const std::string& file) {
  if (!file.empty()) return read_passphrase_file(file);
  LONTAR_ASSIGN(std::string first, read_secret_line("Kata sandi / passphrase: "));
  if (::isatty(STDIN_FILENO) == 1) {
    LONTAR_ASSIGN(std::string again, read_secret_line("Ulangi / again: "));
    if (again != first) return Error{Code::bad_input, "the two passphrases differ; nothing changed"};
  }
  return first;
}

}  // namespace

void add_clerk(CLI::App& app, Context& ctx) {
  auto* clerk = app.add_subcommand("clerk", "clerk accounts for the web page and for recording: add, disable, list");
  clerk->require_subcommand(1);
  struct O {
    std::string id, name, file;
    bool json = false;
  };
  auto o = std::make_shared<O>();

  auto* add =
      clerk->add_subcommand("add", "add a clerk; the passphrase is asked (or read with --clerk-passphrase-file)");
  add->add_option("id", o->id, "the clerk's id, e.g. siti.aminah (recorded in every entry they make)")->required();
  add->add_option("--name", o->name, "the clerk's full name (default: the id)");
  add->add_option("--clerk-passphrase-file", o->file,
                  "file whose first line is the clerk's passphrase (8+ characters)");
  add->callback([o, &ctx] {
    auto store = open_store(ctx);
    if (!store.ok()) return void(ctx.exit_code = fail(store.error()));
    auto pass = new_passphrase(o->file);
    if (!pass.ok()) return void(ctx.exit_code = fail(pass.error()));
    if (auto st = agent::add_clerk(**store, o->id, o->name, *pass); !st.ok()) {
      return void(ctx.exit_code = fail(st.error()));
    }
    fmt::print("{}\n", i18n::tr(ctx.lang, "clerk.added", o->id));
  });

  auto* pw = clerk->add_subcommand("passphrase", "set a clerk's new passphrase");
  pw->add_option("id", o->id, "the clerk's id")->required();
  pw->add_option("--clerk-passphrase-file", o->file, "file whose first line is the new passphrase");
  pw->callback([o, &ctx] {
    auto store = open_store(ctx);
    if (!store.ok()) return void(ctx.exit_code = fail(store.error()));
    auto pass = new_passphrase(o->file);
    if (!pass.ok()) return void(ctx.exit_code = fail(pass.error()));
    if (auto st = set_clerk_passphrase(**store, o->id, *pass); !st.ok()) {
      return void(ctx.exit_code = fail(st.error()));
    }
  });

  for (bool active : {false, true}) {
    auto* cmd = clerk->add_subcommand(active ? "enable" : "disable",
                                      active ? "let a disabled clerk sign in and record again"
                                             : "stop a clerk from signing in and recording (their entries stay)");
    cmd->add_option("id", o->id, "the clerk's id")->required();
    cmd->callback([o, &ctx, active] {
      auto store = open_store(ctx);
      if (!store.ok()) return void(ctx.exit_code = fail(store.error()));
      if (auto st = set_clerk_active(**store, o->id, active); !st.ok()) {
        return void(ctx.exit_code = st.error().code == Code::not_found ? exit_not_found : fail(st.error()));
      }
      fmt::print("{}\n", i18n::tr(ctx.lang, active ? "clerk.enabled" : "clerk.disabled", o->id));
    });
  }

  auto* list = clerk->add_subcommand("list", "list the clerks");
  list->add_flag("--json", o->json, "as JSON");
  list->callback([o, &ctx] {
    auto store = open_store(ctx);
    if (!store.ok()) return void(ctx.exit_code = fail(store.error()));
    auto clerks = list_clerks(**store);
    if (!clerks.ok()) return void(ctx.exit_code = fail(clerks.error()));
    if (o->json) {
      std::string out = "[";
      for (const auto& c : *clerks) {
        out += fmt::format("{}{{\"id\":{},\"name\":{},\"active\":{}}}", out.size() > 1 ? "," : "", json_text(c.id),
                           json_text(c.name), c.active ? "true" : "false");
      }
      fmt::print("{}]\n", out);
      return;
    }
    if (clerks->empty()) fmt::print("{}\n", i18n::text(ctx.lang, "clerk.none"));
    for (const auto& c : *clerks) {
      fmt::print("{:<24} {:<10} {}\n", c.id, i18n::text(ctx.lang, c.active ? "clerk.active" : "clerk.inactive"),
                 c.name);
    }
  });
}

}  // namespace lontar::agent::cli
