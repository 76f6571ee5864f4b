-- Budgets that stop in time: in USD or in tokens (so local models, which cost nothing, can
-- be capped), for the UTC day, a batch, a provider kind or a profile (those two per UTC day).
-- A claim reserves each attempt's estimated cost (prompt tokens plus maxTokens, at the price)
-- against every budget it falls under, in budget_reservations, and settle replaces the
-- reservation with what the attempt really cost, in the same transaction: a budget that
-- pauses is never crossed by more than the one attempt that ran over its estimate.
-- notified_pct is the highest of 50, 80 and 100 % already told, in the period notified_period
-- (the UTC day's start; 0 for a batch budget, which has one period).
CREATE TABLE budgets_by_unit (
  id INTEGER PRIMARY KEY,
  scope TEXT NOT NULL CHECK (scope IN ('day', 'batch', 'provider', 'profile')),
  batch_id INTEGER REFERENCES batches (id) ON DELETE CASCADE,
  -- The provider kind (scope provider) or profile name (scope profile); '' otherwise.
  target TEXT NOT NULL DEFAULT '',
  unit TEXT NOT NULL CHECK (unit IN ('usd', 'tokens')),
  limit_value REAL NOT NULL CHECK (limit_value > 0),
  action TEXT NOT NULL CHECK (action IN ('alert', 'pause')),
  created_at INTEGER NOT NULL,
  crossed_at INTEGER,
  notified_pct INTEGER NOT NULL DEFAULT 0,
  notified_period INTEGER NOT NULL DEFAULT 0,
  CHECK ((scope = 'batch') = (batch_id IS NOT NULL)),
  CHECK ((scope IN ('provider', 'profile')) = (target <> ''))
);
INSERT INTO budgets_by_unit (id, scope, batch_id, target, unit, limit_value, action, created_at, crossed_at)
  SELECT id, scope, batch_id, '', 'usd', limit_usd, action, created_at, crossed_at FROM budgets;
DROP TABLE budgets;
ALTER TABLE budgets_by_unit RENAME TO budgets;
CREATE UNIQUE INDEX budgets_by_scope ON budgets (scope, ifnull(batch_id, 0), target, unit);

CREATE TABLE budget_reservations (
  job_id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  -- As the job names it (a profile, or a provider kind), and the kind it resolved to.
  provider TEXT NOT NULL,
  provider_kind TEXT NOT NULL,
  batch_id INTEGER,
  usd REAL NOT NULL CHECK (usd >= 0),
  tokens INTEGER NOT NULL CHECK (tokens >= 0)
);
