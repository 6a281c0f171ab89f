-- 0001_initial.sql — the central log's tables on PostgreSQL (server/log/pg_storage.cpp).
-- The same rows as the SQLite store (server/log/storage.hpp lists them). Integers are
-- BIGINT, byte strings BYTEA, text TEXT: the server reads every column in binary.
-- Applied once, in one transaction, recorded in lontar_schema_migrations.

CREATE TABLE log_settings(name TEXT PRIMARY KEY, value BYTEA NOT NULL);
-- Leaf hashes live in the level-0 tiles; a leaf row holds only the leaf's bytes.
CREATE TABLE log_leaves(idx BIGINT PRIMARY KEY, leaf BYTEA NOT NULL);
CREATE TABLE log_entries(
  principal TEXT NOT NULL, seq BIGINT NOT NULL, leaf_index BIGINT NOT NULL, entry_hash BYTEA NOT NULL,
  PRIMARY KEY(principal, seq));
CREATE TABLE log_seals(
  principal TEXT NOT NULL, last_seq BIGINT NOT NULL, leaf_index BIGINT NOT NULL,
  PRIMARY KEY(principal, last_seq));
CREATE TABLE log_heads(principal TEXT PRIMARY KEY, seq BIGINT NOT NULL, hash BYTEA NOT NULL);
CREATE TABLE log_tiles(level BIGINT NOT NULL, idx BIGINT NOT NULL, hashes BYTEA NOT NULL, PRIMARY KEY(level, idx));
CREATE TABLE log_checkpoints(size BIGINT PRIMARY KEY, note TEXT NOT NULL, signed_at_ms BIGINT NOT NULL);
CREATE TABLE log_equivocations(
  id BIGSERIAL PRIMARY KEY, principal TEXT NOT NULL, seq BIGINT NOT NULL, logged_hash BYTEA NOT NULL,
  offered_hash BYTEA NOT NULL, offered_batch BYTEA NOT NULL, detected_at_ms BIGINT NOT NULL);
CREATE TABLE log_keys(key BYTEA PRIMARY KEY, principal TEXT NOT NULL, role BIGINT NOT NULL, active BIGINT NOT NULL);

-- The rules engine's state (rules::State; the same tables as shared/rules/sqlite_state.cpp).
-- Dates are YYYYMMDD integers, months year * 12 + month - 1.
CREATE TABLE rules_participants(
  person BYTEA PRIMARY KEY, principal TEXT NOT NULL, seq BIGINT NOT NULL,
  programmes BIGINT NOT NULL, coverage_start BIGINT NOT NULL);
CREATE TABLE rules_claims(
  claim_no TEXT PRIMARY KEY, person BYTEA NOT NULL, principal TEXT NOT NULL, seq BIGINT NOT NULL,
  programme BIGINT NOT NULL, event_date BIGINT NOT NULL, paid BIGINT NOT NULL);
CREATE INDEX rules_claims_by_person ON rules_claims(person, programme);
CREATE TABLE rules_principals(id TEXT PRIMARY KEY, role BIGINT NOT NULL, name TEXT NOT NULL, scope TEXT NOT NULL);
CREATE TABLE rules_keys(id TEXT NOT NULL, key BYTEA NOT NULL, active BIGINT NOT NULL, PRIMARY KEY(id, key));
CREATE TABLE rules_receipts(principal TEXT NOT NULL, receipt_no TEXT NOT NULL, PRIMARY KEY(principal, receipt_no));
CREATE TABLE rules_coverage(
  id BIGSERIAL PRIMARY KEY, person BYTEA NOT NULL, first_month BIGINT NOT NULL, last_month BIGINT NOT NULL);
CREATE INDEX rules_coverage_by_person ON rules_coverage(person, first_month);
CREATE TABLE rules_schedules(
  programme BIGINT NOT NULL, effective BIGINT NOT NULL, benefit_max BIGINT NOT NULL,
  contribution_monthly BIGINT NOT NULL, PRIMARY KEY(programme, effective));
CREATE TABLE rules_applied(
  principal TEXT NOT NULL, seq BIGINT NOT NULL, kind BIGINT NOT NULL, voided BIGINT NOT NULL,
  undo BYTEA NOT NULL, PRIMARY KEY(principal, seq));
