-- Usage by tag, per hour (kept 90 days) and per day (kept for good), written by settle beside
-- the provider rollups: the cost report by tag reads these rows instead of every attempt of
-- its range (4.7 s for a week of a million jobs), and outlives job retention as the others do.
-- A job with several tags counts under each; a job with none under '(no tag)'.
CREATE TABLE tag_rollups (
  resolution INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  tag TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  unpriced INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (resolution, bucket, tag)
) WITHOUT ROWID;

-- What the attempts still kept say, so the report by tag does not start empty.
INSERT INTO tag_rollups (resolution, bucket, tag, attempts, input_tokens, output_tokens, cost_usd, unpriced)
SELECT r.width, a.ended_at - a.ended_at % r.width, t.value, count(*), ifnull(sum(a.input_tokens), 0), ifnull(sum(a.output_tokens), 0),
  ifnull(sum(a.cost_usd), 0), sum(a.cost_usd IS NULL AND ifnull(a.input_tokens, 0) + ifnull(a.output_tokens, 0) > 0)
FROM job_attempts a JOIN jobs j ON j.id = a.job_id,
  json_each(CASE WHEN json_valid(j.tags) AND json_type(j.tags) = 'array' AND json_array_length(j.tags) > 0 THEN j.tags ELSE '["(no tag)"]' END) t,
  (SELECT 3600000 AS width UNION ALL SELECT 86400000) r
WHERE a.outcome IN ('ok', 'error')
GROUP BY 1, 2, 3;

-- Nothing else reads attempts by when they ended: one index fewer for every attempt settle writes.
DROP INDEX job_attempts_by_end;
