-- Results out: where each job came from, a batch's progress kept as it moves, and the link
-- from a re-run to the batch it repeats.

-- The files a batch was made from, in the order they were given (a drop may hold several).
-- columns: the input's own column names (a CSV header) or JSON fields (their union in order
-- of first appearance), as a JSON array: what an export writes first.
CREATE TABLE batch_sources (
  batch_id INTEGER NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
  file_index INTEGER NOT NULL,
  name TEXT NOT NULL,
  format TEXT NOT NULL,
  jobs INTEGER NOT NULL,
  columns TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (batch_id, file_index)
) WITHOUT ROWID;

-- A job's place in its input: the file (batch_sources.file_index), the line or row it starts
-- on (0: the file is one prompt), and the input's own fields as JSON (a CSV row's cells, a
-- JSONL line's object). NULL for jobs enqueued before this migration or through the API.
ALTER TABLE jobs ADD COLUMN source_file INTEGER;
ALTER TABLE jobs ADD COLUMN source_row INTEGER;
ALTER TABLE jobs ADD COLUMN input TEXT;
-- The same row in another run of the same input: what a comparison looks up. Partial, so jobs
-- without a source (the API's, older ones) cost it nothing.
CREATE INDEX jobs_by_source ON jobs (batch_id, source_file, source_row) WHERE source_row IS NOT NULL;

-- A batch run again with changes: the batch it repeats (what compare pairs it with) and what changed.
ALTER TABLE batches ADD COLUMN rerun_of INTEGER REFERENCES batches (id) ON DELETE SET NULL;
ALTER TABLE batches ADD COLUMN rerun_changes TEXT;
-- Who last capped the batch's concurrency, in words ("the operator", "enqueue --max-concurrency").
ALTER TABLE batches ADD COLUMN capped_by TEXT;

-- Jobs by state per batch, so the batches screen never counts a batch's jobs. Enqueue adds a
-- batch's queued jobs in its own transaction (one statement, not a trigger per row); every
-- later change of state and every removal is kept here by the triggers below, whichever code
-- made it (claim, settle, cancel, retry, recovery, retention).
CREATE TABLE batch_counts (
  batch_id INTEGER NOT NULL,
  state TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (batch_id, state)
) WITHOUT ROWID;
INSERT INTO batch_counts (batch_id, state, n) SELECT batch_id, state, count(*) FROM jobs WHERE batch_id IS NOT NULL GROUP BY batch_id, state;

-- Jobs of a batch that finished (completed or dead) per minute: the recent rate an ETA is made of.
CREATE TABLE batch_finishes (
  batch_id INTEGER NOT NULL,
  minute INTEGER NOT NULL,
  completed INTEGER NOT NULL DEFAULT 0,
  dead INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (batch_id, minute)
) WITHOUT ROWID;

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

-- A cap changed after the enqueue (`genops batches limit`, the window) is the operator's.
CREATE TRIGGER batch_cap_by_operator AFTER UPDATE OF max_concurrency ON batches
  WHEN new.max_concurrency IS NOT old.max_concurrency
BEGIN
  UPDATE batches SET capped_by = 'the operator' WHERE id = new.id;
END;

-- A batch removed takes its figures with it.
CREATE TRIGGER batch_figures_on_delete AFTER DELETE ON batches
BEGIN
  DELETE FROM batch_counts WHERE batch_id = old.id;
  DELETE FROM batch_finishes WHERE batch_id = old.id;
END;
