// lontar-agent status | verify | export.
#include <fmt/format.h>

#include "base/clock.hpp"
#include "cli.hpp"
#include "export.hpp"
#include "verify.hpp"

namespace lontar::agent::cli {

namespace {
int status(Context& ctx) {
  auto office = open(ctx);
  if (!office.ok()) return fail(office.error());
  auto& st = *office->store;
  auto entries = st.count_entries();
  auto outbox = st.count_outbox();
  auto seal = st.last_seal();
  if (!entries.ok()) return fail(entries.error());
  if (!outbox.ok()) return fail(outbox.error());
  if (!seal.ok()) return fail(seal.error());
  auto server = st.setting("server_url");
  auto origin = st.setting("nik_key_origin");
  auto cp = st.checkpoint();
  const i18n::Lang lang = ctx.lang;
  fmt::print("{}\n", i18n::tr(lang, "status.office", office->id, office->name));
  fmt::print("public key:  {} ({})\n", to_hex(office->key.public_key()), crypto::fingerprint(office->key.public_key()));
  fmt::print("data:        {}\n", ctx.data);
  fmt::print("server:      {}\n",
             server.ok() && *server && !(*server)->empty() ? std::string(as_chars(**server)) : "(none yet)");
  fmt::print("{}\n", i18n::tr(lang, "status.entries", *entries, *outbox));
  auto lost = st.first_unaccounted();
  if (!lost.ok()) return fail(lost.error());
  if (*lost) {
    fmt::print(
        "WARNING:     entry #{} and maybe others are neither waiting nor acknowledged (a damaged outbox); "
        "`lontar-agent sync` puts them back and pushes them\n",
        **lost);
  }
  if (*seal) {
    fmt::print("last seal:   #{} head {} at {}\n", (*seal)->last_seq, to_hex((*seal)->head).substr(0, 16),
               utc_text((*seal)->sealed_at_ms));
  } else {
    fmt::print("last seal:   (nothing recorded yet)\n");
  }
  if (!cp.ok()) return fail(cp.error());
  if (*cp) {
    fmt::print("{}\n", i18n::tr(lang, "status.checkpoint", (*cp)->size, to_hex((*cp)->root).substr(0, 16)));
  } else {
    fmt::print("{}\n", i18n::text(lang, "status.no_checkpoint"));
  }
  if (origin.ok() && *origin && as_chars(**origin) == "local") {
    fmt::print("note:        rules checks use this office's own records only until the first sync\n");
  }
  return print_sync_status(*office);
}
}  // namespace

void add_verify(CLI::App& app, Context& ctx) {
  app.add_subcommand("status", "office, entries recorded and unsynced, last seal, last checkpoint")->callback([&ctx] {
    ctx.exit_code = status(ctx);
  });

  app.add_subcommand("verify", "re-check the whole local chain and every seal (exit 0 only if it holds)")
      ->callback([&ctx] {
        auto office = open(ctx);
        if (!office.ok()) {
          ctx.exit_code = fail(office.error());
          return;
        }
        auto r = verify_chain(*office);
        if (!r.ok()) {
          fmt::print(stderr, "FAILED: {}\n", r.error().message);
          ctx.exit_code = r.error().code == Code::corrupt ? exit_verify : exit_for(r.error().code);
          return;
        }
        fmt::print("ok: {} entries, {} seals, chain and signatures hold\n", r->entries, r->seals);
      });

  auto out = std::make_shared<std::string>();
  auto* exp = app.add_subcommand("export",
                                 "write the unsynced entries and their seals to a file to carry "
                                 "(it holds personal data: keep it encrypted)");
  exp->add_option("--out", *out, "the file to write (must not exist)")->required();
  exp->callback([out, &ctx] {
    auto office = open(ctx);
    if (!office.ok()) {
      ctx.exit_code = fail(office.error());
      return;
    }
    auto r = export_unsynced(*office, *out);
    if (!r.ok()) {
      ctx.exit_code = r.error().code == Code::not_found ? exit_not_found : fail(r.error());
      if (r.error().code == Code::not_found) fmt::print(stderr, "{}\n", r.error().message);
      return;
    }
    fmt::print(
        "wrote {}: entries #{}..#{} in {} sealed batches. It holds personal data: carry it encrypted and "
        "delete it after the server has imported it.\n",
        *out, r->first_seq, r->last_seq, r->batches);
  });
}

}  // namespace lontar::agent::cli
