/**
 * traces.json and integrity.txt: read from the database on a connection of their own,
 * opened read-only, so the bundle never takes the write lock nor shares the engine's
 * statements or transactions. In WAL mode a reader blocks no writer.
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import Sqlite from 'better-sqlite3'
import type { SectionFile } from '../../diagnostics/bundle-writer'

export interface DatabaseFile {
  file: string
  /** better-sqlite3 built for Electron's ABI, when the desktop app runs. */
  nativeBinding?: string | undefined
}
/** How long integrity_check may take before the bundle goes without it. Default 60 s. */
export const DEFAULT_INTEGRITY_TIMEOUT_MS = 60_000

const openReadOnly = ({ file, nativeBinding }: DatabaseFile) =>
  new Sqlite(file, { readonly: true, fileMustExist: true, timeout: 2000, ...(nativeBinding ? { nativeBinding } : {}) })

export interface SpanRow {
  attributes: string | null
  events: string | null
  [column: string]: unknown
}

/** The bundle's columns of a span, as both stores read them (newest first, by id). */
export const BUNDLE_SPAN_COLUMNS = `id, trace_id AS "traceId", span_id AS "spanId", parent_span_id AS "parentSpanId", job_id AS "jobId", attempt, name,
  start_ms AS "startMs", end_ms AS "endMs", status, status_message AS "statusMessage", attributes, events`

/** traces.json from the newest span rows and about how many there are in all. */
export function tracesFile(rows: readonly SpanRow[], total: number | null): SectionFile[] {
  const spans = rows.map((row) => ({ ...row, attributes: parseJson(row.attributes), events: parseJson(row.events) }))
  const truncated = total !== null && total > rows.length ? `the newest ${rows.length} spans of about ${total}` : undefined
  return [{ name: 'traces.json', json: { spans }, ...(truncated ? { truncated } : {}) }]
}

/** The newest spans, newest first; ids grow as attempts end, so this reads the end of the table's b-tree and nothing else. */
export function recentSpans(database: DatabaseFile, limit: number): SectionFile[] {
  const db = openReadOnly(database)
  try {
    const total = db.prepare('SELECT max(id) - min(id) + 1 FROM spans').pluck().get() as number | null
    return tracesFile(db.prepare(`SELECT ${BUNDLE_SPAN_COLUMNS} FROM spans ORDER BY id DESC LIMIT ?`).all(limit) as SpanRow[], total)
  } finally {
    db.close()
  }
}

/** Stored JSON as a value; a value that does not parse is kept as its text rather than failing the section. */
function parseJson(text: string | null): unknown {
  if (text === null) return null
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

// CommonJS, evaluated as the worker's entry: no file to ship or build for a dozen lines.
const INTEGRITY_THREAD = `
const { parentPort, workerData } = require('node:worker_threads')
const Sqlite = require(workerData.module)
let db
try {
  db = new Sqlite(workerData.file, { readonly: true, fileMustExist: true, timeout: 2000, ...(workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {}) })
  parentPort.postMessage({ rows: db.pragma('integrity_check').map((row) => row.integrity_check) })
} catch (error) {
  parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) })
} finally {
  if (db) db.close()
}
`

/**
 * `PRAGMA integrity_check`: "ok", or up to 100 lines of what is wrong. It reads every page
 * and checks every index against its table, so it costs about as much as reading the whole
 * file (seconds per GiB, more on a slow disk or a cold cache). better-sqlite3 is
 * synchronous: run on the main thread it would freeze the engine and the window for that
 * long, so it runs on a thread of its own. Its read snapshot keeps the checkpointer from
 * copying the WAL past it meanwhile, so the WAL may grow while it runs; nothing waits.
 */
export function integrityCheck(database: DatabaseFile, timeoutMs = DEFAULT_INTEGRITY_TIMEOUT_MS): Promise<SectionFile[]> {
  const module = createRequire(import.meta.url).resolve('better-sqlite3')
  const thread = new Worker(INTEGRITY_THREAD, { eval: true, workerData: { module, file: database.file, nativeBinding: database.nativeBinding } })
  return new Promise<SectionFile[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      // SQLite finishes its pass before the thread can stop; the bundle does not wait for it.
      void thread.terminate()
      reject(new Error(`PRAGMA integrity_check did not finish within ${timeoutMs / 1000} s`))
    }, timeoutMs)
    const settle = (action: () => void) => {
      clearTimeout(timer)
      action()
    }
    thread.once('message', (message: { rows?: string[]; error?: string }) =>
      settle(() =>
        message.rows ? resolve([{ name: 'integrity.txt', text: `${message.rows.join('\n')}\n` }]) : reject(new Error(message.error ?? 'no answer')),
      ),
    )
    thread.once('error', (error) => settle(() => reject(error)))
    thread.once('exit', (code) => settle(() => reject(new Error(`the integrity check's thread exited (code ${code}) without an answer`))))
  })
}
