/**
 * Connecting to a team's PostgreSQL: a pg Pool from a postgres:// URL, checked with one
 * query before anyone uses it, so a wrong URL is one line naming it (password masked)
 * and what to do, at start-up instead of at the first claim.
 */
import pg from 'pg'
import { StoreConnectError } from '../connect-error'

export interface PoolOptions {
  /** Most connections this process opens to the server; default 10 (pg's own default). */
  max?: number
  /** How long to wait for a connection, in ms, before the server counts as unreachable; default 5000. */
  connectTimeoutMs?: number
  /** The store's name in change notices, set on each connection (genops.source) for the notices its triggers send (migration 0003). */
  source?: string
}

const INT8 = 20
/**
 * bigint columns (ids, times in ms) and counts as JS numbers: every value the store keeps fits
 * in 2^53, and the queue's types are numbers. Per pool, not pg's global parsers, so another
 * user of pg in the process keeps its own.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 ? (text: string) => Number(text) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
}

/** Query parameters pg and libpq take a secret from: shown masked too. */
const SECRET_PARAMETERS = ['password', 'sslpassword']

/** The URL as it may be shown: any password (user:password@, or ?password=) replaced by ***. */
export function maskUrl(url: string): string {
  // Masked in the text first, to the last "@": a password holding "#", "?" or "/" misleads a URL parser about where it ends.
  const text = url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@?#]*:)[^]*@/i, '$1***@')
  try {
    const parsed = new URL(text)
    for (const name of SECRET_PARAMETERS) if (parsed.searchParams.has(name)) parsed.searchParams.set(name, '***')
    return parsed.toString()
  } catch {
    // Not a URL at all: hide any password parameter too.
    return text.replace(/((?:ssl)?password=)[^&#]*/gi, '$1***')
  }
}

/** A postgres:// or postgresql:// URL, or a StoreConnectError saying how to write one. */
export function checkStoreUrl(url: string): URL {
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  if (!parsed || (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') || !parsed.hostname) {
    throw new StoreConnectError('BAD_URL', `${maskUrl(url)}: not a PostgreSQL URL: write postgres://user:password@host:5432/database`)
  }
  return parsed
}

/** Settings for a pg Pool or Client on this URL (the change feed opens its own Client with them). */
export function connectionConfig(url: string, options: PoolOptions = {}): pg.ClientConfig {
  checkStoreUrl(url)
  return {
    connectionString: url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    types,
    ...(options.source === undefined ? {} : { options: `-c genops.source=${options.source}` }),
  }
}

/** Opens a pool and runs one query on it; a failure is a StoreConnectError and the pool is closed. */
export async function openPool(url: string, options: PoolOptions = {}): Promise<pg.Pool> {
  const pool = new pg.Pool({ ...connectionConfig(url, options), max: options.max ?? 10 })
  // An idle connection the server drops (a restart, a network cut) is reported here; without a
  // listener it would end the process. The pool replaces it, and the next query says what is wrong.
  pool.on('error', () => undefined)
  try {
    await pool.query('SELECT 1')
  } catch (error) {
    await pool.end().catch(() => undefined)
    throw connectError(url, error)
  }
  return pool
}

/** What a failed connection means for the operator, in one line. */
export function connectError(url: string, error: unknown): Error {
  const shown = maskUrl(url)
  const code = (error as { code?: unknown }).code
  const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error)
  if (code === '28P01' || code === '28000') {
    return new StoreConnectError('AUTH', `${shown}: the server refused the login (${reason}): check the user and password in the URL`)
  }
  if (code === '3D000') {
    const database = decodeURIComponent(new URL(url).pathname.slice(1))
    return new StoreConnectError(
      'NO_DATABASE',
      `${shown}: the database "${database}" does not exist: create it (createdb ${database}) or name another in the URL`,
    )
  }
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    // The server answered but said no (too many connections, shutting down...): its own words.
    return new StoreConnectError('REFUSED', `${shown}: the server refused the connection (${reason}): see the server's log`)
  }
  return new StoreConnectError('UNREACHABLE', `${shown}: no PostgreSQL server answers there (${reason}): start it, or check the host and port in the URL`)
}
