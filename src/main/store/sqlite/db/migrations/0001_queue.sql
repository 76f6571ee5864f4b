-- The durable job queue: jobs, their batches, every transition and every attempt.
-- Times are milliseconds since the epoch (UTC); priorities 0 high, 1 normal, 2 low.

CREATE TABLE batches (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  job_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('queued', 'active', 'completed', 'dead', 'cancelled')),
  priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 2),
  run_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  batch_id INTEGER REFERENCES batches (id) ON DELETE SET NULL,
  provider TEXT NOT NULL,
  model TEXT,
  prompt TEXT NOT NULL,
  config TEXT,
  tags TEXT,
  idempotency_key TEXT,
  attempts_made INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  stalled_count INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  last_error TEXT,
  error_category TEXT,
  output TEXT
);

-- The claim: queued jobs in priority order, oldest due first; also the delayed count, by
-- range per priority. Partial, so finished jobs cost it nothing.
CREATE INDEX jobs_ready ON jobs (priority, run_at, id) WHERE state = 'queued';
-- Newest page of a state; also the active jobs for heartbeats and lease expiry (a few
-- hundred at most, so they need no index of their own to keep up on every claim).
CREATE INDEX jobs_by_state ON jobs (state, id);
-- Retention by age.
CREATE INDEX jobs_finished ON jobs (state, finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX jobs_by_batch ON jobs (batch_id, id);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;

-- One row per transition after creation (the creation is jobs.created_at).
CREATE TABLE job_events (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX job_events_by_job ON job_events (job_id);

-- One row per attempt, written when it ends (ok, error, stalled or cancelled).
CREATE TABLE job_attempts (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'error', 'stalled', 'cancelled')),
  error_category TEXT,
  error TEXT,
  input_tokens INTEGER,
  output_tokens INTEGER
);
CREATE INDEX job_attempts_by_job ON job_attempts (job_id);

-- Counts by stored state, kept by the queue's own transactions so the dashboard never scans jobs.
CREATE TABLE job_counts (
  state TEXT PRIMARY KEY,
  n INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO job_counts (state, n) VALUES ('queued', 0), ('active', 0), ('completed', 0), ('dead', 0), ('cancelled', 0);

-- Queue-wide switches another process may flip (the CLI's `queue pause`).
CREATE TABLE queue_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
