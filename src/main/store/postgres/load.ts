/**
 * A batch loading on a team store while its files are parsed (QueueStore.beginLoad,
 * intake/stream.ts): one transaction on a connection of its own, its jobs written a chunk at
 * a time as they are read. PostgreSQL's MVCC keeps them out of every other engine's sight
 * until the commit, and other engines' writes never wait on it; a file refused midway goes
 * back to the savepoint taken when the files before it were kept. A process killed mid-load
 * loses its connection and the server rolls the whole transaction back: nothing is left for
 * the next start to remove. Another enqueue of one of its idempotency keys waits at the unique
 * index until the load ends, then finds the job or adds its own.
 */
import type pg from 'pg'
import type { BatchSource } from '../../../shared/batches'
import { LoadBook } from '../../queue/load-book'
import type { EnqueueOptions, EnqueueResult, JobLoad, NewJob } from '../../queue/store'
import { countBatch, insertBatch, insertSources, JOBS_PER_STATEMENT, refreshStatistics, takeIds, writeChunk } from './enqueue'

export class PostgresLoad implements JobLoad {
  private readonly book = new LoadBook()
  /** Set once the transaction ended, committed or not: the connection is back in the pool. */
  private ended = false

  private constructor(
    private readonly pool: pg.Pool,
    private readonly client: pg.PoolClient,
    private readonly lost: Heard,
    private readonly source: string,
    readonly batchId: number,
    private readonly now: number,
  ) {}

  static async begin(
    pool: pg.Pool,
    source: string,
    batchName: string,
    now: number,
    maxConcurrency: number | null,
    options: EnqueueOptions,
  ): Promise<PostgresLoad> {
    const client = await pool.connect()
    const lost = new Heard(client)
    try {
      await client.query('BEGIN')
      // The load is idle in its transaction while the next jobs are parsed (the rest of a refused file: seconds), and a server
      // that ends such sessions would end it. A process that dies drops its connection, and the server rolls back then.
      await client.query('SET LOCAL idle_in_transaction_session_timeout = 0')
      // Its files are told at the finish, once it is known which were good.
      const { batchId } = await insertBatch(client, { batchName, now, maxConcurrency, options: { ...options, sources: [] }, jobs: 0 })
      await client.query('SAVEPOINT kept')
      return new PostgresLoad(pool, client, lost, source, batchId, now)
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      client.release(true)
      lost.stop()
      throw lost.error ?? error
    }
  }

  get loaded(): number {
    return this.book.jobIds.length
  }

  add(jobs: readonly NewJob[], onSlice?: (loaded: number) => void): Promise<void> {
    return this.step(async () => {
      for (let from = 0; from < jobs.length; from += JOBS_PER_STATEMENT) {
        const chunk = jobs.slice(from, from + JOBS_PER_STATEMENT)
        await writeChunk(this.client, this.book, chunk, await takeIds(this.client, chunk.length), { now: this.now, batchId: this.batchId })
        onSlice?.(this.loaded)
      }
    })
  }

  keep(): Promise<void> {
    return this.step(async () => {
      await this.client.query('RELEASE SAVEPOINT kept; SAVEPOINT kept')
      this.book.keep()
    })
  }

  drop(): Promise<void> {
    return this.step(async () => {
      await this.client.query('ROLLBACK TO SAVEPOINT kept')
      this.book.drop()
    })
  }

  async finish(sources?: readonly BatchSource[], name?: string): Promise<EnqueueResult> {
    this.book.keep()
    const { client, batchId, book } = this
    try {
      await this.step(async () => {
        await insertSources(client, batchId, sources ?? [])
        if (name !== undefined) await client.query('UPDATE batches SET name = $1 WHERE id = $2', [name, batchId])
        await countBatch(client, this.source, batchId, book, sources)
        await client.query('COMMIT')
      })
    } catch (error) {
      await this.abandon()
      throw error
    }
    this.end()
    await refreshStatistics(this.pool, book.addedIds.length)
    return { batchId, jobIds: book.jobIds, addedIds: book.addedIds, duplicates: book.duplicates }
  }

  async abandon(): Promise<void> {
    if (this.ended) return
    // A connection that cannot even roll back is dropped from the pool, not handed to the next caller.
    const broken = await this.client.query('ROLLBACK').then(
      () => undefined,
      (error: Error) => error,
    )
    this.end(broken ?? this.lost.error)
  }

  /** One step of the load; its failure told in the server's own words when the server ended the connection. */
  private async step(work: () => Promise<void>): Promise<void> {
    try {
      await work()
    } catch (error) {
      throw this.lost.error ?? error
    }
  }

  private end(broken?: Error): void {
    this.ended = true
    this.client.release(broken)
    this.lost.stop()
  }
}

/**
 * What the server said when it ended a lent connection between two statements (an
 * administrator, a restart, a timeout). The pool stops listening to a client it lends: unheard,
 * that error would end the process while the load waits on the parse.
 */
class Heard {
  error: Error | undefined
  private readonly listener = (error: Error) => {
    this.error ??= error
  }

  constructor(private readonly client: pg.PoolClient) {
    client.on('error', this.listener)
  }

  /** Once the client is back with the pool, which listens again. */
  stop(): void {
    this.client.removeListener('error', this.listener)
  }
}
