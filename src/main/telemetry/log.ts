/**
 * The engine's log: pino JSON lines in <dataDir>/logs/genops.N.log, rolled by size and kept
 * to a number of files by pino-roll (pino's own rolling destination: the current file is
 * the highest N). Lines about a job carry its jobId and traceId.
 *
 * Secrets are redacted twice over: pino's `redact` masks fields known to hold one (apiKey,
 * Authorization, ...), and every line, once serialised, goes through the value scrubber
 * (shared/redact) before it is written, so a key inside a message, an error's stack or a
 * field of any name is masked by its shape too.
 */
import { join } from 'node:path'
import { pino, type DestinationStream, type Logger } from 'pino'
import roll from 'pino-roll'
import { z } from 'zod'
import { REDACTED, redactWith, secretValues } from '../../shared/redact'

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
  const secrets = secretValues(env)
  return pino(
    {
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: SECRET_PATHS, censor: REDACTED },
      hooks: {
        streamWrite: (line) => redactWith(line, secrets),
      },
    },
    destination,
  )
}

export interface EngineLog {
  readonly logger: Logger
  /** Writes what is buffered and closes the file. */
  close(): Promise<void>
}

export async function openLog(dataDir: string, config: LogsConfig): Promise<EngineLog> {
  const file = await roll({
    file: join(logsDir(dataDir), 'genops'),
    extension: '.log',
    size: `${config.maxBytes}b`,
    // pino-roll's count is of the files beside the current one. It counts the files earlier runs left too, so
    // the directory stays bounded across restarts.
    limit: { count: config.maxFiles - 1, removeOtherLogFiles: true },
    mkdir: true,
  })
  const logger = createLogger(config.level, file)
  return {
    logger,
    close: () =>
      new Promise<void>((resolve) => {
        file.once('close', () => resolve())
        file.once('error', () => resolve())
        file.end()
      }),
  }
}
