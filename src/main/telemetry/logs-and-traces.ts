/**
 * The engine's logs and traces behind the scheduler's hooks: attempts become spans and, when
 * they fail, log lines with their job id and trace id; errors and notices go to the log and,
 * as one short line, to stderr, which is what an operator watching `genops serve` sees.
 * A failure that says the disk is full is handed to the engine's disk-full state instead,
 * which says so once rather than once a write.
 */
import type { Logger } from 'pino'
import { redact } from '../../shared/redact'
import type { Resolved } from '../queue/profiles'
import type { ClaimedJob, QueueStore } from '../queue/store'
import type { AttemptTrace, TracedAttempt } from './attempt-trace'
import { openLog, type LogsConfig } from './log'
import { TraceRecorder, type TracesConfig } from './traces'

export interface LogsAndTraces {
  readonly log: Logger
  /** Log lines dropped because the log file could not be written. */
  readonly droppedLogLines: number
  /** For the scheduler: begins an attempt's trace at dispatch; undefined when traces are off. */
  readonly beginTrace: ((job: ClaimedJob, ran: Resolved) => AttemptTrace) | undefined
  attemptEnded(attempt: TracedAttempt): void
  error(error: unknown, during: string): void
  /** Something went wrong that the engine works around (the checkpoint thread stopped, say): a sentence. */
  warn(message: string): void
  notice(notice: { level: 'info' | 'warning' | 'critical'; message: string }): void
  /** Starts the span writer and the span retention. */
  start(retentionSweepMs: number): void
  close(): Promise<void>
}

export interface LogsAndTracesOptions {
  dataDir: string
  logs: LogsConfig
  traces: TracesConfig
  /** One short line per error and notice on stderr (default: the process's own stderr). */
  stderr?: (line: string) => void
  /** Hears every failure first (health/disk-full): true when it said the disk is full, and nothing more need be said. */
  diskFull?: { noteFailure(error: unknown, during: string): boolean }
}

const NOTICE_LEVEL = { info: 'info', warning: 'warn', critical: 'error' } as const

export async function openLogsAndTraces(store: QueueStore, options: LogsAndTracesOptions): Promise<LogsAndTraces> {
  const stderr = options.stderr ?? ((line: string) => process.stderr.write(`${line}\n`))
  const said = (failure: unknown, during: string): string => redact(`genops: ${during} failed: ${failure instanceof Error ? failure.message : String(failure)}`)
  const engineLog = await openLog(options.dataDir, options.logs, {
    // Not to the log it is about: to stderr, unless the disk-full state speaks for it.
    onWriteError: (failure) => {
      if (!options.diskFull?.noteFailure(failure, 'writing the log')) stderr(said(failure, 'writing the log'))
    },
  })
  const { logger: log } = engineLog
  const error = (failure: unknown, during: string) => {
    if (options.diskFull?.noteFailure(failure, during)) return
    log.error({ err: failure, during }, `${during} failed`)
    stderr(said(failure, during))
  }
  const traces = options.traces.enabled ? new TraceRecorder(store, options.traces, error) : null

  return {
    log,
    get droppedLogLines() {
      return engineLog.droppedLines
    },
    beginTrace: traces ? (job, ran) => traces.begin(job, ran) : undefined,
    attemptEnded(attempt) {
      traces?.record(attempt)
      logAttempt(log, attempt)
    },
    error,
    warn(message) {
      log.warn(message)
      stderr(redact(`genops: ${message}`))
    },
    notice(notice) {
      log[NOTICE_LEVEL[notice.level]]({ notice: notice.level }, notice.message)
      stderr(redact(`genops: ${notice.message}`))
    },
    start: (retentionSweepMs) => traces?.start(retentionSweepMs),
    async close() {
      try {
        await traces?.close()
      } catch (failure) {
        error(failure, 'writing the last spans')
      }
      // Whatever still reports after this goes to stderr only.
      log.level = 'silent'
      await engineLog.close()
    },
  }
}

/** A failed attempt is a warning with its reason; a completed one is logged at debug level only, as a drain ends thousands a second. */
function logAttempt(log: Logger, { job, trace, outcome, endedAt }: TracedAttempt): void {
  const fields = { jobId: job.id, traceId: trace?.traceId, attempt: job.attempt, provider: job.provider, ms: endedAt - job.startedAt }
  if (outcome === null) log.info(fields, `attempt ${job.attempt} of job ${job.id} was handed back before it ran: its breaker is open`)
  else if (!outcome.ok) {
    log.warn(
      { ...fields, category: outcome.category, retryable: outcome.retryable },
      `attempt ${job.attempt} of job ${job.id} failed: ${outcome.category}: ${outcome.message}`,
    )
  } else if (log.isLevelEnabled('debug')) {
    log.debug({ ...fields, inputTokens: outcome.inputTokens, outputTokens: outcome.outputTokens }, `attempt ${job.attempt} of job ${job.id} completed`)
  }
}
