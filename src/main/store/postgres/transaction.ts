/** One transaction on a pooled connection, tried again when PostgreSQL picked it to break a deadlock. */
import type pg from 'pg'

/** deadlock_detected and serialization_failure: the server rolled back, the work can run again as it was. */
/** A pool or one of its connections: a statement that is a transaction by itself runs on either. */
export type Queryable = Pick<pg.ClientBase, 'query'>

const RETRYABLE = new Set(['40P01', '40001'])
const TRIES = 5

/**
 * Runs `work` between BEGIN and COMMIT. Locks are taken in one order everywhere (job rows by
 * id, then the counters by state), so a deadlock should not happen; if one does, the server
 * undoes the loser whole and it runs again here. `work` must therefore keep its effects
 * inside the database until it returns.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect()
    let broken: Error | undefined
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      // A connection that cannot even roll back is dropped from the pool, not handed to the next caller.
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError))
      const code = (error as { code?: unknown }).code
      if (attempt < TRIES && typeof code === 'string' && RETRYABLE.has(code)) continue
      throw error
    } finally {
      client.release(broken)
    }
  }
}
