-- Costs and the dashboard's figures: what each attempt ran on and cost, rollups that outlive
-- job retention, queue depth over time, batch totals, price overrides and budgets.

-- What an attempt ran on: the job's provider name (a profile or a provider kind), the kind and
-- model it resolved to (what prices apply to), and its cost in USD (NULL: the model has no price).
ALTER TABLE job_attempts ADD COLUMN provider TEXT;
ALTER TABLE job_attempts ADD COLUMN provider_kind TEXT;
ALTER TABLE job_attempts ADD COLUMN model TEXT;
ALTER TABLE job_attempts ADD COLUMN cost_usd REAL;
-- The cost report by tag reads the attempts of a time range (of the jobs still kept).
CREATE INDEX job_attempts_by_end ON job_attempts (ended_at);

-- A batch's running totals, kept by settle so a batch's cost is one row to read, and a batch
-- budget's check costs nothing. A paused batch's jobs stay queued (held) until it is resumed.
ALTER TABLE batches ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN output_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN cost_usd REAL NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN unpriced_attempts INTEGER NOT NULL DEFAULT 0;
-- When an attempt of the batch last settled: the cost report by batch shows batches active in its range.
ALTER TABLE batches ADD COLUMN settled_at INTEGER;
CREATE INDEX batches_by_settled ON batches (settled_at) WHERE settled_at IS NOT NULL;
ALTER TABLE batches ADD COLUMN paused_at INTEGER;
ALTER TABLE batches ADD COLUMN pause_reason TEXT;
CREATE INDEX batches_paused ON batches (id) WHERE paused_at IS NOT NULL;

-- Settled attempts per time bucket, provider (as jobs name it), provider kind and model, at
-- four resolutions (resolution is the bucket's width in ms: 1 s kept an hour, 1 min a week,
-- 1 h 90 days, 1 day for good). Written in the settle transaction; the primary key is the
-- series' range scan. failed = failed and sent back to the queue; dead = failed for good.
-- lat_0..lat_31 count completed attempts by duration (src/main/telemetry/rollups.ts has the bounds).
-- The row with provider '' (no job's provider is empty) holds every provider and model
-- together: what the dashboard's series read when they name neither, one row a bucket, kept
-- beside the bucket's other rows so writing it dirties no other page.
CREATE TABLE usage_rollups (
  resolution INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  provider TEXT NOT NULL,
  provider_kind TEXT NOT NULL,
  -- '' when the job named no model.
  model TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  completed INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  dead INTEGER NOT NULL DEFAULT 0,
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  -- Attempts whose tokens had no price: counted, not costed.
  unpriced INTEGER NOT NULL DEFAULT 0,
  lat_0 INTEGER NOT NULL DEFAULT 0,
  lat_1 INTEGER NOT NULL DEFAULT 0,
  lat_2 INTEGER NOT NULL DEFAULT 0,
  lat_3 INTEGER NOT NULL DEFAULT 0,
  lat_4 INTEGER NOT NULL DEFAULT 0,
  lat_5 INTEGER NOT NULL DEFAULT 0,
  lat_6 INTEGER NOT NULL DEFAULT 0,
  lat_7 INTEGER NOT NULL DEFAULT 0,
  lat_8 INTEGER NOT NULL DEFAULT 0,
  lat_9 INTEGER NOT NULL DEFAULT 0,
  lat_10 INTEGER NOT NULL DEFAULT 0,
  lat_11 INTEGER NOT NULL DEFAULT 0,
  lat_12 INTEGER NOT NULL DEFAULT 0,
  lat_13 INTEGER NOT NULL DEFAULT 0,
  lat_14 INTEGER NOT NULL DEFAULT 0,
  lat_15 INTEGER NOT NULL DEFAULT 0,
  lat_16 INTEGER NOT NULL DEFAULT 0,
  lat_17 INTEGER NOT NULL DEFAULT 0,
  lat_18 INTEGER NOT NULL DEFAULT 0,
  lat_19 INTEGER NOT NULL DEFAULT 0,
  lat_20 INTEGER NOT NULL DEFAULT 0,
  lat_21 INTEGER NOT NULL DEFAULT 0,
  lat_22 INTEGER NOT NULL DEFAULT 0,
  lat_23 INTEGER NOT NULL DEFAULT 0,
  lat_24 INTEGER NOT NULL DEFAULT 0,
  lat_25 INTEGER NOT NULL DEFAULT 0,
  lat_26 INTEGER NOT NULL DEFAULT 0,
  lat_27 INTEGER NOT NULL DEFAULT 0,
  lat_28 INTEGER NOT NULL DEFAULT 0,
  lat_29 INTEGER NOT NULL DEFAULT 0,
  lat_30 INTEGER NOT NULL DEFAULT 0,
  lat_31 INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (resolution, bucket, provider, provider_kind, model)
) WITHOUT ROWID;

-- Queue depth by state, sampled every few seconds by a running engine, summed per bucket at
-- the same resolutions (a bucket's depth is the sum over samples).
CREATE TABLE depth_samples (
  resolution INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  samples INTEGER NOT NULL,
  queued INTEGER NOT NULL,
  delayed INTEGER NOT NULL,
  active INTEGER NOT NULL,
  completed INTEGER NOT NULL,
  dead INTEGER NOT NULL,
  cancelled INTEGER NOT NULL,
  PRIMARY KEY (resolution, bucket)
) WITHOUT ROWID;

-- An operator's prices, over the list in resources/pricing.json. provider is a provider kind
-- or a profile's name; model a model name or '*' for the provider's other models.
CREATE TABLE price_overrides (
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  input_per_million REAL NOT NULL CHECK (input_per_million >= 0),
  output_per_million REAL NOT NULL CHECK (output_per_million >= 0),
  set_at INTEGER NOT NULL,
  PRIMARY KEY (provider, model)
) WITHOUT ROWID;

-- Budgets: one for the (UTC) day, one per batch at most. crossed_at is when it was last
-- crossed, so the notice goes out once (a day budget once a day).
CREATE TABLE budgets (
  id INTEGER PRIMARY KEY,
  scope TEXT NOT NULL CHECK (scope IN ('day', 'batch')),
  batch_id INTEGER REFERENCES batches (id) ON DELETE CASCADE,
  limit_usd REAL NOT NULL CHECK (limit_usd > 0),
  action TEXT NOT NULL CHECK (action IN ('alert', 'pause')),
  created_at INTEGER NOT NULL,
  crossed_at INTEGER,
  CHECK ((scope = 'day') = (batch_id IS NULL))
);
CREATE UNIQUE INDEX budgets_by_scope ON budgets (scope, ifnull(batch_id, 0));
