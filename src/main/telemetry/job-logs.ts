/**
 * A job's lines from the engine's log files, newest files first, for the job detail. The
 * files are already redacted as they were written. Reading is bounded: the tail of each
 * file up to a byte budget, and a cheap text match on the job id before any JSON parse, so
 * a 10 MiB log costs the main thread a few milliseconds.
 */
import { open, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { OperationError, type OperationHandlers } from '../../shared/contract'
import type { JobLogLine, JobLogs } from '../../shared/logs'

export interface JobLogLimits {
  /** Most lines returned (the newest). Default 200. */
  maxLines: number
  /** Most bytes read from the end of each file. Default 4 MiB. */
  maxBytesPerFile: number
}

const DEFAULT_LIMITS: JobLogLimits = { maxLines: 200, maxBytesPerFile: 4 * 1024 * 1024 }
const LOG_FILE = /^genops\.(\d+)\.log$/

async function tail(file: string, maxBytes: number): Promise<{ text: string; cut: boolean }> {
  const handle = await open(file, 'r')
  try {
    const { size } = await handle.stat()
    const length = Math.min(size, maxBytes)
    const buffer = Buffer.alloc(length)
    await handle.read(buffer, 0, length, size - length)
    const text = buffer.toString('utf8')
    // A cut tail starts mid-line: drop that part line.
    return length < size ? { text: text.slice(text.indexOf('\n') + 1), cut: true } : { text, cut: false }
  } finally {
    await handle.close()
  }
}

function toLine(text: string, jobId: number): JobLogLine | null {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  const line = value as Record<string, unknown>
  if (line.jobId !== jobId) return null
  return {
    time: typeof line.time === 'string' ? line.time : '',
    level: typeof line.level === 'string' ? line.level : 'info',
    message: typeof line.msg === 'string' ? line.msg : '',
    attempt: typeof line.attempt === 'number' ? line.attempt : null,
    traceId: typeof line.traceId === 'string' ? line.traceId : null,
  }
}

export async function readJobLogs(dir: string, jobId: number, limits: JobLogLimits = DEFAULT_LIMITS): Promise<JobLogs> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return { jobId, lines: [], note: 'there is no log yet' }
  }
  const files = names
    .flatMap((name) => {
      const match = LOG_FILE.exec(name)
      return match ? [{ name, n: Number(match[1]) }] : []
    })
    .sort((a, b) => b.n - a.n)
  const needle = `"jobId":${jobId},`
  const newestFirst: JobLogLine[] = []
  let cut = false
  for (const { name } of files) {
    const { text, cut: fileCut } = await tail(join(dir, name), limits.maxBytesPerFile)
    cut ||= fileCut
    const mine = text.split('\n').filter((row) => row.includes(needle))
    for (let i = mine.length - 1; i >= 0 && newestFirst.length < limits.maxLines; i--) {
      const line = toLine(mine[i]!, jobId)
      if (line) newestFirst.push(line)
    }
    if (newestFirst.length >= limits.maxLines) break
  }
  const note =
    newestFirst.length >= limits.maxLines
      ? `the newest ${limits.maxLines} lines`
      : cut
        ? 'from the most recent part of each log file'
        : newestFirst.length === 0
          ? 'no lines about this job: failures are logged as warnings, completed attempts only at debug level'
          : null
  return { jobId, lines: newestFirst.reverse(), note }
}

/** Needs the engine's log directory: without a running engine here (the CLI), the operation says so. */
export function jobLogHandlers(logsDir: string | undefined): OperationHandlers<'jobLogs'> {
  return {
    jobLogs: async ({ jobId }) => {
      if (!logsDir) throw new OperationError('NOT_FOUND', 'the log is read through a running engine (the app or genops serve)')
      return readJobLogs(logsDir, jobId)
    },
  }
}
