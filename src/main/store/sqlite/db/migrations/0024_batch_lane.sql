-- The batch lane (issue 17): jobs sent through a provider's batch API (OpenAI Batch,
-- Anthropic Message Batches) at half price, answered within a day.
--
-- A job inside a provider batch is in a state of its own, 'submitted', held by the
-- provider batch's row (below), not by a lease: hours of waiting are neither a stall nor a
-- crash. The state CHECK of 0001 cannot be altered in place, so jobs is rebuilt by SQLite's
-- twelve steps (the migration runs with foreign keys off and checks them before commit):
-- same columns in the same order, plus the lane and the link to a provider batch.
CREATE TABLE jobs_rebuilt (
  id INTEGER PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('queued', 'submitted', 'active', 'completed', 'dead', 'cancelled')),
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
  output TEXT,
  artifact TEXT,
  auth_refunds INTEGER NOT NULL DEFAULT 0 CHECK (auth_refunds >= 0),
  source_file INTEGER,
  source_row INTEGER,
  input TEXT,
  -- 'realtime': one request each, claimed by the scheduler; 'batch': gathered into provider
  -- batches (src/main/provider-batches), never claimed one by one.
  lane TEXT NOT NULL DEFAULT 'realtime' CHECK (lane IN ('realtime', 'batch')),
  -- While submitted (and after, for the job detail): the provider batch it went in, and its line's custom_id.
  provider_batch_id INTEGER REFERENCES provider_batches (id) ON DELETE SET NULL,
  batch_line TEXT
);

-- One upload to a provider's batch API: its id there, what it holds, where it stands, and
-- which engine polls it (a lease, so with several engines on one store one of them does,
-- and a restart or another engine takes over a batch whose poller is gone).
CREATE TABLE provider_batches (
  id INTEGER PRIMARY KEY,
  -- The profile (or provider) its jobs named, the provider kind it resolved to, and the model.
  provider TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('openai', 'anthropic')),
  model TEXT NOT NULL,
  -- preparing (lines taken, not yet accepted by the provider) -> sent -> cancelling (a deadline
  -- passed) -> settled; abandoned: the upload never got an id back, its lines were requeued.
  state TEXT NOT NULL CHECK (state IN ('preparing', 'sent', 'cancelling', 'settled', 'abandoned')),
  -- The provider's own words for it (validating, in_progress, finalizing, ended, expired...).
  remote_id TEXT,
  remote_status TEXT,
  requests INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  succeeded INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  requeued INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  polled_at INTEGER,
  next_poll_at INTEGER NOT NULL,
  polls INTEGER NOT NULL DEFAULT 0,
  -- The earliest deadline of its jobs: past it, unfinished lines move to the real-time lane.
  deadline_at INTEGER,
  ended_at INTEGER,
  owner TEXT,
  lease_expires_at INTEGER,
  error TEXT
);
CREATE INDEX provider_batches_open ON provider_batches (next_poll_at) WHERE state IN ('preparing', 'sent', 'cancelling');
CREATE UNIQUE INDEX provider_batches_by_remote ON provider_batches (kind, remote_id) WHERE remote_id IS NOT NULL;

INSERT INTO jobs_rebuilt (id, state, priority, run_at, created_at, updated_at, started_at, finished_at, batch_id, provider, model, prompt,
    config, tags, idempotency_key, attempts_made, max_attempts, stalled_count, lease_owner, lease_expires_at, last_error, error_category,
    output, artifact, auth_refunds, source_file, source_row, input, lane)
  SELECT id, state, priority, run_at, created_at, updated_at, started_at, finished_at, batch_id, provider, model, prompt,
    config, tags, idempotency_key, attempts_made, max_attempts, stalled_count, lease_owner, lease_expires_at, last_error, error_category,
    output, artifact, auth_refunds, source_file, source_row, input,
    CASE WHEN json_valid(config) AND json_extract(config, '$.lane') = 'batch' THEN 'batch' ELSE 'realtime' END
  FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_rebuilt RENAME TO jobs;

-- The indexes of 0001 to 0015, as they were, except the two the claim reads: those now
-- leave the batch lane out, so the real-time claim never walks past a batch-lane job.
-- The claim by track (provider, model, batch; 0005 called it a lane) is renamed with them.
CREATE INDEX jobs_ready ON jobs (priority, run_at, id) WHERE state = 'queued' AND lane = 'realtime';
CREATE INDEX jobs_ready_by_track ON jobs (provider, ifnull(model, ''), ifnull(batch_id, 0), priority, run_at, id) WHERE state = 'queued' AND lane = 'realtime';
CREATE INDEX jobs_by_state ON jobs (state, id);
CREATE INDEX jobs_finished ON jobs (state, finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX jobs_by_batch ON jobs (batch_id, id);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_dead_by_category ON jobs (error_category, id) WHERE state = 'dead';
CREATE INDEX jobs_dead_by_provider ON jobs (provider, id) WHERE state = 'dead';
CREATE INDEX jobs_by_model ON jobs (provider, model, id);
CREATE INDEX jobs_by_priority ON jobs (priority, id);
CREATE INDEX jobs_by_source ON jobs (batch_id, source_file, source_row) WHERE source_row IS NOT NULL;
-- The batch lane's own: what the gatherer takes, oldest due first.
CREATE INDEX jobs_batch_lane ON jobs (run_at, id) WHERE state = 'queued' AND lane = 'batch';
-- A provider batch's lines.
CREATE INDEX jobs_by_provider_batch ON jobs (provider_batch_id) WHERE provider_batch_id IS NOT NULL;

-- The triggers of 0015 and 0021, as they were (dropped with the old table).
CREATE TRIGGER batch_counts_on_state AFTER UPDATE OF state ON jobs
  WHEN new.batch_id IS NOT NULL AND old.state <> new.state
BEGIN
  UPDATE batch_counts SET n = n - 1 WHERE batch_id = old.batch_id AND state = old.state;
  INSERT INTO batch_counts (batch_id, state, n) VALUES (new.batch_id, new.state, 1)
    ON CONFLICT (batch_id, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER batch_finishes_on_state AFTER UPDATE OF state ON jobs
  WHEN new.batch_id IS NOT NULL AND old.state <> new.state AND new.state IN ('completed', 'dead')
BEGIN
  INSERT INTO batch_finishes (batch_id, minute, completed, dead)
    VALUES (new.batch_id, ifnull(new.finished_at, new.updated_at) / 60000, new.state = 'completed', new.state = 'dead')
    ON CONFLICT (batch_id, minute) DO UPDATE SET completed = completed + (new.state = 'completed'), dead = dead + (new.state = 'dead');
END;

CREATE TRIGGER batch_counts_on_delete AFTER DELETE ON jobs
  WHEN old.batch_id IS NOT NULL
BEGIN
  UPDATE batch_counts SET n = n - 1 WHERE batch_id = old.batch_id AND state = old.state;
END;

CREATE TRIGGER metric_totals_on_finish AFTER UPDATE OF state ON jobs
  WHEN new.state IN ('completed', 'dead', 'cancelled') AND old.state <> new.state
BEGIN
  INSERT INTO metric_totals (metric, provider, model, detail, n) VALUES ('jobs_finished', new.provider, ifnull(new.model, ''), new.state, 1)
    ON CONFLICT (metric, provider, model, detail) DO UPDATE SET n = n + 1;
END;

INSERT INTO job_counts (state, n) VALUES ('submitted', 0);
-- The dashboard's queue depth keeps the new state beside the others (samples before it read 0).
ALTER TABLE depth_samples ADD COLUMN submitted INTEGER NOT NULL DEFAULT 0;
