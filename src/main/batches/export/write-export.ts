/**
 * A batch's results written beside its inputs: its finished jobs in the input's order, a page
 * at a time, to a temporary file beside the one asked for, renamed over it once whole. A
 * failure (a full disk, a folder that went away) removes the temporary file: nothing partial
 * is ever left under the final name. Jobs still queued or running are counted, not written.
 */
import { realpath, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, extname } from 'node:path'
import type { ExportFormat } from '../../../shared/batches'
import { OperationError } from '../../../shared/contract'
import { partialPathFor, removeAbandonedPartials } from '../../partial-files'
import type { BatchStore } from '../store'
import { MAX_OUTPUT_KEYS, planExport } from './columns'
import { openSink, type ExportSink } from './sinks'

/** Jobs read per statement: a few milliseconds of the connection each. */
export const EXPORT_PAGE_ROWS = 1000

export interface ExportRequest {
  batchId: number
  format: ExportFormat
  /** The file to write: replaced whole when it exists. */
  path: string
}

export interface ExportWritten {
  rows: number
  notFinished: number
  bytes: number
}

const FINISHED: ReadonlySet<string> = new Set(['completed', 'dead', 'cancelled'])

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** `products.results.csv` for a batch made from products.csv; `batch-7.results.csv` for one with no file. */
export function defaultExportName(batchId: number, sourceNames: readonly string[], format: ExportFormat): string {
  const first = sourceNames[0]
  const base = first
    ? basename(first, extname(first))
        .replace(/[^\w.-]+/g, '_')
        .slice(0, 100)
    : ''
  return `${base || `batch-${batchId}`}.results.${format}`
}

/** Why a file cannot be written there, in words, naming it. */
export function writeProblem(path: string, error: unknown): OperationError {
  const code = (error as NodeJS.ErrnoException).code
  const folder = dirname(path)
  const reason =
    code === 'ENOENT'
      ? `the folder ${folder} does not exist`
      : code === 'ENOTDIR'
        ? `${folder} is not a folder`
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? `the folder ${folder} cannot be written (${code})`
          : code === 'EISDIR'
            ? 'it is a folder'
            : code === 'ENOSPC' || code === 'EDQUOT'
              ? 'the disk is full'
              : (error as Error).message
  return new OperationError('INVALID_INPUT', `cannot write ${path}: ${reason}`)
}

export async function writeBatchExport(store: BatchStore, { batchId, format, path: asked }: ExportRequest): Promise<ExportWritten> {
  const sources = await store.sources(batchId)
  if (sources === null) throw new OperationError('NOT_FOUND', `batch ${batchId} does not exist`)
  let path = asked
  try {
    const info = await stat(asked)
    if (info.isDirectory()) throw writeProblem(asked, Object.assign(new Error('is a folder'), { code: 'EISDIR' }))
    // The rename below would put a regular file in place of a device or a pipe (/dev/stdout as root): refused instead.
    if (!info.isFile()) throw new OperationError('INVALID_INPUT', `cannot write ${asked}: it is not a regular file`)
    // A link is followed: the file it names is replaced, not the link.
    path = await realpath(asked)
  } catch (error) {
    if (error instanceof OperationError) throw error
  }
  const keys = format === 'jsonl' ? [] : await store.outputKeys(batchId, MAX_OUTPUT_KEYS)
  const plan = planExport(sources, keys)
  // What an export of this target killed mid-write left behind goes first; this one is written beside it and renamed.
  await removeAbandonedPartials(dirname(path), path)
  const temporary = partialPathFor(path)
  let sink: ExportSink
  try {
    sink = await openSink(format, temporary, plan)
  } catch (error) {
    throw writeProblem(path, error)
  }
  let rows = 0
  let notFinished = 0
  try {
    let after = 0
    for (;;) {
      const page = await store.exportPage(batchId, after, EXPORT_PAGE_ROWS)
      if (page.length === 0) break
      after = page.at(-1)!.id
      const finished = page.filter((row) => FINISHED.has(row.state))
      notFinished += page.length - finished.length
      await sink.write(finished)
      rows += finished.length
      // A turn of the event loop between pages: the engine's main thread answers the window meanwhile.
      await nextTurn()
    }
    await sink.finish()
    await rename(temporary, path)
  } catch (error) {
    sink.abort()
    await rm(temporary, { force: true })
    throw error instanceof OperationError ? error : writeProblem(path, error)
  }
  return { rows, notFinished, bytes: (await stat(path)).size }
}
