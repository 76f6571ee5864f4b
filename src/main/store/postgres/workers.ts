/** PostgreSQL's workers (store/workers.ts): a row per engine, as SQLite keeps them, its claims counted from the jobs it holds. */
import type pg from 'pg'
import type { StoredWorker, WorkerIdentity, WorkerStore } from '../workers'

// Active jobs by owner: a range of the active jobs' index, whatever the queue's size.
const LIST = `SELECT w.owner, w.host, w.pid, w.version, w.started_at AS "startedAt", w.heartbeat_at AS "heartbeatAt", w.stopped_at AS "stoppedAt",
    coalesce(c.n, 0) AS claims
  FROM workers w LEFT JOIN (SELECT lease_owner, count(*) AS n FROM jobs WHERE state = 'active' GROUP BY lease_owner) c
    ON c.lease_owner = w.owner
  WHERE w.stopped_at IS NULL OR w.stopped_at >= $1
  ORDER BY w.started_at DESC, w.owner COLLATE "C" LIMIT 200`

export class PostgresWorkerStore implements WorkerStore {
  constructor(private readonly pool: pg.Pool) {}

  async beat({ owner, host, pid, version }: WorkerIdentity, startedAt: number, now: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO workers (owner, host, pid, version, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (owner) DO UPDATE SET heartbeat_at = excluded.heartbeat_at WHERE workers.stopped_at IS NULL`,
      [owner, host, pid, version, startedAt, now],
    )
  }

  async stopped(owner: string, now: number): Promise<void> {
    await this.pool.query('UPDATE workers SET stopped_at = $1, heartbeat_at = $1 WHERE owner = $2', [now, owner])
  }

  async list(stoppedSince: number): Promise<StoredWorker[]> {
    return (await this.pool.query<StoredWorker>(LIST, [stoppedSince])).rows
  }

  async beating(): Promise<{ owner: string; heartbeatAt: number }[]> {
    return (await this.pool.query<{ owner: string; heartbeatAt: number }>('SELECT owner, heartbeat_at AS "heartbeatAt" FROM workers WHERE stopped_at IS NULL'))
      .rows
  }

  async prune(before: number): Promise<number> {
    return (await this.pool.query('DELETE FROM workers WHERE heartbeat_at < $1', [before])).rowCount ?? 0
  }
}
