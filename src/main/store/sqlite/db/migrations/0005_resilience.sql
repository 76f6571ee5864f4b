-- Resilience: what the scheduler's gates need on disk.

-- A batch may cap how many of its jobs run at once, so one large batch cannot starve the rest.
ALTER TABLE batches ADD COLUMN max_concurrency INTEGER CHECK (max_concurrency IS NULL OR max_concurrency > 0);

-- The claim by lane (provider, model, batch): a held lane (breaker open, rate limited, batch
-- at its cap) is skipped with one seek instead of a scan through its queued jobs.
-- NULLs are folded (ifnull) so lanes compare as row values in the seek from one lane to the next.
CREATE INDEX jobs_ready_by_lane ON jobs (provider, ifnull(model, ''), ifnull(batch_id, 0), priority, run_at, id) WHERE state = 'queued';

-- Providers (or profiles) paused by the operator, or by an AUTH failure until the key is fixed.
CREATE TABLE provider_pauses (
  provider TEXT PRIMARY KEY,
  reason TEXT NOT NULL,
  paused_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Every breaker transition, for the operator and the chaos test. Also how a command reaches
-- a running engine from another process: `genops breakers reset` appends a row with owner
-- 'operator', which every engine applies when its poll sees the write.
CREATE TABLE breaker_events (
  id INTEGER PRIMARY KEY,
  breaker TEXT NOT NULL,
  at INTEGER NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL CHECK (to_state IN ('closed', 'open', 'half-open', 'isolated')),
  -- While open: when the next probe may go.
  open_until INTEGER,
  reason TEXT,
  owner TEXT NOT NULL
);
CREATE INDEX breaker_events_by_breaker ON breaker_events (breaker, id);
