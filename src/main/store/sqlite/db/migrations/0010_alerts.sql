-- Alerts: the operator's rules (changes to the shipped defaults in resources/alerts.json, and
-- rules of their own), where each rule stands now, and every transition.

-- A rule as the operator saved it (JSON of src/shared/alerts.ts's AlertRule): read back as
-- unknown and parsed; one that no longer parses is skipped with a warning, never a crash.
CREATE TABLE alert_rules (
  name TEXT PRIMARY KEY,
  rule TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Where each rule stands, written by the engine that evaluates it: the CLI reads it from
-- beside a running app, and a restarted engine carries on without notifying twice.
CREATE TABLE alert_states (
  name TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('inactive', 'pending', 'firing')),
  since INTEGER,
  value REAL,
  evaluated_at INTEGER NOT NULL
);

-- One row per transition (not per evaluation). Pruned by age with the other history.
CREATE TABLE alert_history (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
  from_state TEXT NOT NULL CHECK (from_state IN ('inactive', 'pending', 'firing')),
  to_state TEXT NOT NULL CHECK (to_state IN ('pending', 'firing', 'resolved')),
  at INTEGER NOT NULL,
  value REAL,
  summary TEXT NOT NULL
);
CREATE INDEX alert_history_by_at ON alert_history (at);
CREATE INDEX alert_history_by_name ON alert_history (name, at);
