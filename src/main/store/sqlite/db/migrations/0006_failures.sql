-- Dead letters and failure groups: failed attempts grouped by a fingerprint, and the
-- regression set pinned from them.

-- One row per fingerprint (the category plus the message with numbers, ids, paths and quoted
-- values masked: src/main/failures/fingerprint.ts). Kept when its jobs are pruned: the
-- group is the history of what failed, its sample jobs only an example.
CREATE TABLE failure_groups (
  fingerprint TEXT PRIMARY KEY,
  category TEXT NOT NULL,
  -- The masked message every failure of the group shares.
  pattern TEXT NOT NULL,
  count INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  -- A JSON array of the most recent distinct job ids that failed this way (a few).
  sample_job_ids TEXT NOT NULL DEFAULT '[]',
  -- When the operator pinned it as a regression case.
  pinned_at INTEGER
) WITHOUT ROWID;
-- `failures list`: the most recently seen groups first.
CREATE INDEX failure_groups_by_last_seen ON failure_groups (last_seen);

-- A failing job's spec, copied when its group was pinned, so it can be enqueued again after
-- the job itself is retried, purged or pruned. No foreign key to jobs for the same reason.
CREATE TABLE regression_cases (
  id INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  -- JSON in the shape of a line of a .jsonl prompt file: prompt, provider, model, priority, attempts, tags, config.
  spec TEXT NOT NULL,
  source_job_id INTEGER,
  created_at INTEGER NOT NULL,
  -- The job of the latest `regressions run`, whose state is the case's latest result.
  last_job_id INTEGER,
  last_run_at INTEGER
);
CREATE INDEX regression_cases_by_fingerprint ON regression_cases (fingerprint);

-- The dead-letter queue by category and by provider: pages of `dlq list`, `dlq stats`, and
-- retry or purge by filter. Partial, so only dead jobs cost them anything on write.
CREATE INDEX jobs_dead_by_category ON jobs (error_category, id) WHERE state = 'dead';
CREATE INDEX jobs_dead_by_provider ON jobs (provider, id) WHERE state = 'dead';
