/**
 * Artifacts: a completed attempt's output as a file, `<artifacts>/<batch>/<name>.<ext>`,
 * with `<name>.meta.json` beside it (provider, model, prompt hash, tokens, timings). Each
 * is written to a temporary file and renamed, so a crash mid-write never leaves a half
 * file under the final name, and a repeated attempt replaces the file rather than adding
 * one. The name is the job id, or the job's `config.outputName`, which is refused unless
 * it is a plain file name: nothing from a job becomes a path on its own.
 * (No fsync: this guards against a process crash, not a power cut.)
 */
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { AttemptError } from '../shared/errors'
import type { OutputFormat } from './output'

const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

/** The file name for a job's output; throws VALIDATION for a name that could leave its folder. */
export function artifactName(jobId: number, outputName: unknown): string {
  if (outputName === undefined) return String(jobId)
  if (typeof outputName !== 'string' || !PLAIN_NAME.test(outputName) || outputName.includes('..')) {
    throw new AttemptError(
      'VALIDATION',
      `config.outputName ${JSON.stringify(String(outputName).slice(0, 200))} must be a plain file name (letters, digits, ".", "_", "-"; no "..", no "/" or "\\", not absolute)`,
    )
  }
  return outputName
}

export interface ArtifactMeta {
  jobId: number
  attempt: number
  provider: string
  model: string | null
  promptSha256: string
  inputTokens: number | null
  outputTokens: number | null
  firstTokenMs: number | null
  durationMs: number
}

export const promptHash = (prompt: string): string => createHash('sha256').update(prompt).digest('hex')

/** Folders this thread has made already: one mkdir per batch, not per job. */
const made = new Set<string>()

async function replace(path: string, content: string): Promise<void> {
  const temporary = `${path}.tmp-${randomUUID()}`
  try {
    await writeFile(temporary, content)
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
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
    await mkdir(folder, { recursive: true })
    made.add(folder)
  }
  const path = join(folder, `${name}.${format === 'json' ? 'json' : 'txt'}`)
  await replace(path, text)
  await replace(join(folder, `${name}.meta.json`), `${JSON.stringify({ ...meta, file: path, writtenAt: new Date().toISOString() }, null, 2)}\n`)
  return path
}
