/**
 * The intake thread: parses one large prompt file off the main thread (see read.ts), with
 * the same code as in-thread intake, and hands the jobs back a message at a time, each
 * when the main thread asks for it, so that the main thread never copies them all at once.
 */
import { readFileSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import { BatchCheck, type JobCheckContext } from './job-check'
import { JOBS_PER_MESSAGE } from './limits'
import { parsePromptFile } from './parse'
import { fileLabel, readProblem, refused, type ParsedFile } from './problems'
import type { JobSpec } from '../../shared/jobs'

/** A file to read from disk here, or bytes the caller already holds (copied in), and what to check its jobs against. */
export type IntakeThreadData = ({ path: string } | { name: string; bytes: Uint8Array }) & { context?: JobCheckContext | undefined }

/**
 * Jobs travel as JSON text, parsed on arrival: JSON.parse leaves the main thread's young
 * generation fewer objects to copy than a structured clone of the same jobs, and its
 * scavenges are what the main thread's lag is made of during intake (bench/intake: about
 * 30% less GC time). Jobs are JSON data through and through, so nothing is lost.
 */
export type IntakeThreadMessage =
  | { type: 'jobs'; json: string; lines: number[]; inputs: string; columns: string[]; last: boolean }
  | { type: 'refused'; result: Extract<ParsedFile, { ok: false }> }

const data = workerData as IntakeThreadData
const port = parentPort!

function parse(): ParsedFile {
  const check = data.context && new BatchCheck(data.context)
  if ('bytes' in data) return parsePromptFile(data.name, data.bytes, check)
  let bytes: Buffer
  try {
    bytes = readFileSync(data.path)
  } catch (error) {
    return refused(fileLabel(data.path), readProblem(error))
  }
  return parsePromptFile(data.path, bytes, check)
}

const result = parse()
if (!result.ok) port.postMessage({ type: 'refused', result } satisfies IntakeThreadMessage)
else {
  let next = 0
  const send = () => {
    const jobs: JobSpec[] = result.jobs.slice(next, next + JOBS_PER_MESSAGE)
    const lines = result.lines.slice(next, next + JOBS_PER_MESSAGE)
    const inputs = JSON.stringify((result.inputs ?? []).slice(next, next + JOBS_PER_MESSAGE))
    next += jobs.length
    const last = next >= result.jobs.length
    // The columns are known once the whole file is read: sent with the last message.
    port.postMessage({
      type: 'jobs',
      json: JSON.stringify(jobs),
      lines,
      inputs,
      columns: last ? (result.columns ?? []) : [],
      last,
    } satisfies IntakeThreadMessage)
  }
  port.on('message', send)
  send()
}
