// overlay_state.hpp — a batch overlay in memory over a durable rules::State.
//
// For the span of one import, one integration group or one audit stretch, the
// rules state is read and written through an OverlayState instead of the durable
// state itself: lookups of rows written in the span hit memory; writes accumulate
// there (the last write of a row wins) and flush() writes them to the base in one
// pass sorted by key, so that the base's B-trees are walked in order and a row
// written several times in the span (a claim and its payouts) is written once.
//
// Crash safety is the caller's transaction's, unchanged: the caller opens its
// transaction on the base, works through the overlay, calls flush() and then
// commits. A kill at any point leaves all or nothing; on a rollback the caller
// throws the overlay away (its pending rows were never durable).
//
// What the overlay keeps (and what it passes straight to the base):
//   - participants, claims, receipts, applied entries: the latest value of each
//     row written in the span (or a tombstone when it was ended or removed);
//   - coverage: the ranges added in the span, per person. Removing a range added
//     in the span cancels it; removing an older range is written to the base at
//     once (it commutes with the pending additions);
//   - an end, a payout or a void of a row the span did not write goes straight to
//     the base (it needs no read, and the base already holds the row);
//   - principals, keys and schedules (admin entries, rare) are written straight to
//     the base; the answers to principal(), key_active(), has_principals() and
//     schedule() are remembered until such a write, since nearly every entry asks.
//
// Memory is bounded: when the pending rows reach `rows_max` the next write flushes
// first (into the same transaction), so a 400,000-row import or a 10,000,000-leaf
// audit stays flat. A row costs about 140 bytes (key, value, hash-table node; an
// applied entry carries its undo record; measured, docs/PERFORMANCE.md), so the
// default cap of 65,536 rows is about 9 MB.
//
// flush() writes through the base's rules::BatchWriter when it has one (the SQLite
// state: multi-row INSERTs), otherwise through its put_* calls.
//
// A fresh base (Base::empty): the caller vouches that the base holds no row of the
// tables the overlay buffers (participants, claims, receipts, coverage, applied
// entries) — a from-scratch audit into a new state. Until the first flush, a
// lookup the overlay cannot answer is then answered "none" without asking the
// base: the overlay is an in-memory state and the replay makes no B-tree reads;
// the flush (at the end, or early when the cap is reached) is one bulk write.
// After the first flush it remembers which keys it wrote to the base, in a Bloom
// filter of fixed size (`flushed_filter_bits`, 16 MiB): a lookup the overlay cannot
// answer goes to the base only when the filter says the base may hold that key, so
// a first audit past the cap still reads the tables only for keys it flushed (and a
// few false positives; about 1 in 19,000 at 3 M keys, 1 in 8 at 30 M).
//
// While an overlay is in use, nothing else may write its base (readers of the base
// other than the overlay see the state as of the last flush). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rules/batch_writer.hpp"
#include "rules/rules.hpp"

namespace lontar::rules {

class OverlayState final : public State {
 public:
  static constexpr std::size_t default_rows_max = 65'536;
  // What the caller knows of the base (see above).
  enum class Base { any, empty };

  // `base` must outlive the overlay. rows_max >= 1.
  explicit OverlayState(State& base, std::size_t rows_max = default_rows_max, Base known = Base::any);
  ~OverlayState() override;  // waits for the rows released in the background (below)
  OverlayState(const OverlayState&) = delete;
  OverlayState& operator=(const OverlayState&) = delete;

  // After each flush, free the flushed rows on a thread of its own instead of the
  // caller's (joined at the next flush and by the destructor). For a caller whose
  // flush is on its critical path with a core to spare (the auditor's final flush).
  void release_in_background(bool on) { release_in_background_ = on; }

  // Writes every pending row to the base, sorted by key, and empties the overlay.
  // On an Error the base is part-written: the caller rolls its transaction back
  // and discards the overlay.
  Status flush();
  // Rows waiting for flush().
  std::size_t pending() const { return pending_; }
  // How many flushes happened (those forced by the cap included), for the benchmarks.
  std::uint64_t flushes() const { return flushes_; }

  const NikKey& nik_key() const override { return base_.nik_key(); }
  Result<std::optional<Participant>> participant(const Hash& person) const override;
  Result<std::optional<Claim>> claim(std::string_view claim_no) const override;
  Result<bool> has_principals() const override;
  Result<std::optional<Principal>> principal(std::string_view id) const override;
  Result<bool> key_active(std::string_view id, const crypto::PublicKey& key) const override;
  Result<bool> receipt_used(std::string_view principal, std::string_view receipt_no) const override;
  Result<bool> covered(const Hash& person, domain::YearMonth month) const override;
  Result<domain::Rupiah> death_benefits_paid(const Hash& person) const override;
  Result<std::optional<domain::ScheduleItem>> schedule(domain::Programme programme, domain::Date on) const override;
  Result<std::optional<Applied>> applied(std::string_view principal, std::uint64_t seq) const override;

  Status put_participant(const Hash& person, const Participant& p) override;
  Status end_participant(const Hash& person) override;
  Status put_claim(std::string_view claim_no, const Claim& c) override;
  Status end_claim(std::string_view claim_no) override;
  Status add_paid(std::string_view claim_no, domain::Rupiah amount) override;
  Status put_principal(std::string_view id, const Principal& p, const crypto::PublicKey& key) override;
  Status revoke_key(std::string_view id, const crypto::PublicKey& key) override;
  Status put_receipt(std::string_view principal, std::string_view receipt_no) override;
  Status remove_receipt(std::string_view principal, std::string_view receipt_no) override;
  Status add_coverage(const Hash& person, domain::YearMonth first, std::uint16_t months, int sign) override;
  Status put_schedule(const domain::ScheduleSet& s) override;
  Status put_applied(std::string_view principal, std::uint64_t seq, domain::EntryKind kind, ByteView undo) override;
  Status mark_voided(std::string_view principal, std::uint64_t seq) override;

 private:
  struct HashOfHash {
    std::size_t operator()(const Hash& h) const noexcept;
  };
  struct HashOfString {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  // A pending coverage range, as add_coverage() was given it.
  struct Range {
    domain::YearMonth first;
    std::uint16_t months = 0;
    bool operator==(const Range&) const = default;
  };

  // Flushes first when the cap is reached (called before each buffered write).
  Status make_room();
  void forget_admin_answers();

  // Whether the base may hold the row of `key` (a table's key hashed with its tag):
  // not while fresh, then only a key flushed before (the filter) if the span began over
  // an empty base, always otherwise.
  bool base_may_hold(std::uint64_t key) const;
  void remember_flushed();  // adds the keys of the pending rows to the filter
  Status flush_rows();      // through base_'s put_* calls
  Status flush_batches(BatchWriter& batch);

  void wait_released();

  State& base_;
  BatchWriter* batch_;  // base_ as a BatchWriter, or null
  bool release_in_background_ = false;
  std::thread releaser_;
  bool fresh_;
  bool filtering_;                      // began over an empty base: flushed_ says what the base holds
  std::vector<std::uint64_t> flushed_;  // the Bloom filter (empty until the first flush)
  std::size_t rows_max_;
  std::size_t pending_ = 0;
  std::uint64_t flushes_ = 0;

  std::unordered_map<Hash, std::optional<Participant>, HashOfHash> participants_;
  std::unordered_map<std::string, std::optional<Claim>, HashOfString, std::equal_to<>> claims_;
  std::unordered_map<Hash, domain::Rupiah, HashOfHash> death_paid_delta_;  // jkm paid: overlay minus base
  // Row keys of two parts, held as they are (no concatenated std::string), looked up
  // through their views without building a key: a lookup allocates nothing.
  struct ReceiptKey {
    std::string principal, receipt_no;
  };
  struct ReceiptView {
    std::string_view principal, receipt_no;
  };
  struct AppliedKey {
    std::string principal;
    std::uint64_t seq = 0;
  };
  struct AppliedView {
    std::string_view principal;
    std::uint64_t seq = 0;
  };
  struct RowKeyOps {
    using is_transparent = void;
    static ReceiptView view(const ReceiptKey& k) { return {k.principal, k.receipt_no}; }
    static ReceiptView view(const ReceiptView& k) { return k; }
    static AppliedView view(const AppliedKey& k) { return {k.principal, k.seq}; }
    static AppliedView view(const AppliedView& k) { return k; }
    static std::size_t hash(const ReceiptView& k) noexcept;
    static std::size_t hash(const AppliedView& k) noexcept;
    std::size_t operator()(const auto& k) const noexcept { return hash(view(k)); }
    static bool equal(const ReceiptView& a, const ReceiptView& b) noexcept {
      return a.principal == b.principal && a.receipt_no == b.receipt_no;
    }
    static bool equal(const AppliedView& a, const AppliedView& b) noexcept {
      return a.seq == b.seq && a.principal == b.principal;
    }
    bool operator()(const auto& a, const auto& b) const noexcept { return equal(view(a), view(b)); }
  };
  // The value: whether the receipt is used (false: a tombstone, removed in the span).
  std::unordered_map<ReceiptKey, bool, RowKeyOps, RowKeyOps> receipts_;
  std::unordered_map<Hash, std::vector<Range>, HashOfHash> coverage_added_;
  std::unordered_map<AppliedKey, Applied, RowKeyOps, RowKeyOps> applied_;

  // Remembered answers about admin tables (not pending rows; emptied on admin writes).
  static constexpr std::size_t answers_max = 4096;
  mutable bool has_principals_ = false;
  mutable std::map<std::string, std::optional<Principal>, std::less<>> principals_;
  mutable std::map<std::pair<std::string, crypto::PublicKey>, bool> keys_;
  mutable std::map<std::pair<domain::Programme, domain::Date>, std::optional<domain::ScheduleItem>> schedules_;
};

}  // namespace lontar::rules
