-- 0002_push_queue.sql — several lontar-server processes on one database (storage.hpp, SharedLog).
-- A process that does not hold the integrator role queues each push it accepted here; the
-- integrating process integrates it and writes its answer, which the first process takes.
CREATE TABLE log_push_queue(
  id BIGSERIAL PRIMARY KEY, principal TEXT NOT NULL, role BIGINT NOT NULL, key BYTEA NOT NULL, batch BYTEA NOT NULL);
-- error_code -1: the push was answered with `response` (an encoded PushResponse); otherwise
-- the lontar::Code of the error and its message.
CREATE TABLE log_push_answers(
  id BIGINT PRIMARY KEY, error_code BIGINT NOT NULL, message TEXT NOT NULL, response BYTEA NOT NULL);
