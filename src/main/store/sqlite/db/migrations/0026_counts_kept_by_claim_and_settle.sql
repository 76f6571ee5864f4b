-- The claim and the settle move every job at least twice, a few hundred at a time. The
-- triggers of 0024 then wrote six statements a job (batch_counts twice a move, a batch
-- finish, a finished-jobs total): about a fifth of a no-op drain's CPU (bench/README.md).
-- Those two paths now add the same counts themselves, one write per batch, state, minute
-- or model (src/main/queue/sqlite/state-moves.ts), and switch the triggers off for their
-- own statements by setting `active` inside their transaction and clearing it before it
-- commits: no other connection ever sees it set, and every other path (a cancel from the
-- CLI, a retry, a stall, a hand edit) still counts through the triggers.
CREATE TABLE counted_by_caller (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  active INTEGER NOT NULL DEFAULT 0
);
INSERT INTO counted_by_caller (id, active) VALUES (1, 0);

DROP TRIGGER batch_counts_on_state;
CREATE TRIGGER batch_counts_on_state AFTER UPDATE OF state ON jobs
  WHEN new.batch_id IS NOT NULL AND old.state <> new.state AND NOT (SELECT active FROM counted_by_caller WHERE id = 1)
BEGIN
  UPDATE batch_counts SET n = n - 1 WHERE batch_id = old.batch_id AND state = old.state;
  INSERT INTO batch_counts (batch_id, state, n) VALUES (new.batch_id, new.state, 1)
    ON CONFLICT (batch_id, state) DO UPDATE SET n = n + 1;
END;

DROP TRIGGER batch_finishes_on_state;
CREATE TRIGGER batch_finishes_on_state AFTER UPDATE OF state ON jobs
  WHEN new.batch_id IS NOT NULL AND old.state <> new.state AND new.state IN ('completed', 'dead')
    AND NOT (SELECT active FROM counted_by_caller WHERE id = 1)
BEGIN
  INSERT INTO batch_finishes (batch_id, minute, completed, dead)
    VALUES (new.batch_id, ifnull(new.finished_at, new.updated_at) / 60000, new.state = 'completed', new.state = 'dead')
    ON CONFLICT (batch_id, minute) DO UPDATE SET completed = completed + (new.state = 'completed'), dead = dead + (new.state = 'dead');
END;

DROP TRIGGER metric_totals_on_finish;
CREATE TRIGGER metric_totals_on_finish AFTER UPDATE OF state ON jobs
  WHEN new.state IN ('completed', 'dead', 'cancelled') AND old.state <> new.state
    AND NOT (SELECT active FROM counted_by_caller WHERE id = 1)
BEGIN
  INSERT INTO metric_totals (metric, provider, model, detail, n) VALUES ('jobs_finished', new.provider, ifnull(new.model, ''), new.state, 1)
    ON CONFLICT (metric, provider, model, detail) DO UPDATE SET n = n + 1;
END;
