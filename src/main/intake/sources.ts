/**
 * What intake records of where a batch's jobs came from: its files (name, format, jobs, the
 * input's own columns) and, for each job, its file, line or row and the input's fields.
 * Carried through `enqueueJobs` (sources, origins) and kept by the store beside the jobs.
 */
import type { BatchSource, JobOrigin } from '../../shared/batches'
import { formatOf } from '../../shared/intake'
import type { NewJob } from '../queue/store'
import type { ParsedFile } from './problems'

type GoodFile = Extract<ParsedFile, { ok: true }>

/** The files a batch is made from. */
export const batchSources = (files: readonly GoodFile[]): BatchSource[] =>
  files.map((file) => ({ name: file.file, format: formatOf(file.file), jobs: file.jobs.length, columns: file.columns ?? [] }))

/** The files, and where each job came from, as `enqueueJobs` takes them. */
export function sourcesOf(files: readonly GoodFile[]): { sources: BatchSource[]; origins: JobOrigin[] } {
  const origins = files.flatMap((file, index) => file.jobs.map((_, i) => ({ file: index, row: file.lines[i] ?? 0, input: file.inputs?.[i] ?? null })))
  return { sources: batchSources(files), origins }
}

/** An origin as the store keeps it: the input's fields as JSON text. */
export const jobOrigin = (origin: JobOrigin): NewJob['origin'] => ({
  file: origin.file,
  row: origin.row,
  input: origin.input === null ? null : JSON.stringify(origin.input),
})
