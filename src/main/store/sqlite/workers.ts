/** SQLite's workers (store/workers.ts): a row per engine, its claims counted from the jobs it holds. */
import type { Database } from 'better-sqlite3'
import { sql } from './db/connection'
import type { StoredWorker, WorkerIdentity, WorkerStore } from '../workers'

// Active jobs by owner: a range of jobs_by_state, whatever the queue's size.
const LIST = `SELECT w.owner, w.host, w.pid, w.version, w.started_at AS startedAt, w.heartbeat_at AS heartbeatAt, w.stopped_at AS stoppedAt,
    ifnull(c.n, 0) AS claims
  FROM workers w LEFT JOIN (SELECT lease_owner, count(*) AS n FROM jobs INDEXED BY jobs_by_state WHERE state = 'active' GROUP BY lease_owner) c
    ON c.lease_owner = w.owner
  WHERE w.stopped_at IS NULL OR w.stopped_at >= ?
  ORDER BY w.started_at DESC, w.owner LIMIT 200`

export class SqliteWorkerStore implements WorkerStore {
  constructor(private readonly db: Database) {}

  beat({ owner, host, pid, version }: WorkerIdentity, startedAt: number, now: number): void {
    sql(
      this.db,
      `INSERT INTO workers (owner, host, pid, version, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (owner) DO UPDATE SET heartbeat_at = excluded.heartbeat_at WHERE stopped_at IS NULL`,
    ).run(owner, host, pid, version, startedAt, now)
  }

  stopped(owner: string, now: number): void {
    sql(this.db, 'UPDATE workers SET stopped_at = ?, heartbeat_at = ? WHERE owner = ?').run(now, now, owner)
  }

  list(stoppedSince: number): StoredWorker[] {
    return sql(this.db, LIST).all(stoppedSince) as StoredWorker[]
  }

  beating(): { owner: string; heartbeatAt: number }[] {
    return sql(this.db, 'SELECT owner, heartbeat_at AS heartbeatAt FROM workers WHERE stopped_at IS NULL').all() as { owner: string; heartbeatAt: number }[]
  }

  prune(before: number): number {
    return sql(this.db, 'DELETE FROM workers WHERE heartbeat_at < ?').run(before).changes
  }
}
