#include "chain/chain.hpp"
#include "chain/verify_hashed.hpp"

#include <string>

namespace lontar::chain {

namespace {
Bytes encode_or_die(const auto& value) {
  // Callers only encode values they built within limits; failure is a bug.
  auto bytes = encoding::encode(value);
  if (!bytes.ok()) std::abort();
  return std::move(bytes).value();
}

// The seal's signed fields, encoded in the same order as Seal minus the signature.
struct SealBody {
  std::string principal;
  std::uint64_t last_seq = 0;
  Hash head{};
  std::int64_t sealed_at_ms = 0;
  crypto::PublicKey key{};

  template <class Archive>
  void serialize(Archive& ar) {
    ar(encoding::bounded(principal, domain::principal_id_bytes_max, "principal"), last_seq, head, sealed_at_ms, key);
  }
};

std::string seq_str(std::uint64_t seq) { return std::to_string(seq); }
}  // namespace

Result<Entry> make_entry(std::string principal, std::uint64_t seq, const Hash& prev, std::int64_t recorded_at_ms,
                         std::string operator_id, const domain::Payload& payload) {
  LONTAR_ASSIGN(Bytes body, domain::encode_payload(payload));
  Entry e;
  e.principal = std::move(principal);
  e.seq = seq;
  e.prev = prev;
  e.recorded_at_ms = recorded_at_ms;
  e.operator_id = std::move(operator_id);
  e.kind = domain::kind_of(payload);
  e.payload = std::move(body);
  if (e.principal.empty() || e.principal.size() > domain::principal_id_bytes_max) {
    return Error{Code::bad_input,
                 "principal id must be 1.." + std::to_string(domain::principal_id_bytes_max) + " bytes"};
  }
  if (e.operator_id.size() > operator_bytes_max) {
    return Error{Code::bad_input, "operator id is longer than " + std::to_string(operator_bytes_max) + " bytes"};
  }
  if (e.payload.size() > payload_bytes_max) {
    return Error{Code::bad_input, "payload is larger than " + std::to_string(payload_bytes_max) + " bytes"};
  }
  return e;
}

Hash entry_hash_of_bytes(ByteView encoded_entry) {
  return crypto::sha256({as_bytes(entry_hash_domain), encoded_entry});
}

Hash entry_hash(const Entry& e) { return entry_hash_of_bytes(encode_or_die(e)); }

std::optional<Hash> entry_hash_in_leaf(ByteView leaf, std::size_t encoded_entry_size) {
  // leaf = flag, type, fields...; entry = flag, fields: the fields are leaf[2, 1 + size).
  if (encoded_entry_size < 1 || leaf.size() < 1 + encoded_entry_size) return std::nullopt;
  return crypto::sha256({as_bytes(entry_hash_domain), leaf.subspan(0, 1), leaf.subspan(2, encoded_entry_size - 1)});
}

Bytes seal_message(const Seal& s) {
  SealBody body{s.principal, s.last_seq, s.head, s.sealed_at_ms, s.key};
  Bytes msg(seal_signature_domain.begin(), seal_signature_domain.end());
  append(msg, encode_or_die(body));
  return msg;
}

Seal make_seal(const std::string& principal, std::uint64_t last_seq, const Hash& head, std::int64_t sealed_at_ms,
               const crypto::PrivateKey& key) {
  Seal s;
  s.principal = principal;
  s.last_seq = last_seq;
  s.head = head;
  s.sealed_at_ms = sealed_at_ms;
  s.key = key.public_key();
  s.signature = key.sign(seal_message(s));
  return s;
}

bool seal_signature_valid(const Seal& s) { return crypto::verify(s.key, seal_message(s), s.signature); }

namespace {
// verify_run with the hash of entries[i] given by hash_of(i).
template <class HashOf>
Status verify_run_with(std::span<const Entry> entries, std::uint64_t after_seq, const Hash& after_head,
                       const Seal* seal, HashOf hash_of) {
  std::uint64_t seq = after_seq;
  Hash head = after_head;
  const std::string* principal = seal != nullptr ? &seal->principal : nullptr;
  for (const Entry& e : entries) {
    if (principal == nullptr) principal = &e.principal;
    if (e.principal != *principal) {
      return Error{Code::corrupt, "entry seq " + seq_str(e.seq) + " belongs to " + e.principal + ", not " + *principal};
    }
    if (e.version != entry_version) {
      return Error{Code::corrupt,
                   *principal + " seq " + seq_str(e.seq) + ": unknown entry version " + std::to_string(e.version)};
    }
    if (e.seq != seq + 1) {
      return Error{Code::corrupt, *principal + ": expected seq " + seq_str(seq + 1) + ", found " + seq_str(e.seq) +
                                      " (entries must be contiguous)"};
    }
    if (e.prev != head) {
      return Error{Code::corrupt, *principal + " seq " + seq_str(e.seq) +
                                      ": previous-hash link does not match the hash of seq " + seq_str(seq)};
    }
    seq = e.seq;
    head = hash_of(static_cast<std::size_t>(&e - entries.data()));
  }
  if (seal != nullptr) {
    if (seal->last_seq != seq || seal->head != head) {
      return Error{Code::corrupt, seal->principal + ": the seal covers seq " + seq_str(seal->last_seq) +
                                      " but the entries end at seq " + seq_str(seq) +
                                      (seal->last_seq == seq ? " with a different head hash" : "")};
    }
    if (!seal_signature_valid(*seal)) {
      return Error{Code::unauthorized, seal->principal + ": the seal's signature over seq " + seq_str(seal->last_seq) +
                                           " does not verify with its key " + crypto::fingerprint(seal->key)};
    }
  }
  return {};
}
}  // namespace

Status verify_run(std::span<const Entry> entries, std::uint64_t after_seq, const Hash& after_head, const Seal* seal) {
  return verify_run_with(entries, after_seq, after_head, seal, [&](std::size_t i) { return entry_hash(entries[i]); });
}

Status verify_run(std::span<const Entry> entries, std::span<const Hash> entry_hashes, std::uint64_t after_seq,
                  const Hash& after_head, const Seal* seal) {
  if (entry_hashes.size() != entries.size()) {
    return Error{Code::internal, "verify_run: " + std::to_string(entry_hashes.size()) + " hashes for " +
                                     std::to_string(entries.size()) + " entries"};
  }
  return verify_run_with(entries, after_seq, after_head, seal, [&](std::size_t i) { return entry_hashes[i]; });
}

bool valid_leaf_type(LeafType t) { return t == LeafType::entry || t == LeafType::seal; }

Leaf entry_leaf(Entry e, domain::Verdict v) {
  Leaf l;
  l.type = LeafType::entry;
  l.entry = std::move(e);
  l.verdict = std::move(v);
  return l;
}

Leaf seal_leaf(Seal s) {
  Leaf l;
  l.type = LeafType::seal;
  l.seal = std::move(s);
  return l;
}

}  // namespace lontar::chain
