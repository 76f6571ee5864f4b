-- Traces: the spans of each attempt (a root span for the attempt, its phases as children),
-- kept for the job detail's waterfall and pruned by age. Times are milliseconds since the
-- epoch, fractional: a phase can be shorter than a millisecond.

-- No foreign key to jobs: spans are written in their own batches after the attempt's result,
-- and a job removed meanwhile must not fail the batch. Age retention removes what is left.
CREATE TABLE spans (
  id INTEGER PRIMARY KEY,
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  -- NULL for an attempt's root span.
  parent_span_id TEXT,
  job_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  name TEXT NOT NULL,
  start_ms REAL NOT NULL,
  end_ms REAL NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('unset', 'ok', 'error')),
  status_message TEXT,
  -- JSON objects and arrays; NULL when empty, which most phases are.
  attributes TEXT,
  events TEXT
);
-- The spans of a job, for its waterfall. Retention needs no index of its own: rows are
-- written as attempts end, so the oldest ids are the oldest spans (see sqlite/spans.ts).
CREATE INDEX spans_by_job ON spans (job_id);

-- Which trace an attempt ran under, so a log line or an exported trace leads to the attempt.
ALTER TABLE job_attempts ADD COLUMN trace_id TEXT;
