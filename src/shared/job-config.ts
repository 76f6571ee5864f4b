/**
 * A job's config, one schema per provider, used where a job enters (intake, the API, the
 * CLI) and again in the worker that runs it: whatever would fail every attempt (an unknown
 * key, a wrong type, an artifact name that could meet another job's file, a base URL that
 * would take the job's prompt off this machine) is refused once, with `file:line`, instead
 * of being found 3,000 times as dead jobs.
 *
 * Credentials are never part of it: keys belong to profiles (a key file, the keychain) or
 * to the environment, and a job may only point an HTTP provider at a server on this
 * machine, where no credential is ever sent (see src/workers/providers/endpoint.ts).
 */
import { z } from 'zod'
import { ERROR_CATEGORIES, type ErrorCategory } from './errors'

/** How a job reaches its provider: one request now, or inside the provider's batch (half price, within 24 h). */
export const LANES = ['realtime', 'batch'] as const
export type Lane = (typeof LANES)[number]

/** Provider kinds with a batch API (OpenAI Batch, Anthropic Message Batches); the simulator and local models have none. */
export const BATCH_KINDS: readonly ConfigKind[] = ['openai', 'anthropic']

/** Settings a provider's batch API cannot honour: a batch line is not streamed, and runs only on the profile's endpoint. */
const NOT_IN_BATCH = ['firstTokenTimeoutMs', 'baseUrl'] as const

/** The longest time limit an attempt may be given: a day. */
export const MAX_TIMEOUT_MS = 24 * 3600_000

/** A chosen artifact name: a plain file name, so nothing from a job becomes a path of its own. */
const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

/** Names Windows keeps for devices, whatever follows the first dot: `con.txt` opens the console. */
const WINDOWS_DEVICE = /^(?:con|prn|aux|nul|com[0-9]|lpt[0-9])(?:\..*)?$/i

/**
 * `config.outputName`. Never all digits (another job's default name is its id) and never
 * ending in `.meta` (`27.meta` + `.json` is job 27's metadata file).
 */
export const OutputName = z
  .string({ error: 'outputName must be a file name' })
  .regex(PLAIN_NAME, 'outputName must be a plain file name: letters, digits, ".", "_", "-", at most 100, starting with a letter or digit')
  .refine((name) => !name.includes('..'), 'outputName must not hold ".."')
  .refine((name) => !/^\d+$/.test(name), 'outputName cannot be all digits: that is how other jobs\' outputs are named (by id)')
  .refine((name) => !/\.meta$/i.test(name), 'outputName cannot end in ".meta": that is how metadata files are named')
  .refine((name) => !WINDOWS_DEVICE.test(name), 'outputName cannot be a Windows device name (CON, NUL, COM1...), with or without an extension')
  .refine((name) => !name.endsWith('.'), 'outputName cannot end in "." (Windows drops it, and two names would meet)')

const JsonSchemaObject = z.record(z.string(), z.unknown(), { error: 'a schema is a JSON Schema object, like {"type": "object"}' })

/** `config.output`: text (the default), any JSON, or JSON matching a JSON Schema. */
export const OutputSetting = z.union([z.enum(['text', 'json']), z.strictObject({ schema: JsonSchemaObject })], {
  error: 'output must be "text", "json" or {"schema": {...}}',
})
export type OutputSetting = z.infer<typeof OutputSetting>

const milliseconds = (name: string) =>
  z.number({ error: `${name} must be a number of milliseconds` }).positive(`${name} must be above 0`).max(MAX_TIMEOUT_MS, `${name} must be at most a day`)

/** A number from `min` to `max`, said so in the operator's words whatever is wrong with it. */
const between = (name: string, min: number, max: number) => {
  const words = `${name} must be a number from ${min} to ${max}`
  return z.number({ error: words }).min(min, words).max(max, words)
}

/** A whole number from `min` to `max`, said so whatever is wrong with it. */
const whole = (name: string, min: number, max: number) => {
  const words = `${name} must be a whole number from ${min} to ${max}`
  return z.number({ error: words }).int(words).min(min, words).max(max, words)
}

const isStop = (value: unknown): boolean => typeof value === 'string' && value !== ''
const Stop = z.custom<string | string[]>(
  (value) => isStop(value) || (Array.isArray(value) && value.length >= 1 && value.length <= 16 && value.every(isStop)),
  { error: 'stop must be a non-empty string or a list of 1 to 16 of them' },
)

/** A server on this machine (Ollama, LM Studio, vLLM on loopback): localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return host === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1'
}

/**
 * A base URL a job may choose: http(s), no user or password, and on this machine. A remote
 * endpoint, which needs a key, is a profile's (`genops providers add NAME --base-url URL`).
 */
export const JobBaseUrl = z.string({ error: 'baseUrl must be a URL' }).superRefine((text, context) => {
  const url = URL.canParse(text) ? new URL(text) : null
  const problem =
    url === null
      ? 'baseUrl is not a URL'
      : url.protocol !== 'http:' && url.protocol !== 'https:'
        ? `baseUrl must be http:// or https://, not ${url.protocol}`
        : url.username || url.password
          ? 'baseUrl must not carry a user or password'
          : !isLoopbackUrl(url)
            ? `a job may only point at a server on this machine (localhost, 127.0.0.1, ::1), not ${url.host}: for another endpoint make a profile (genops providers add NAME --base-url URL) and name it`
            : null
  if (problem) context.addIssue({ code: 'custom', message: problem })
})

/** What every provider takes: the attempt's limits, the output and its file, the prompt's variables and the usual generation parameters. */
const COMMON = {
  vars: z.record(z.string(), z.unknown(), { error: 'vars is an object of names to values, like {"city": "Lyon"}' }),
  output: OutputSetting,
  timeoutMs: milliseconds('timeoutMs'),
  firstTokenTimeoutMs: milliseconds('firstTokenTimeoutMs'),
  outputName: OutputName,
  artifact: z.boolean({ error: 'artifact must be true or false' }),
  // false: this job neither reuses a cached answer nor leaves its own (src/main/cache); true: it does, whatever the queue's default.
  cache: z.boolean({ error: 'cache must be true or false' }),
  // 'batch': sent through the provider's batch API at its batch price, answered within a day (src/main/provider-batches).
  lane: z.enum(LANES, { error: `lane must be ${LANES.map((lane) => `"${lane}"`).join(' or ')}` }),
  // A batch-lane job not answered this long after it was enqueued moves to the real-time lane.
  deadlineMs: milliseconds('deadlineMs'),
  // Generation parameters: each provider sends those its API has and leaves the rest, so one file runs on any provider.
  system: z.string({ error: 'system must be a string' }),
  temperature: between('temperature', 0, 2),
  maxTokens: whole('maxTokens', 1, 10_000_000),
  topP: between('topP', 0, 1),
  topK: whole('topK', 0, 100_000),
  seed: whole('seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
  stop: Stop,
}

const rate = between('a fault rate', 0, 1)
const FAULTS = ['rateLimit', 'unavailable', 'timeout', 'reset', 'auth', 'invalidOutput'] as const

/** The simulator's own settings (see src/workers/providers/sim.ts for what each does). */
const SIM = {
  latencyMs: between('latencyMs', 0, 600_000),
  latencySpread: between('latencySpread', 0, 3),
  firstTokenMs: between('firstTokenMs', 0, 600_000),
  seed: whole('seed', 0, 2 ** 31),
  outputTokens: whole('outputTokens', 0, 100_000),
  /** As a real provider's max_tokens: the answer is cut at this many tokens (and budgets estimate with it). */
  maxTokens: whole('maxTokens', 1, 100_000),
  faults: z.strictObject(Object.fromEntries(FAULTS.map((fault) => [fault, rate.optional()])) as Record<(typeof FAULTS)[number], z.ZodOptional<typeof rate>>),
  faultsUntil: whole('faultsUntil', 0, Number.MAX_SAFE_INTEGER),
  retryAfterMs: between('retryAfterMs', 0, 3_600_000),
  failAttempts: whole('failAttempts', 0, 1000),
  failCategory: z.enum(Object.keys(ERROR_CATEGORIES) as [ErrorCategory, ...ErrorCategory[]]),
  /** Of the prompt's input tokens, how many to report as read from, and as written to, a prompt cache: token classes in demos and tests. */
  cachedInputTokens: whole('cachedInputTokens', 0, 10_000_000),
  cacheWriteTokens: whole('cacheWriteTokens', 0, 10_000_000),
}

const LOCAL = {
  maxTokens: whole('maxTokens', 1, 1_000_000),
  seed: whole('seed', 0, 2 ** 32 - 1),
  /** llama's threads for one attempt; the worker caps it at the cores. */
  llamaThreads: whole('llamaThreads', 1, 1024),
}

const OPENAI = { baseUrl: JobBaseUrl }
const ANTHROPIC = {
  baseUrl: JobBaseUrl,
  maxTokens: whole('maxTokens', 1, 1_000_000),
  // true: the system prompt is sent with cache_control (5-minute prompt cache): later requests read it at a tenth of the input price.
  cacheSystemPrompt: z.boolean({ error: 'cacheSystemPrompt must be true or false' }),
}

const optional = <T extends z.ZodRawShape>(shape: T) =>
  Object.fromEntries(Object.entries(shape).map(([key, schema]) => [key, (schema as z.ZodType).optional()])) as unknown as { [K in keyof T]: z.ZodOptional<T[K]> }

const configOf = <T extends z.ZodRawShape>(own: T) => z.strictObject({ ...optional(COMMON), ...optional(own) })

export const SimConfig = configOf(SIM)
export const LocalConfig = configOf(LOCAL)
export const OpenAIConfig = configOf(OPENAI)
export const AnthropicConfig = configOf(ANTHROPIC)
export type SimConfig = z.infer<typeof SimConfig>
export type LocalConfig = z.infer<typeof LocalConfig>
export type OpenAIConfig = z.infer<typeof OpenAIConfig>
export type AnthropicConfig = z.infer<typeof AnthropicConfig>

/** Each provider kind's config schema, by the kind's name. */
export const CONFIG_SCHEMAS = { sim: SimConfig, local: LocalConfig, openai: OpenAIConfig, anthropic: AnthropicConfig } as const
export type ConfigKind = keyof typeof CONFIG_SCHEMAS

/**
 * Before the provider is known (a line that names none, or a profile): the common settings
 * checked, and any provider's own keys let through, to be checked once it is.
 */
const AnyConfig = z.strictObject({
  ...optional(COMMON),
  ...optional(
    Object.fromEntries([...Object.keys(SIM), ...Object.keys(LOCAL), ...Object.keys(OPENAI), ...Object.keys(ANTHROPIC)].map((key) => [key, z.unknown()])),
  ),
  // Each provider has its own range of these: the provider's is checked once it is known.
  ...optional({ seed: COMMON.seed, maxTokens: COMMON.maxTokens }),
})

/** Keys a job might use to carry a credential: each is refused by name, with where keys go instead. */
const CREDENTIAL_KEY = /^(?:key[-_]?file|api[-_]?key|authorization|token|secret|password|headers)$/i

function credentialProblem(config: Record<string, unknown>): string | null {
  const key = Object.keys(config).find((name) => CREDENTIAL_KEY.test(name))
  if (key === undefined) return null
  return /^key[-_]?file$/i.test(key)
    ? `config.${key}: a job cannot name a key file; keys belong to profiles (genops providers add NAME --key-file FILE) or the environment`
    : `config.${key}: a job holds no API keys, tokens or headers (it is stored with the job); keys belong to profiles or the environment`
}

/** The first few problems, each with its place: `config.faults.rateLmit: unknown key for provider sim`. */
function describe(error: z.ZodError, kind: ConfigKind | null): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const at = ['config', ...issue.path.map(String)].join('.')
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((key) => `${at}.${key}`).join(', ')
        return `${keys}: unknown ${issue.keys.length === 1 ? 'key' : 'keys'}${kind && issue.path.length === 0 ? ` for provider ${kind}` : ''}`
      }
      return `${at}: ${issue.message}`
    })
    .join('; ')
}

/**
 * What is wrong with a job's config for this provider kind (null: not known yet), or null
 * when nothing is. The words name the key, as `config.temperature: ...`.
 */
export function configProblem(kind: ConfigKind | null, config: Record<string, unknown>): string | null {
  const credential = credentialProblem(config)
  if (credential) return credential
  const parsed = (kind === null ? AnyConfig : CONFIG_SCHEMAS[kind]).safeParse(config)
  if (!parsed.success) return describe(parsed.error, kind)
  return batchLaneProblem(kind, config)
}

/** A batch-lane job its provider cannot take in a batch: no batch API, or a setting the batch API has no place for. */
function batchLaneProblem(kind: ConfigKind | null, config: Record<string, unknown>): string | null {
  // A deadline without a lane may meet a profile's default lane "batch" at dispatch; beside "realtime" it can only be a mistake.
  if (config.lane !== 'batch') return config.lane === 'realtime' && config.deadlineMs !== undefined ? 'config.deadlineMs: a deadline is for the batch lane (lane "batch")' : null
  if (kind !== null && !BATCH_KINDS.includes(kind)) {
    return `config.lane: provider ${kind} has no batch API; the batch lane is for ${BATCH_KINDS.join(' and ')}`
  }
  const unsupported = NOT_IN_BATCH.find((key) => config[key] !== undefined)
  return unsupported === undefined ? null : `config.${unsupported}: the batch API does not take it (a batch line is not streamed and runs on the profile's endpoint)`
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g

/** `{{name}}` in a prompt takes the variable `name`: the words for the names a prompt uses that `vars` lacks, or null. */
export function variablesProblem(prompt: string, vars: Readonly<Record<string, unknown>> = {}): string | null {
  if (!prompt.includes('{{')) return null
  const missing = new Set<string>()
  for (const [, name] of prompt.matchAll(PLACEHOLDER)) if (vars[name!] === undefined || vars[name!] === null) missing.add(name!)
  if (missing.size === 0) return null
  return `the prompt uses ${[...missing].map((name) => `{{${name}}}`).join(', ')} but the job has no such variable`
}

/** The prompt with its variables filled in; call after `variablesProblem` found none. */
export function fillVariables(prompt: string, vars: Readonly<Record<string, unknown>> = {}): string {
  if (!prompt.includes('{{')) return prompt
  return prompt.replace(PLACEHOLDER, (_, name: string) => {
    const value = vars[name]
    return typeof value === 'string' ? value : JSON.stringify(value)
  })
}
