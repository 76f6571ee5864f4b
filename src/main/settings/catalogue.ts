/**
 * The settings a user owns, in two homes. What belongs to one process (threads,
 * concurrency, logs, trace sampling, the exporter) lives in `settings.json` in the data
 * directory, overridden by `GENOPS_*` variables and by flags of `serve` and `run` (flag >
 * variable > file > default). What every process on the queue must agree on (retention,
 * backoff, breaker thresholds) lives in the store. Each key is a path in the engine's
 * config (src/main/engine.ts EngineConfig), whose schema validates every value: the
 * functions here take that schema as an argument rather than import the engine.
 */
import { z } from 'zod'
import { parseDuration } from '../../shared/duration'

export const SETTINGS_FILE = 'settings.json'
export type SettingHome = typeof SETTINGS_FILE | 'store'
/** How a value is typed on a command line or in a variable. */
export type SettingText = 'integer' | 'number' | 'string' | 'duration' | 'level' | 'boolean'

export interface SettingSpec {
  /** Its path in the engine's config, like `logs.maxFiles`. */
  key: string
  home: SettingHome
  description: string
  text: SettingText
  /** The flag of `serve` and `run` that sets it (process settings only). */
  flag?: string
  /** The `GENOPS_*` variable that sets it (process settings only). */
  env?: string
  /** Masked wherever it is shown. */
  secret?: boolean
  /** A running engine takes a change to this store setting within SHARED_SETTINGS_POLL_MS; the others at its next start. */
  live?: boolean
}

/** How often a running engine reads the store's settings again. */
export const SHARED_SETTINGS_POLL_MS = 5_000

const retention = (state: 'completed' | 'dead' | 'cancelled'): SettingSpec[] => [
  { key: `retention.${state}.maxCount`, home: 'store', text: 'integer', live: true, description: `${state} jobs kept at most; older ones are pruned` },
  { key: `retention.${state}.maxAgeMs`, home: 'store', text: 'duration', live: true, description: `how long ${state} jobs are kept (ms, or 30d)` },
]

export const SETTINGS: readonly SettingSpec[] = [
  {
    key: 'store',
    home: SETTINGS_FILE,
    text: 'string',
    flag: '--store',
    env: 'GENOPS_STORE',
    // The URL may carry the database's password.
    secret: true,
    description: "a team's PostgreSQL queue (postgres://user:password@host:5432/db) instead of the SQLite file in the data directory",
  },
  {
    key: 'artifactsDir',
    home: SETTINGS_FILE,
    text: 'string',
    flag: '--artifacts-dir',
    env: 'GENOPS_ARTIFACTS_DIR',
    description:
      "where each completed attempt's output file goes (default: artifacts in the data directory; on a team store, a directory every engine reaches)",
  },
  {
    key: 'teamKeyFile',
    home: SETTINGS_FILE,
    text: 'string',
    flag: '--team-key-file',
    env: 'GENOPS_TEAM_KEY_FILE',
    description: "a file holding the team's key (mode 0600), the same on every engine: it seals the API keys kept with profiles so that each engine opens them",
  },
  { key: 'threads', home: SETTINGS_FILE, text: 'integer', flag: '--threads', env: 'GENOPS_THREADS', description: 'worker threads that run attempts' },
  {
    key: 'concurrency',
    home: SETTINGS_FILE,
    text: 'integer',
    flag: '--concurrency',
    env: 'GENOPS_CONCURRENCY',
    description: 'most attempts in flight at once',
  },
  { key: 'logs.level', home: SETTINGS_FILE, text: 'level', flag: '--log-level', env: 'GENOPS_LOG_LEVEL', description: 'least severe log lines written' },
  {
    key: 'logs.maxBytes',
    home: SETTINGS_FILE,
    text: 'integer',
    flag: '--log-max-bytes',
    env: 'GENOPS_LOG_MAX_BYTES',
    description: 'a log file is rolled at this size',
  },
  {
    key: 'logs.maxFiles',
    home: SETTINGS_FILE,
    text: 'integer',
    flag: '--log-max-files',
    env: 'GENOPS_LOG_MAX_FILES',
    description: 'log files kept, the current one included',
  },
  {
    key: 'traces.sampleRatio',
    home: SETTINGS_FILE,
    text: 'number',
    flag: '--trace-sample-ratio',
    env: 'GENOPS_TRACE_SAMPLE_RATIO',
    description: "share of attempts whose spans are kept (a failed attempt's always are)",
  },
  {
    key: 'traces.maxPerSecond',
    home: SETTINGS_FILE,
    text: 'integer',
    flag: '--trace-max-per-second',
    env: 'GENOPS_TRACE_MAX_PER_SECOND',
    description: 'most attempts a second whose spans are kept',
  },
  {
    key: 'traces.retentionMs',
    home: SETTINGS_FILE,
    text: 'duration',
    flag: '--trace-retention',
    env: 'GENOPS_TRACE_RETENTION',
    description: 'how long spans are kept (ms, or 7d)',
  },
  {
    key: 'metrics.exporter.port',
    home: SETTINGS_FILE,
    text: 'integer',
    flag: '--metrics-port',
    env: 'GENOPS_METRICS_PORT',
    description: 'port of the Prometheus exporter (0 picks a free one)',
  },
  {
    key: 'metrics.exporter.host',
    home: SETTINGS_FILE,
    text: 'string',
    flag: '--metrics-host',
    env: 'GENOPS_METRICS_HOST',
    description: 'address the exporter listens on (beyond loopback only with a token)',
  },
  {
    key: 'metrics.exporter.token',
    home: SETTINGS_FILE,
    text: 'string',
    flag: '--metrics-token',
    env: 'GENOPS_METRICS_TOKEN',
    secret: true,
    description: 'bearer token /metrics and /health then require',
  },
  ...retention('completed'),
  ...retention('dead'),
  ...retention('cancelled'),
  { key: 'backoff.baseMs', home: 'store', text: 'duration', live: true, description: 'first retry delay, doubled each attempt (ms, or 2s)' },
  { key: 'backoff.maxMs', home: 'store', text: 'duration', live: true, description: 'longest retry delay (ms, or 5m)' },
  { key: 'breaker.failureRatio', home: 'store', text: 'number', description: "share of failed attempts in the window that opens a provider's breaker" },
  { key: 'breaker.window', home: 'store', text: 'integer', description: 'attempts the failure ratio is taken over' },
  { key: 'breaker.minimumAttempts', home: 'store', text: 'integer', description: 'attempts seen before a breaker may open' },
  { key: 'breaker.openMs', home: 'store', text: 'duration', description: 'how long a breaker first stays open (ms, or 30s)' },
  { key: 'breaker.maxOpenMs', home: 'store', text: 'duration', description: 'longest a breaker stays open as it keeps failing (ms, or 10m)' },
  // Every process on the queue counts one shared log of starts: they must agree on how long a window is.
  { key: 'rateLimits.windowMs', home: 'store', text: 'duration', description: "length of a profile's requests- and tokens-per-minute window (ms, or 60s)" },
  {
    key: 'rateLimits.cooldownAfter',
    home: 'store',
    text: 'integer',
    description: 'Retry-After answers within the next setting that cool a whole provider down',
  },
  { key: 'rateLimits.cooldownWithinMs', home: 'store', text: 'duration', description: 'how close together those answers must come (ms, or 3s)' },
  // Every process on the queue answers from one cache: they must agree on whether a job that does not say uses it.
  {
    key: 'cache.enabled',
    home: 'store',
    text: 'boolean',
    live: true,
    description: "identical requests reuse a completed answer (a job's config.cache, or enqueue --no-cache, overrides it)",
  },
]

export class SettingsError extends Error {
  override name = 'SettingsError'
}

export function settingSpec(key: string): SettingSpec {
  const spec = SETTINGS.find((setting) => setting.key === key)
  if (!spec) throw new SettingsError(`unknown setting "${key}": \`genops settings list\` shows them all`)
  return spec
}

type Plain = Record<string, unknown>
const isPlain = (value: unknown): value is Plain => typeof value === 'object' && value !== null && !Array.isArray(value)

export function getPath(value: unknown, key: string): unknown {
  let at: unknown = value
  for (const part of key.split('.')) {
    if (!isPlain(at)) return undefined
    at = at[part]
  }
  return at
}

export function setPath(target: Plain, key: string, value: unknown): void {
  const parts = key.split('.')
  let at = target
  for (const part of parts.slice(0, -1)) {
    if (!isPlain(at[part])) at[part] = {}
    at = at[part] as Plain
  }
  at[parts.at(-1)!] = value
}

/** The schema of one key in the engine's config, defaults and optionals unwrapped down to objects. */
export function schemaAt(schema: z.ZodType, key: string): z.ZodType {
  let at = schema
  for (const part of key.split('.')) {
    at = unwrap(at)
    if (!(at instanceof z.ZodObject)) throw new SettingsError(`${key} is not in the engine's config`)
    const next = (at.shape as Record<string, z.ZodType | undefined>)[part]
    if (!next) throw new SettingsError(`${key} is not in the engine's config`)
    at = next
  }
  return at
}

function unwrap(schema: z.ZodType): z.ZodType {
  let at = schema
  for (;;) {
    const def = at.def as { type: string; innerType?: z.ZodType }
    if ((def.type === 'default' || def.type === 'prefault' || def.type === 'optional') && def.innerType) at = def.innerType
    else return at
  }
}

/** Checks one value against the engine's schema for its key; the message says the key and why. */
export function checkValue(schema: z.ZodType, key: string, value: unknown): unknown {
  const parsed = unwrap(schemaAt(schema, key)).safeParse(value)
  if (parsed.success) return parsed.data
  const messages = parsed.error.issues.map((issue) => issue.message)
  // The engine's own messages name the key already ("logs.maxFiles must be at least 2"); zod's defaults do not.
  throw new SettingsError(messages.every((message) => message.startsWith(key)) ? messages.join('; ') : `${key}: ${messages.join('; ')}`)
}

/** A value as typed on a command line or in a variable (`where` names it in the message), before the schema sees it. */
export function fromText(spec: SettingSpec, text: string, where: string): unknown {
  const trimmed = text.trim()
  if (spec.text === 'string' || spec.text === 'level') return trimmed
  if (spec.text === 'boolean') {
    if (/^(?:true|on|yes)$/i.test(trimmed)) return true
    if (/^(?:false|off|no)$/i.test(trimmed)) return false
    throw new SettingsError(`${where} must be true or false, not "${text}"`)
  }
  if (spec.text === 'duration' && !/^\d+$/.test(trimmed)) {
    try {
      return parseDuration(trimmed)
    } catch (error) {
      throw new SettingsError(`${where}: ${(error as Error).message}`)
    }
  }
  const value = trimmed === '' ? Number.NaN : Number(trimmed)
  if (!Number.isFinite(value)) throw new SettingsError(`${where} must be a number, not "${text}"`)
  return value
}

/**
 * The keys of a settings file that are not process settings, as paths: a store setting,
 * a key of the engine that is not a setting, or a typo. Objects are walked into only where
 * some process setting lives below them.
 */
export function unknownKeys(value: Plain, prefix = ''): string[] {
  const found: string[] = []
  for (const [name, inner] of Object.entries(value)) {
    const key = prefix + name
    const spec = SETTINGS.find((setting) => setting.key === key)
    if (spec?.home === SETTINGS_FILE) continue
    const below = SETTINGS.some((setting) => setting.home === SETTINGS_FILE && setting.key.startsWith(`${key}.`))
    if (below && isPlain(inner)) found.push(...unknownKeys(inner, `${key}.`))
    else found.push(key)
  }
  return found
}

/** What a setting shows: secrets masked. */
export function shown(spec: SettingSpec, value: unknown): unknown {
  return spec.secret && value !== undefined ? '********' : value
}
