-- The response cache: a completed answer kept under the hash of the request that made it
-- (provider kind, endpoint, model, rendered prompt, parameters, output schema: see
-- src/main/cache/key.ts), so an identical request reuses it instead of calling the provider.
-- Neither the request nor any credential is kept: only its sha256. Entries are the store's,
-- not the jobs': job retention never prunes them; `genops cache clear` does.
-- cost_usd is what the answer cost when it was made (NULL: unpriced); saved_usd sums what
-- its hits would have cost at the prices of their day.
CREATE TABLE response_cache (
  key TEXT PRIMARY KEY,
  provider_kind TEXT NOT NULL,
  model TEXT,
  output TEXT NOT NULL,
  input_tokens INTEGER,
  output_tokens INTEGER,
  cost_usd REAL,
  -- The job whose attempt made it (it may since have been pruned: no foreign key).
  source_job_id INTEGER,
  created_at INTEGER NOT NULL,
  -- The output's size in bytes, so the totals below stay exact through a clear.
  bytes INTEGER NOT NULL,
  hits INTEGER NOT NULL DEFAULT 0,
  saved_usd REAL NOT NULL DEFAULT 0,
  last_hit_at INTEGER
);
-- `genops cache clear --older-than 30d`.
CREATE INDEX response_cache_by_created ON response_cache (created_at);

-- One row, kept by the same transactions that add, hit and clear entries, so the size shown
-- in `genops settings list` and `genops cache stats` never scans the cache.
CREATE TABLE response_cache_totals (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  entries INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  hits INTEGER NOT NULL DEFAULT 0,
  saved_usd REAL NOT NULL DEFAULT 0
);
INSERT INTO response_cache_totals (id) VALUES (1);

-- An attempt answered from the cache: no provider call, cost 0, and what it saved.
ALTER TABLE job_attempts ADD COLUMN cached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job_attempts ADD COLUMN saved_usd REAL;
