-- One truth for the metrics: counters that describe jobs are read from what the store
-- recorded, whoever wrote it (the CLI, the app, another engine), never from what one
-- process saw. The rollups keep tokens and cost; what they do not keep is counted here, in
-- the same transaction as the thing counted, and never pruned, so a counter never goes back.
--
-- metric: jobs_enqueued (provider, model: the job's), jobs_finished (the job's provider and
-- model, detail = outcome: completed, dead, cancelled), attempts (provider and model that
-- ran, detail = failure category, 'none' for a success), intake_jobs (detail = format).
CREATE TABLE metric_totals (
  metric TEXT NOT NULL,
  provider TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  n INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (metric, provider, model, detail)
) WITHOUT ROWID;

-- From what an older database still holds, so a counter does not start again at 0: the jobs
-- kept (pruned ones are not known by provider), the finished among them, and the attempts
-- as the rollups count them (1d rows, 86400000 ms wide, kept for good), their failures by
-- category as far as the attempts still kept say, the rest as UNKNOWN.
INSERT INTO metric_totals (metric, provider, model, n)
  SELECT 'jobs_enqueued', provider, ifnull(model, ''), count(*) FROM jobs GROUP BY provider, ifnull(model, '');
INSERT INTO metric_totals (metric, provider, model, detail, n)
  SELECT 'jobs_finished', provider, ifnull(model, ''), state, count(*) FROM jobs
  WHERE state IN ('completed', 'dead', 'cancelled') GROUP BY provider, ifnull(model, ''), state;
INSERT INTO metric_totals (metric, provider, model, detail, n)
  SELECT 'attempts', provider, model, 'none', sum(completed) FROM usage_rollups
  WHERE resolution = 86400000 AND provider <> '' GROUP BY provider, model HAVING sum(completed) > 0;
INSERT INTO metric_totals (metric, provider, model, detail, n)
  SELECT 'attempts', ifnull(a.provider, j.provider), ifnull(a.model, ifnull(j.model, '')), ifnull(a.error_category, 'UNKNOWN'), count(*)
  FROM job_attempts AS a JOIN jobs AS j ON j.id = a.job_id WHERE a.outcome IN ('error', 'stalled') GROUP BY 2, 3, 4;
INSERT INTO metric_totals (metric, provider, model, detail, n)
  SELECT 'attempts', r.provider, r.model, 'UNKNOWN', r.errors - ifnull(k.n, 0)
  FROM (SELECT provider, model, sum(failed + dead) AS errors FROM usage_rollups WHERE resolution = 86400000 AND provider <> '' GROUP BY provider, model) AS r
  LEFT JOIN (SELECT provider, model, sum(n) AS n FROM metric_totals WHERE metric = 'attempts' AND detail <> 'none' GROUP BY provider, model) AS k
    ON k.provider = r.provider AND k.model = r.model
  WHERE r.errors > ifnull(k.n, 0)
  ON CONFLICT (metric, provider, model, detail) DO UPDATE SET n = n + excluded.n;

-- Every job that leaves the queue, whichever code moved it (settle, a cancel from the CLI, the
-- API or a bulk action, a stall past its limit, a config that no longer parses at claim): a
-- trigger, so no path can forget it. Only a change into a finished state does any work; a
-- claim's or a retry's update passes the WHEN and writes nothing.
CREATE TRIGGER metric_totals_on_finish AFTER UPDATE OF state ON jobs
  WHEN new.state IN ('completed', 'dead', 'cancelled') AND old.state <> new.state
BEGIN
  INSERT INTO metric_totals (metric, provider, model, detail, n) VALUES ('jobs_finished', new.provider, ifnull(new.model, ''), new.state, 1)
    ON CONFLICT (metric, provider, model, detail) DO UPDATE SET n = n + 1;
END;

-- Which engine exports the store-wide series, when several share the store: one row, taken
-- by an engine whose exporter listens and renewed well before it expires; a crashed holder's
-- lease runs out and another engine takes it. Without it, sum() over the engines' scrapes
-- would count every job once per engine.
CREATE TABLE exporter_lease (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
