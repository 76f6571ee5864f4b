/**
 * Artifacts: a completed attempt's output as a file, `<artifacts>/<batch>/<name>.<ext>`,
 * with `<name>.meta.json` beside it (provider, model, prompt hash, tokens, timings). Each
 * is written to a temporary file and renamed, so a crash mid-write never leaves a half
 * file under the final name, and a repeated attempt replaces the file rather than adding
 * one. The name is the job id, or the job's `config.outputName`: a plain file name that is
 * never all digits nor ends in `.meta` (shared/job-config), so nothing from a job becomes a
 * path of its own or meets another job's file; intake refuses two jobs of a batch with one.
 * (No fsync: this guards against a process crash, not a power cut.)
 */
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { diskFullCode } from '../shared/disk-full'
import { AttemptError } from '../shared/errors'
import type { OutputFormat } from './output'

export interface ArtifactMeta {
  jobId: number
  attempt: number
  provider: string
  model: string | null
  promptSha256: string
  inputTokens: number | null
  outputTokens: number | null
  cachedInputTokens?: number | undefined
  cacheWriteTokens?: number | undefined
  firstTokenMs: number | null
  durationMs: number
  /** Answered from the response cache, with no provider call (written by the main thread: src/main/cache). */
  cached?: boolean
}

export const promptHash = (prompt: string): string => createHash('sha256').update(prompt).digest('hex')

/** An artifact the disk refused (full or failing): the scheduler pauses and hands the job back rather than count a failure. */
export class ArtifactRefused extends AttemptError {
  constructor(
    readonly code: string,
    error: unknown,
  ) {
    super('UNKNOWN', `the disk refused the artifact: ${error instanceof Error ? error.message : String(error)}`)
  }
}

function refusedOr(error: unknown): unknown {
  const code = diskFullCode(error)
  return code === null ? error : new ArtifactRefused(code, error)
}

/** Folders this thread has made already: one mkdir per batch, not per job. */
const made = new Set<string>()

async function replace(path: string, content: string): Promise<void> {
  const temporary = `${path}.tmp-${randomUUID()}`
  try {
    // Private, as the data directory is: outputs are the operator's, and artifactsDir may lie outside it.
    await writeFile(temporary, content, { mode: 0o600 })
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw refusedOr(error)
  }
}

/** Writes the output and its metadata; returns the output file's path. */
export async function writeArtifact(
  root: string,
  batchId: number | null,
  name: string,
  format: OutputFormat,
  text: string,
  meta: ArtifactMeta,
): Promise<string> {
  const folder = join(root, batchId === null ? 'unbatched' : String(batchId))
  if (!made.has(folder)) {
    await mkdir(folder, { recursive: true, mode: 0o700 }).catch((error: unknown) => Promise.reject(refusedOr(error)))
    made.add(folder)
  }
  const path = join(folder, `${name}.${format === 'json' ? 'json' : 'txt'}`)
  await replace(path, text)
  await replace(join(folder, `${name}.meta.json`), `${JSON.stringify({ ...meta, file: path, writtenAt: new Date().toISOString() }, null, 2)}\n`)
  return path
}
