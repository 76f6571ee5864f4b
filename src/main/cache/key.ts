/**
 * The response cache's key: a sha256 of a canonical JSON of what makes an answer, taken
 * where the request is resolved (a profile's provider, model, endpoint and defaults under
 * the job's config). Two requests with the same key would be sent the same: provider kind,
 * endpoint, model, the prompt as rendered, every generation parameter and the output
 * format or schema. Never a credential: a profile's key travels beside the request, not in
 * it, and a base URL loses any user, password or key-like query value before it is hashed.
 */
import { createHash } from 'node:crypto'
import { fillVariables, variablesProblem } from '../../shared/job-config'
import { redact } from '../../shared/redact'
import type { Resolved } from '../queue/profiles'

/**
 * Config keys that decide how an attempt runs or where its answer is filed, never what the answer is (cacheSystemPrompt: how it is
 * billed; lane and deadlineMs: whether it went one request at a time or in a provider batch).
 */
const NOT_THE_ANSWER = new Set([
  'vars',
  'timeoutMs',
  'firstTokenTimeoutMs',
  'outputName',
  'artifact',
  'cache',
  'llamaThreads',
  'baseUrl',
  'cacheSystemPrompt',
  'lane',
  'deadlineMs',
])

/** Query parameters some gateways take a key in: dropped from the endpoint before it is hashed. */
const SECRET_PARAMETER = /key|token|secret|password|auth|signature|sig$/i

/** Bumped when what goes into a key changes, so old entries stop matching instead of answering wrongly. */
const KEY_VERSION = 1

/** True when this attempt takes part in the cache: its config says so, else the queue's default. */
export function cacheApplies(config: Readonly<Record<string, unknown>>, byDefault: boolean): boolean {
  return typeof config.cache === 'boolean' ? config.cache : byDefault
}

/** The endpoint as it is hashed: no credential, whatever the profile's URL carried. */
export function endpointOf(resolved: Pick<Resolved, 'config' | 'endpoint'>): string | null {
  const text = typeof resolved.config.baseUrl === 'string' ? resolved.config.baseUrl : (resolved.endpoint?.baseUrl ?? null)
  if (text === null) return null
  if (!URL.canParse(text)) return redact(text)
  const url = new URL(text)
  url.username = ''
  url.password = ''
  for (const name of [...url.searchParams.keys()]) if (SECRET_PARAMETER.test(name)) url.searchParams.delete(name)
  return url.href
}

/** JSON with every object's keys in order, so two equal configs written differently hash the same. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (typeof value !== 'object' || value === null) return value
  const record = value as Record<string, unknown>
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => [key, canonical(record[key])]),
  )
}

/** The key of this request; null when its prompt cannot be rendered (the worker fails it, saying why). */
export function cacheKey(resolved: Resolved, prompt: string): string | null {
  const vars = (resolved.config.vars ?? {}) as Record<string, unknown>
  if (variablesProblem(prompt, vars)) return null
  const parameters = Object.fromEntries(Object.entries(resolved.config).filter(([key]) => !NOT_THE_ANSWER.has(key)))
  const request = canonical({
    v: KEY_VERSION,
    kind: resolved.provider,
    endpoint: endpointOf(resolved),
    model: resolved.model,
    prompt: fillVariables(prompt, vars),
    parameters: { ...parameters, output: parameters.output ?? 'text' },
  })
  return createHash('sha256').update(JSON.stringify(request)).digest('hex')
}
