/**
 * Where an HTTP provider's request goes and which key goes with it. The rule holds here,
 * where the key is attached, whatever intake could see:
 *
 * - a job may point at a server on this machine (`config.baseUrl`, loopback only), and such
 *   a request carries no credential of any kind: no profile key, no environment key;
 * - a profile's endpoint gets the profile's key (the keychain's, else its key file), else
 *   the environment's; a job for a profile cannot move it elsewhere;
 * - with neither, the provider's own endpoint gets the environment's key.
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
    return { url, key: LOCAL_PLACEHOLDER_KEY, jobChosen: true }
  }
  const url = endpoint?.baseUrl === undefined ? new URL(defaultUrl) : parseUrl(name, endpoint.baseUrl, `profile "${endpoint.profile}"'s`)
  return { url, key: keyFor(name, variable, url, endpoint), jobChosen: false }
}

function keyFor(name: string, variable: string, url: URL, endpoint: ProfileEndpoint | undefined): string {
  if (endpoint?.apiKey) {
    holdSecret(endpoint.apiKey)
    return endpoint.apiKey
  }
  if (endpoint?.keyFile !== undefined) {
    try {
      return readKeyFile(endpoint.keyFile, `the key file of profile "${endpoint.profile}"`)
    } catch (error) {
      throw new AttemptError('AUTH', `${name}: ${(error as Error).message}`)
    }
  }
  const key = process.env[variable]?.trim()
  if (key) return key
  if (isLoopbackUrl(url)) return LOCAL_PLACEHOLDER_KEY
  throw new AttemptError('AUTH', `${name}: no API key for ${url.origin}: set ${variable} in the environment GenOps runs in, or give the profile a key file`)
}
