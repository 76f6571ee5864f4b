/**
 * Where an HTTP provider's request goes and which key goes with it. The rule holds here,
 * where the key is attached, whatever intake could see:
 *
 * - a job may point at a server on this machine (`config.baseUrl`, loopback only), and such
 *   a request carries no credential of any kind: no profile key, no environment key;
 * - a profile's endpoint gets the profile's key (the keychain's, else its key file); a job
 *   for a profile cannot move it elsewhere;
 * - the environment's key (OPENAI_API_KEY, ANTHROPIC_API_KEY) goes to the provider's own
 *   endpoint only: never to a profile's other URL, where whatever listens on a local port
 *   while Ollama is down would receive the operator's cloud key.
 */
import { isLoopbackUrl } from '../../shared/job-config'
import { AttemptError } from '../../shared/errors'
import { holdSecret } from '../../shared/redact'
import { readKeyFile } from '../key-file'
import type { ProfileEndpoint } from '../protocol'

/** Local servers usually take no key, but the SDKs insist on one: this placeholder is never a real credential. */
export const LOCAL_PLACEHOLDER_KEY = 'no-key-needed-for-local-server'

export interface Reach {
  url: URL
  key: string
  /** True when the job chose the URL: the SDK must add nothing of its own (organization, auth token) from the environment. */
  jobChosen: boolean
  /**
   * Where the key came from, in the operator's words, for an AUTH failure to say which key to
   * fix: the profile's key (by profile, never the file's path) or the environment variable;
   * with the placeholder key, why none was sent.
   */
  keySource: string
}

interface ProviderDefaults {
  name: 'openai' | 'anthropic'
  /** The environment variable that holds the provider's key. */
  variable: string
  defaultUrl: string
}

function parseUrl(name: string, text: string, whose: string): URL {
  const url = URL.canParse(text) ? new URL(text) : null
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
    throw new AttemptError('VALIDATION', `${name}: ${whose} base URL must be an http:// or https:// URL without a user or password`)
  }
  return url
}

export function reach({ name, variable, defaultUrl }: ProviderDefaults, jobBaseUrl: string | undefined, endpoint: ProfileEndpoint | undefined): Reach {
  if (jobBaseUrl !== undefined) {
    if (endpoint) throw new AttemptError('VALIDATION', `config.baseUrl: a job cannot redirect profile "${endpoint.profile}"`)
    const url = parseUrl(name, jobBaseUrl, "the job's")
    if (!isLoopbackUrl(url)) {
      throw new AttemptError('VALIDATION', `config.baseUrl: a job may only point at a server on this machine, not ${url.host}: name a profile for another endpoint`)
    }
    return { url, key: LOCAL_PLACEHOLDER_KEY, jobChosen: true, keySource: 'GenOps sends none to a server a job names' }
  }
  const url = endpoint?.baseUrl === undefined ? new URL(defaultUrl) : parseUrl(name, endpoint.baseUrl, `profile "${endpoint.profile}"'s`)
  return { url, ...keyFor(name, variable, url, new URL(defaultUrl).origin, endpoint), jobChosen: false }
}

function keyFor(name: string, variable: string, url: URL, providerOrigin: string, endpoint: ProfileEndpoint | undefined): Pick<Reach, 'key' | 'keySource'> {
  if (endpoint?.apiKey) {
    holdSecret(endpoint.apiKey)
    return { key: endpoint.apiKey, keySource: `the key saved with profile "${endpoint.profile}" (in the OS keychain)` }
  }
  if (endpoint?.keyFile !== undefined) {
    const subject = `the key file of profile "${endpoint.profile}"`
    try {
      return { key: readKeyFile(endpoint.keyFile, subject), keySource: subject }
    } catch (error) {
      throw new AttemptError('AUTH', `${name}: ${(error as Error).message}`)
    }
  }
  if (url.origin === providerOrigin) {
    const key = process.env[variable]?.trim()
    if (key) return { key, keySource: `${variable} in the environment GenOps runs in` }
    throw new AttemptError('AUTH', `${name}: no API key for ${url.origin}: set ${variable} in the environment GenOps runs in, or give the profile a key file`)
  }
  const profile = endpoint!.profile
  if (isLoopbackUrl(url)) return { key: LOCAL_PLACEHOLDER_KEY, keySource: `profile "${profile}" has none (give it a key file)` }
  throw new AttemptError('AUTH', `${name}: profile "${profile}" has no key for ${url.origin}: give it a key file (genops providers add ${profile} --key-file FILE)`)
}

/**
 * What classify needs to tell a refused key: which key to fix, and whether the endpoint was
 * the job's own choice. A server a job named gets no key from GenOps, so its 401 is the
 * job's settings at fault (VALIDATION), not a key to fix: it must not pause the provider
 * for every other job.
 */
export function authContext(to: Reach): { authHint: string; jobChosenEndpoint: boolean } {
  const hint = to.key === LOCAL_PLACEHOLDER_KEY ? `no key was sent: ${to.keySource}` : `the key sent was ${to.keySource}`
  return { authHint: hint, jobChosenEndpoint: to.jobChosen }
}
