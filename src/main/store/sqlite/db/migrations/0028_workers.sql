-- The engines working this queue (src/shared/workers.ts): each registers at start under its
-- lease owner (host:pid:random), beats every few seconds and marks its stop, so every
-- process on the store can list them with the jobs each holds. Rows of engines stopped or
-- silent for a day are removed when an engine starts (src/main/workers.ts).
CREATE TABLE workers (
  owner TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  version TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  stopped_at INTEGER
) WITHOUT ROWID;
