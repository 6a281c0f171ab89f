#include "verify.hpp"

#include <fmt/format.h>
#include <algorithm>

namespace lontar::agent {

namespace {
Error corrupt(const std::string& what) {
  return Error{Code::corrupt, what + "; the store has been altered or damaged: restore it from a backup"};
}

// The office's current key and its former ones (former_keys_setting).
Result<std::vector<crypto::PublicKey>> sealing_keys(Office& office) {
  std::vector<crypto::PublicKey> keys{office.key.public_key()};
  LONTAR_ASSIGN(auto former, office.store->setting(former_keys_setting));
  std::string_view text = former ? as_chars(*former) : std::string_view{};
  while (!text.empty()) {
    const auto comma = text.find(',');
    auto key = from_hex(text.substr(0, comma));
    if (!key.ok() || key->size() != crypto::PublicKey{}.size()) {
      return corrupt(
          fmt::format("setting {} holds '{}', not a list of hex public keys", former_keys_setting, text.substr(0, 80)));
    }
    std::copy(key->begin(), key->end(), keys.emplace_back().begin());
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return keys;
}
}  // namespace

Result<VerifyReport> verify_chain(Office& office) {
  LONTAR_ASSIGN(const std::vector<crypto::PublicKey> keys, sealing_keys(office));
  LONTAR_ASSIGN(auto entries, office.store->entries_after(0));
  LONTAR_ASSIGN(auto seals, office.store->seals_from(0));
  VerifyReport report;
  std::vector<chain::Entry> run;
  std::uint64_t after_seq = 0;
  Hash after_head{};
  for (;;) {
    LONTAR_ASSIGN(bool seal_row, seals.next());
    if (!seal_row) break;
    const std::uint64_t seal_seq = seals.seq();
    LONTAR_ASSIGN(auto seal, encoding::decode<chain::Seal>(seals.bytes(), "seal"));
    if (seal.last_seq != seal_seq) return corrupt(fmt::format("seal #{}: its bytes say #{}", seal_seq, seal.last_seq));
    if (seal.principal != office.id || std::find(keys.begin(), keys.end(), seal.key) == keys.end()) {
      return corrupt(fmt::format("seal #{}: not made by this office's key", seal_seq));
    }
    if (seal_seq <= after_seq) return corrupt(fmt::format("seal #{}: out of order", seal_seq));
    if (seal_seq - after_seq > chain::batch_entries_max) {
      return corrupt(fmt::format("seals #{} and #{} are more than {} entries apart", after_seq, seal_seq,
                                 chain::batch_entries_max));
    }
    run.clear();
    while (run.size() < seal_seq - after_seq) {
      LONTAR_ASSIGN(bool row, entries.next());
      if (!row) return corrupt(fmt::format("seal #{} covers entries that are missing", seal_seq));
      const std::uint64_t seq = entries.seq();
      const ByteView bytes = entries.bytes();
      if (entries.hash() != chain::entry_hash_of_bytes(bytes)) {
        return corrupt(fmt::format("entry #{}: its bytes do not match its stored hash", seq));
      }
      auto e = encoding::decode<chain::Entry>(bytes, fmt::format("entry #{}", seq));
      if (!e.ok()) return corrupt(e.error().message);
      if (e->seq != seq) return corrupt(fmt::format("entry #{}: its bytes say #{}", seq, e->seq));
      if (auto p = domain::decode_payload(e->kind, e->payload); !p.ok()) {
        return corrupt(fmt::format("entry #{}: payload: {}", seq, p.error().message));
      }
      run.push_back(std::move(e).value());
    }
    if (auto s = chain::verify_run(run, after_seq, after_head, &seal); !s.ok()) return corrupt(s.error().message);
    report.entries += run.size();
    ++report.seals;
    after_seq = seal_seq;
    after_head = seal.head;
  }
  LONTAR_ASSIGN(bool extra, entries.next());
  if (extra) return corrupt(fmt::format("entry #{} and after are not covered by any seal", entries.seq()));
  LONTAR_ASSIGN(auto lost, office.store->first_unaccounted());
  if (lost) {
    return Error{Code::corrupt, fmt::format("entry #{} is neither waiting in the outbox nor acknowledged by the "
                                            "server: the outbox was damaged and it would never be pushed; run "
                                            "`lontar-agent sync`, which puts every unacknowledged entry back in the "
                                            "outbox and pushes it",
                                            *lost)};
  }
  return report;
}

}  // namespace lontar::agent
