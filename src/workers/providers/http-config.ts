/**
 * What the HTTP providers (openai, anthropic) read from a job's config and the worker's
 * environment, checked before any request goes out: a bad field is a VALIDATION error that
 * names it, so the job goes to dead at once with a reason instead of burning attempts.
 */
import { isIP } from 'node:net'
import { AttemptError } from '../../shared/errors'
import { readKeyFile } from '../key-file'

export function requireModel(provider: string, model: string | null): string {
  if (typeof model !== 'string' || model.trim() === '') throw new AttemptError('VALIDATION', `${provider}: the job names no model (set its model)`)
  return model.trim()
}

/** `config.baseUrl`, or the provider's own; http(s) only, and no credentials in it (they would end up in messages and logs). */
export function baseUrl(provider: string, config: Record<string, unknown>, fallback: string): URL {
  const value = config.baseUrl ?? fallback
  if (typeof value !== 'string') throw new AttemptError('VALIDATION', `${provider}: config.baseUrl must be a URL string`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new AttemptError('VALIDATION', `${provider}: config.baseUrl "${value.slice(0, 200)}" is not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AttemptError('VALIDATION', `${provider}: config.baseUrl must be http:// or https://, not ${url.protocol}`)
  }
  if (url.username || url.password)
    throw new AttemptError('VALIDATION', `${provider}: config.baseUrl must not carry a user or password; keys come from the environment`)
  return url
}

/** localhost, 127.0.0.0/8 or ::1: a server on this machine, such as Ollama or LM Studio. */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return host === '::1' || host === '::ffff:127.0.0.1'
}

/** Local servers usually take no key, but the SDKs insist on one: this placeholder is never a real credential. */
const LOCAL_PLACEHOLDER_KEY = 'no-key-needed-for-local-server'

/**
 * The API key: from the key file a profile names (`config.keyFile`), else the worker's
 * environment. A loopback endpoint may do without; any other endpoint without a key is an
 * AUTH failure that says which variable to set.
 */
export function apiKey(provider: string, variable: string, url: URL, config: Record<string, unknown> = {}): string {
  // A profile's key from the desktop app's keychain, added at dispatch (jobs cannot carry one).
  if (typeof config.apiKey === 'string' && config.apiKey !== '') return config.apiKey
  if (config.keyFile !== undefined) {
    if (typeof config.keyFile !== 'string') throw new AttemptError('VALIDATION', `${provider}: config.keyFile must be a path`)
    return readKeyFile(config.keyFile)
  }
  const key = process.env[variable]?.trim()
  if (key) return key
  if (isLoopback(url)) return LOCAL_PLACEHOLDER_KEY
  throw new AttemptError('AUTH', `${provider}: no API key for ${url.origin}: set ${variable} in the environment GenOps runs in`)
}

/** An optional number field from `min` to `max`; `integer` for counts and seeds. */
export function numberField(
  provider: string,
  config: Record<string, unknown>,
  name: string,
  { min, max, integer = false }: { min: number; max: number; integer?: boolean },
): number | undefined {
  const value = config[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new AttemptError('VALIDATION', `${provider}: config.${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`)
  }
  return value
}

export function stringField(provider: string, config: Record<string, unknown>, name: string): string | undefined {
  const value = config[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw new AttemptError('VALIDATION', `${provider}: config.${name} must be a string`)
  return value
}

/** `config.stop`: one string or a list of them. */
export function stopField(provider: string, config: Record<string, unknown>, maxCount: number): string[] | undefined {
  const value = config.stop
  if (value === undefined || value === null) return undefined
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length > maxCount || list.some((item) => typeof item !== 'string' || item === '')) {
    throw new AttemptError('VALIDATION', `${provider}: config.stop must be a non-empty string or a list of at most ${maxCount} of them`)
  }
  return list as string[]
}

/** The worker's HTTP clients, one per endpoint and key, so connections are reused across attempts. */
export class ClientCache<T> {
  private readonly clients = new Map<string, T>()
  /** A handful of endpoints is normal; more means keys or URLs change, so old clients can go. */
  constructor(private readonly limit = 16) {}

  get(url: URL, key: string, make: () => T): T {
    const id = `${url.href}\n${key}`
    let client = this.clients.get(id)
    if (!client) {
      if (this.clients.size >= this.limit) this.clients.delete(this.clients.keys().next().value as string)
      client = make()
      this.clients.set(id, client)
    }
    return client
  }
}

/** Our own attempt limits stop a call (see workers/limits); the SDKs' header timeout is only a backstop against a silent server. */
export const SDK_TIMEOUT_MS = 60 * 60_000
