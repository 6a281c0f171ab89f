-- 0003_push_answers_age.sql — answers nobody takes are deleted (pg_storage.cpp,
-- delete_stale_answers): a push whose accepting process died, or gave up waiting
-- (queued_push_wait_max), leaves its answer here; each row now says when it was written.
ALTER TABLE log_push_answers ADD COLUMN answered_at TIMESTAMPTZ NOT NULL DEFAULT now();
