/**
 * The upkeep of a store on a PostgreSQL server (store/upkeep.ts). The server looks after its
 * own files: it checkpoints its WAL, checks its pages as it reads them, and is backed up and
 * watched for disk space by whoever runs it. What is left to an engine is asking whether the
 * server commits, how big the database is, and naming the server in what goes wrong.
 */
import pg from 'pg'
import type { CheckResult } from '../../../shared/health'
import { DEFAULT_CHECK_TIMEOUT_MS } from '../../health/checks'
import type { HealthCheck } from '../../health/registry'
import { DatabaseDamagedError } from '../sqlite/db/damage'
import type { IntegrityCheck, IntegrityState } from '../sqlite/db/integrity'
import { BUNDLE_SPAN_COLUMNS, tracesFile, type SpanRow } from '../sqlite/bundle-reads'
import type { RunningUpkeep, StoreBundleFiles, StoreUpkeep } from '../upkeep'
import { connectError, maskUrl } from './connect'
import { countHeldBy } from './held'
import { inTransaction } from './transaction'
import { ServerStoreError } from '../server-error'

/** The server's word that it cannot be reached or will not serve: sessions, connections, a missing database, a login refused. */
const CONNECTION_CLASSES = ['08', '28', '3D', '57']
/** Of class 57, a statement cancelled (statement_timeout, a cancel request): the server serves, this statement took too long. */
const QUERY_CANCELED = '57014'
/** Node's words for a server that does not answer. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE'])

/** Damage the server found in its own files (SQLSTATE class XX): the server's backups mend it, not GenOps'. */
class ServerDamageError extends DatabaseDamagedError {
  constructor(shown: string, reason: string) {
    super(shown, `reports damage (PostgreSQL: ${reason})`)
    this.message = `${shown} reports damage (PostgreSQL: ${reason}): see the server's log, and restore the database from the server's backups`
  }
}

const pass = (detail: string): CheckResult => ({ status: 'pass', detail })
const warn = (detail: string): CheckResult => ({ status: 'warn', detail })
const fail = (detail: string): CheckResult => ({ status: 'fail', detail })

export class PostgresUpkeep implements StoreUpkeep {
  readonly name: string
  readonly dataDir = null

  constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
  ) {
    this.name = maskUrl(url)
  }

  /** Nothing to keep going: checkpoints and backups are the server's. */
  start(): RunningUpkeep {
    return {
      integrity: serverIntegrity(this.name),
      startBackups: () => ({ stop: async () => undefined }),
      stop: async () => undefined,
    }
  }

  /**
   * Only whether the server commits. No integrity check (the server checks its pages as it
   * reads them, and says so in errors that namedDamage names) and no disk check (the disk is
   * the server's, out of this process's sight: the server refuses commits when it fills, and
   * this check then fails).
   */
  healthChecks({ writesRefused }: Parameters<StoreUpkeep['healthChecks']>[0]): HealthCheck[] {
    return [{ name: 'database', critical: true, timeoutMs: DEFAULT_CHECK_TIMEOUT_MS, check: () => this.probeWrite(writesRefused) }]
  }

  private async probeWrite(refused?: () => string | null): Promise<CheckResult> {
    const refusal = refused?.()
    if (refusal) return fail(`cannot commit to ${this.name}: ${refusal}`)
    try {
      await this.commit(250)
      return pass(`${this.name} takes writes`)
    } catch (error) {
      // Another engine's probe holding the row is a wait, not a broken database.
      if ((error as { code?: unknown }).code === '55P03') return warn('another process has held the probe row for over 250 ms')
      const { message } = this.namedDamage(error) as Error
      return fail(`cannot write to ${message.startsWith(this.name) ? message : `${this.name}: ${message}`}`)
    }
  }

  async sizeBytes(): Promise<number> {
    const { rows } = await this.pool.query<{ size: number }>('SELECT pg_database_size(current_database()) AS size')
    return rows[0]!.size
  }

  /** Throws while the server refuses commits; returns once one goes through. */
  async commitProbe(): Promise<void> {
    await this.commit(DEFAULT_CHECK_TIMEOUT_MS)
  }

  /** A row written and removed in one committed transaction, as SQLite's probe: the commit reaches the server's WAL. */
  private commit(lockMs: number): Promise<void> {
    return inTransaction(this.pool, async (client) => {
      await client.query(`SET LOCAL lock_timeout = ${lockMs}`)
      await client.query(`SET LOCAL statement_timeout = ${DEFAULT_CHECK_TIMEOUT_MS}`)
      await client.query(`INSERT INTO queue_settings (key, value) VALUES ('health_probe', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [
        String(Date.now()),
      ])
      await client.query(`DELETE FROM queue_settings WHERE key = 'health_probe'`)
    })
  }

  heldJobs(gates: Parameters<StoreUpkeep['heldJobs']>[0], dueQueued: number, held: Parameters<StoreUpkeep['heldJobs']>[2]): Promise<number> {
    return countHeldBy(this.pool, gates, dueQueued, held)
  }

  /**
   * integrity.txt says who checks the pages (the server: see start) and which server this is;
   * traces.json holds the newest spans, as SQLite's does.
   */
  get bundleFiles(): StoreBundleFiles {
    return {
      integrity: async () => {
        const { rows } = await this.pool.query<{ version: string }>('SELECT version()')
        const text = `${this.name}: a database on a PostgreSQL server (${rows[0]!.version}).\nIts pages are the server's to check (amcheck, its logs) and to back up; GenOps runs no check of its own on it.\n`
        return [{ name: 'integrity.txt', text }]
      },
      traces: async (limit) => {
        const [{ rows }, { rows: total }] = await Promise.all([
          this.pool.query<SpanRow>(`SELECT ${BUNDLE_SPAN_COLUMNS} FROM spans ORDER BY id DESC LIMIT $1`, [limit]),
          this.pool.query<{ n: number | null }>('SELECT max(id) - min(id) + 1 AS n FROM spans'),
        ])
        return tracesFile(rows, total[0]!.n)
      },
    }
  }

  /** The server's errors named with the store's URL (password masked); any other error as it was. */
  namedDamage(error: unknown): unknown {
    const code = (error as { code?: unknown } | null)?.code
    const server = error instanceof pg.DatabaseError
    if (server && typeof code === 'string' && code.startsWith('XX')) return new ServerDamageError(this.name, error.message)
    if (server && typeof code === 'string' && code !== QUERY_CANCELED && CONNECTION_CLASSES.includes(code.slice(0, 2))) return connectError(this.url, error)
    if (server) return new ServerStoreError(`${this.name}: ${error.message}`, code as string | undefined)
    // pg's own words when the server went away mid-session; Node's when it never answered.
    const lost = error instanceof Error && /^(Connection terminated|timeout exceeded when trying to connect)/.test(error.message)
    if (lost || (typeof code === 'string' && NETWORK_CODES.has(code))) return connectError(this.url, error)
    return error
  }
}

/**
 * A server's pages need no pass from here: reads of damaged pages fail there and then, and
 * namedDamage names them. So the start-up check has nothing to find: sound from the start,
 * damaged once a read meets damage (as SQLite's is, whatever its pass said).
 */
function serverIntegrity(name: string): IntegrityCheck {
  const sound: IntegrityState = { state: 'sound', checkedAt: Date.now(), durationMs: 0 }
  let state: IntegrityState = sound
  return {
    file: name,
    current: () => state,
    done: Promise.resolve(sound),
    noteDamage(problem) {
      state =
        state.state === 'damaged' ? { ...state, problems: [...state.problems, problem] } : { state: 'damaged', problems: [problem], checkedAt: Date.now() }
    },
    stop: () => undefined,
  }
}
