-- The resilience layer's memory of what was sent, shared by every process on this queue (the
-- CLI's `run` beside `serve`, a restarted engine) instead of living in one process.
--
-- Each attempt started against a provider that has per-minute limits or sends rate-limit
-- headers: its place in the provider's rate windows (tokens: estimated at the claim, corrected
-- by the usage its answer reported) and in the quota the provider's headers describe (estimate:
-- what the provider charged when the request arrived; answered_at says which of its readings
-- already counted it). A claim the breaker handed back before it ran is
-- deleted: it frees its slot. Rows leave once no window or quota counts them.
CREATE TABLE provider_starts (
  id INTEGER PRIMARY KEY,
  provider TEXT NOT NULL,
  job_id INTEGER NOT NULL,
  at INTEGER NOT NULL,
  estimate INTEGER NOT NULL CHECK (estimate >= 0),
  tokens INTEGER NOT NULL CHECK (tokens >= 0),
  answered_at INTEGER
);
CREATE INDEX provider_starts_by_time ON provider_starts (at);
CREATE INDEX provider_starts_answered ON provider_starts (provider, answered_at);

-- The newest rate-limit reading each provider sent (shared/ratelimit-headers QuotaReading, as JSON),
-- and the start whose answer brought it (that one is counted in it).
CREATE TABLE provider_quotas (
  provider TEXT PRIMARY KEY,
  sent_at INTEGER NOT NULL,
  start_id INTEGER NOT NULL,
  reading TEXT NOT NULL CHECK (json_valid(reading))
);

-- A provider cooling down after a cluster of 429s with Retry-After: no process claims its jobs until then.
CREATE TABLE provider_cooldowns (
  provider TEXT PRIMARY KEY,
  until INTEGER NOT NULL
);
