// lontar-agent sync | run | incident: the sync client on the command line (sync.hpp).
#include <signal.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <random>

#include "cli.hpp"
#include "sync.hpp"

namespace lontar::agent::cli {

namespace {

constexpr std::int64_t run_interval_s_default = 60;      // between successful syncs
constexpr std::int64_t run_backoff_s_initial = 1;        // first retry after a failure
constexpr std::int64_t run_backoff_s_max_default = 300;  // retries never wait longer
constexpr int run_backoff_doublings_max = 20;            // 2^20 s is far above any sane maximum

struct SyncArgs {
  SyncOptions options;
  std::int64_t interval_s = run_interval_s_default;
  std::int64_t backoff_max_s = run_backoff_s_max_default;
};

void add_server_options(CLI::App* cmd, SyncArgs& a) {
  cmd->add_option("--server", a.options.server_url, "the sync server's URL (default: the one given to init)");
  cmd->add_option("--server-key", a.options.server_key,
                  "the log's verifier key to pin (default: the one given to init)");
  cmd->add_option("--batch-entries", a.options.batch_entries, "entries per push batch (at most 10000)")
      ->check(CLI::Range(std::size_t{1}, sync_batch_entries_max))
      ->capture_default_str();
}

int sync_exit(Store& store, const Error& e) {
  switch (classify(store, e)) {
    case SyncFailure::incident:
      print_incident(e);
      return exit_incident;
    case SyncFailure::retry:
      fmt::print(stderr, "{}\n", i18n::tr(i18n::lang_from_env(), "sync.retry", e.message));
      return exit_unreachable;
    case SyncFailure::refused:
      fmt::print(stderr, "{}\n", i18n::tr(i18n::lang_from_env(), "sync.refused", e.message));
      return exit_refused;
    case SyncFailure::local:
      break;
  }
  return fail(e);
}

void print_report(const SyncOptions& o, const SyncReport& r) {
  const i18n::Lang lang = i18n::lang_from_env();
  fmt::print("{}\n", i18n::tr(lang, "sync.summary", o.server_url, r.entries_pushed, r.batches, r.accepted, r.rejected,
                              r.flagged, r.leaves_pulled, r.checkpoint_size));
  if (r.replica_rebuilt) fmt::print("{}\n", i18n::text(lang, "sync.replica_rebuilt"));
  if (r.leaves_withheld) fmt::print("{}\n", i18n::tr(lang, "sync.withheld", r.leaves_withheld));
  if (r.rejected || r.flagged) fmt::print("{}\n", i18n::text(lang, "sync.see_reasons"));
  std::fflush(stdout);
}

Result<Office> open_for_sync(Context& ctx, SyncArgs& a) {
  LONTAR_ASSIGN(Office office, open(ctx));
  if (!ctx.passphrase_file.empty()) {
    LONTAR_ASSIGN(a.options.passphrase, read_passphrase_file(ctx.passphrase_file));
  }
  LONTAR_TRY(resolve_server(*office.store, a.options));
  a.options.progress = [](const std::string& line) {
    fmt::print("{}\n", line);
    std::fflush(stdout);
  };
  return office;
}

int sync_command(Context& ctx, SyncArgs& a) {
  auto office = open_for_sync(ctx, a);
  if (!office.ok()) return fail(office.error());
  auto r = sync_once(*office, ctx.data, a.options);
  if (!r.ok()) return sync_exit(*office->store, r.error());
  print_report(a.options, *r);
  return exit_ok;
}

// Waits `seconds` or until SIGTERM/SIGINT (blocked in `set`); true when signalled.
bool wait_or_signal(const sigset_t& set, std::int64_t seconds) {
  timespec ts{static_cast<time_t>(seconds), 0};
  for (;;) {
    int sig = ::sigtimedwait(&set, nullptr, &ts);
    if (sig > 0) return true;
    if (errno == EAGAIN) return false;
    // EINTR: another signal; wait again (the remaining time restarts, which only delays).
  }
}

int run_command(Context& ctx, SyncArgs& a) {
  // SIGTERM and SIGINT are taken synchronously: a sync in progress finishes (every
  // network step has a deadline) and the loop stops before the next one.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  auto office = open_for_sync(ctx, a);
  if (!office.ok()) return fail(office.error());
  std::mt19937_64 rng(std::random_device{}());
  int failures = 0;
  fmt::print("syncing with {} every {} s (backoff up to {} s); SIGTERM stops\n", a.options.server_url, a.interval_s,
             a.backoff_max_s);
  std::fflush(stdout);
  for (;;) {
    auto r = sync_once(*office, ctx.data, a.options);
    std::int64_t wait_s = a.interval_s;
    if (r.ok()) {
      print_report(a.options, *r);
      failures = 0;
    } else {
      int code = sync_exit(*office->store, r.error());
      if (code == exit_incident) return code;
      // Exponential backoff with full jitter in [backoff/2, backoff]: offices that
      // lost the server together do not come back together.
      failures = std::min(failures + 1, run_backoff_doublings_max);
      const std::int64_t backoff = std::min(a.backoff_max_s, run_backoff_s_initial << (failures - 1));
      wait_s = std::uniform_int_distribution<std::int64_t>(std::max<std::int64_t>(1, backoff / 2), backoff)(rng);
      fmt::print(stderr, "next attempt in {} s\n", wait_s);
    }
    if (wait_or_signal(set, wait_s)) {
      fmt::print("stopping: signal received\n");
      return exit_ok;
    }
  }
}

}  // namespace

void print_incident(const Error& e) {
  fmt::print(stderr,
             "\n"
             "!!! INCIDENT: THE SYNC SERVER'S HISTORY CHANGED !!!\n"
             "SERVER HISTORY CHANGED: {}\n"
             "The server showed this office a log that does not extend the one it showed before (rolled back,\n"
             "forked or rewritten), or lost entries it had acknowledged. Syncing is STOPPED for this office.\n"
             "Keep recording offline if needed; nothing here is lost. Tell the server's admin and the auditors\n"
             "now. Only after they have explained it, run `lontar-agent incident clear --reason TEXT`.\n\n",
             e.message);
}

void add_sync(CLI::App& app, Context& ctx) {
  {
    auto a = std::make_shared<SyncArgs>();
    auto* cmd = app.add_subcommand("sync",
                                   "sync once: verify the server's checkpoint, push the outbox, store "
                                   "receipts, pull the feed into the replica");
    add_server_options(cmd, *a);
    cmd->callback([a, &ctx] { ctx.exit_code = sync_command(ctx, *a); });
  }
  {
    auto a = std::make_shared<SyncArgs>();
    auto* cmd = app.add_subcommand("run",
                                   "sync in a loop: every --interval seconds, retrying failures with "
                                   "exponential backoff and jitter; stops on SIGTERM or an incident");
    add_server_options(cmd, *a);
    cmd->add_option("--interval", a->interval_s, "seconds between successful syncs")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400}))
        ->capture_default_str();
    cmd->add_option("--backoff-max", a->backoff_max_s, "longest wait after failures, in seconds")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{86'400}))
        ->capture_default_str();
    cmd->callback([a, &ctx] { ctx.exit_code = run_command(ctx, *a); });
  }
  {
    auto* inc = app.add_subcommand("incident", "the 'server history changed' incident: show or clear it");
    inc->require_subcommand(1);
    inc->add_subcommand("show", "print the recorded incident (exit 7 if there is one)")->callback([&ctx] {
      auto office = open(ctx);
      if (!office.ok()) {
        ctx.exit_code = fail(office.error());
        return;
      }
      auto i = incident(*office->store);
      if (!i.ok()) {
        ctx.exit_code = fail(i.error());
        return;
      }
      fmt::print("{}\n", *i ? **i : "no incident");
      auto evidence = office->store->setting(incident_evidence_setting);
      if (*i && evidence.ok() && *evidence && !(*evidence)->empty()) {
        fmt::print("the signed checkpoints that disagree (trusted first), kept as evidence:\n{}", as_chars(**evidence));
      }
      ctx.exit_code = *i ? exit_incident : exit_ok;
    });
    auto reason = std::make_shared<std::string>();
    auto* clear = inc->add_subcommand("clear",
                                      "after the server's admin explained the incident: forget the "
                                      "trusted checkpoint, re-send every entry at the next sync");
    clear->add_option("--reason", *reason, "why it is safe now (kept in the store)")->required();
    clear->callback([reason, &ctx] {
      auto office = open(ctx);
      if (!office.ok()) {
        ctx.exit_code = fail(office.error());
        return;
      }
      if (auto s = clear_incident(*office->store, *reason); !s.ok()) {
        ctx.exit_code = fail(s.error());
        return;
      }
      fmt::print(
          "incident cleared; the next sync trusts the server's current log and re-sends every entry "
          "(idempotent)\n");
    });
  }
}

}  // namespace lontar::agent::cli

namespace lontar::agent::cli {

namespace {
constexpr std::size_t status_verdicts_listed_max = 20;
}

int print_sync_status(Office& office) {
  auto verdicts = office.store->server_verdicts(status_verdicts_listed_max);
  if (!verdicts.ok()) return fail(verdicts.error());
  const auto& n = *verdicts;
  const i18n::Lang lang = i18n::lang_from_env();
  fmt::print("{}\n", i18n::tr(lang, "status.verdicts", n.accepted, n.rejected, n.flagged));
  for (const auto& j : n.not_accepted) {
    fmt::print("  #{} {} {} {} (leaf {}):", j.seq, domain::outcome_name(j.verdict.outcome), domain::kind_name(j.kind),
               j.nik.empty() ? j.ref : j.nik, j.leaf_index);
    for (const auto& r : j.verdict.reasons) fmt::print(" {}: {}", r.code, i18n::reason_text(lang, r.code, r.text));
    fmt::print("\n");
  }
  if (n.rejected + n.flagged > n.not_accepted.size()) {
    fmt::print("{}\n", i18n::text(lang, "status.more"));
  }
  auto i = incident(*office.store);
  if (!i.ok()) return fail(i.error());
  if (*i) {
    fmt::print(
        "INCIDENT:    the sync server's history changed; syncing is stopped.\n  {}\n"
        "  Tell the server's admin and the auditors; after they explain it: "
        "lontar-agent incident clear --reason TEXT\n",
        **i);
    return exit_incident;
  }
  return exit_ok;
}

}  // namespace lontar::agent::cli
