/**
 * The engine's log: pino JSON lines in <dataDir>/logs/genops.N.log, rolled by size and kept
 * to a number of files by pino-roll (pino's own rolling destination: the current file is
 * the highest N). Lines about a job carry its jobId and traceId.
 *
 * Secrets are redacted twice over: pino's `redact` masks fields known to hold one (apiKey,
 * Authorization, ...), and every line, once serialised, goes through the value scrubber
 * (shared/redact) before it is written, so a key inside a message, an error's stack or a
 * field of any name is masked by its shape too.
 *
 * The log never ends the process: a file the disk refuses (ENOSPC) is a reason to drop lines,
 * not to crash (see GuardedFile).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { pino, type DestinationStream, type Logger } from 'pino'
import roll, { type RollingFile } from 'pino-roll'
import { z } from 'zod'
import { REDACTED, secretMask } from '../../shared/redact'

export const LogsConfig = z.object({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** A file is rolled once it holds this many bytes (give or take the last write, at most 16 KiB). Default 10 MiB. */
  maxBytes: z
    .number({ error: 'logs.maxBytes must be a number' })
    .int('logs.maxBytes must be a whole number of bytes')
    .min(1024, 'logs.maxBytes must be at least 1024')
    .default(10 * 1024 * 1024),
  /** Files kept, the current one included (at least 2: the current and the one before). Default 5. */
  maxFiles: z
    .number({ error: 'logs.maxFiles must be a number' })
    .int('logs.maxFiles must be a whole number')
    .min(2, 'logs.maxFiles must be at least 2')
    .default(5),
})
export type LogsConfig = z.output<typeof LogsConfig>
export const DEFAULT_LOGS: LogsConfig = { level: 'info', maxBytes: 10 * 1024 * 1024, maxFiles: 5 }

export const logsDir = (dataDir: string): string => join(dataDir, 'logs')

/** Fields whose value is a secret whatever it looks like, at the top, one level down (err.apiKey) and in headers. */
const SECRET_FIELDS = ['apiKey', 'api_key', 'key', 'token', 'accessToken', 'password', 'secret', 'authorization', 'Authorization', 'cookie']
export const SECRET_PATHS = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
  ...['headers', '*.headers', 'config', '*.config'].flatMap((parent) => [...SECRET_FIELDS, 'x-api-key'].map((field) => `${parent}["${field}"]`)),
]

/**
 * The logger over a destination; openLog gives it the rolling file, tests their own stream.
 * Keys and tokens this process was given in its environment are masked wherever they
 * appear, whatever their shape (a local server's key need not look like one).
 */
export function createLogger(level: LogsConfig['level'], destination: DestinationStream, env: NodeJS.ProcessEnv = process.env): Logger {
  const secrets = secretMask(env)
  return pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: SECRET_PATHS, censor: REDACTED },
      hooks: {
        streamWrite: (line) => secrets.mask(line),
      },
    },
    destination,
  )
}

export interface EngineLog {
  readonly logger: Logger
  /** Lines dropped because the file could not be written (a full disk), since the log was opened. */
  readonly droppedLines: number
  /** Writes what is buffered and closes the file. */
  close(): Promise<void>
}

export interface OpenLogOptions {
  /** The file refused a write (once per spell of failures): the engine decides what that means. */
  onWriteError?(error: unknown): void
  /** While the file fails, how often the line that failed is tried again. Default 1 s. */
  retryMs?: number
}

export async function openLog(dataDir: string, config: LogsConfig, options: OpenLogOptions = {}): Promise<EngineLog> {
  // Owner only, like the rest of the data directory: lines name prompts, files and errors.
  await mkdir(logsDir(dataDir), { recursive: true, mode: 0o700 })
  const file = await roll({
    file: join(logsDir(dataDir), 'genops'),
    mode: 0o600,
    extension: '.log',
    size: `${config.maxBytes}b`,
    // pino-roll's count is of the files beside the current one. It counts the files earlier runs left too, so the
    // directory stays bounded across restarts.
    limit: { count: config.maxFiles - 1, removeOtherLogFiles: true },
    mkdir: true,
  })
  const guarded = new GuardedFile(file, {
    retryMs: options.retryMs ?? 1_000,
    failed: (error) => options.onWriteError?.(error),
    // Said in the log itself, once it takes lines again: the gap in it is explained where it is.
    resumed: (dropped) =>
      logger.warn({ droppedLines: dropped }, `${dropped} log line${dropped === 1 ? ' was' : 's were'} dropped: the log file could not be written`),
  })
  const logger = createLogger(config.level, guarded)
  return {
    logger,
    get droppedLines() {
      return guarded.dropped
    },
    close: () => guarded.close(),
  }
}

/**
 * The rolling file behind pino, guarded. sonic-boom emits a failed write as an 'error'
 * event, which unheard ends the process, and keeps every later line in memory behind the
 * one that failed. Here the error is heard and reported once; while the file fails, new
 * lines are dropped and counted (memory stays bounded), and the line that failed is tried
 * again every `retryMs`: once it goes through, lines are taken again.
 */
class GuardedFile implements DestinationStream {
  dropped = 0
  /** `dropped` when the current spell of failures began: the note on recovery counts this spell only. */
  private droppedBefore = 0
  private failing = false
  private retry: NodeJS.Timeout | null = null
  private closed = false

  constructor(
    private readonly file: RollingFile,
    private readonly hooks: { retryMs: number; failed(error: unknown): void; resumed(dropped: number): void },
  ) {
    file.on('error', (error: unknown) => this.failed(error))
  }

  write(line: string): void {
    if (this.failing || this.closed) {
      this.dropped += 1
      return
    }
    this.tryWrite(line)
  }

  /**
   * A file that could not even be opened (its folder removed, a roll into a full disk) leaves
   * sonic-boom without a descriptor, and its write then throws instead of emitting 'error':
   * thrown from a logger call it would fail the caller's work, from the retry timer the process.
   */
  private tryWrite(line: string): void {
    try {
      this.file.write(line)
    } catch (error) {
      if (line !== '') this.dropped += 1
      this.failed(error)
    }
  }

  private failed(error: unknown): void {
    if (this.failing || this.closed) return
    this.failing = true
    this.droppedBefore = this.dropped
    this.file.once('write', () => this.recovered())
    // An empty write makes sonic-boom write what it holds again, starting with the line that failed.
    this.retry = setInterval(() => this.tryWrite(''), this.hooks.retryMs)
    this.retry.unref()
    this.hooks.failed(error)
  }

  private recovered(): void {
    if (this.retry) clearInterval(this.retry)
    this.retry = null
    this.failing = false
    const dropped = this.dropped - this.droppedBefore
    if (dropped > 0 && !this.closed) this.hooks.resumed(dropped)
  }

  close(): Promise<void> {
    this.closed = true
    if (this.retry) clearInterval(this.retry)
    return new Promise<void>((resolve) => {
      // What a full disk still refuses is given up: ending would wait for it for ever.
      if (this.failing) {
        this.file.destroy()
        return resolve()
      }
      this.file.once('close', () => resolve())
      this.file.once('error', () => resolve())
      this.file.end()
    })
  }
}
