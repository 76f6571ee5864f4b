/**
 * What a job's provider name means at dispatch: a provider as it is, or a profile's
 * provider with the profile's model and config defaults under the job's own config, and
 * the profile's endpoint (base URL, key file, the keychain's key) beside it, never inside
 * the config: the worker attaches a key to the profile's endpoint only. Resolved on the
 * main thread from profiles held in memory, so a dispatch costs no database read.
 */
import { holdSecret } from '../../shared/redact'
import { isProviderKind, type ProviderProfile } from '../../shared/providers'
import { readKeyFile } from '../../workers/key-file'
import type { ProfileEndpoint } from '../../workers/protocol'
import type { ClaimedJob } from './store'

export interface Resolved {
  provider: string
  model: string | null
  config: Record<string, unknown>
  endpoint?: ProfileEndpoint | undefined
}

export function resolveProvider(
  job: Pick<ClaimedJob, 'provider' | 'model' | 'config'>,
  profiles: ReadonlyMap<string, ProviderProfile>,
  keys: ReadonlyMap<string, string> = new Map(),
): Resolved {
  const profile = isProviderKind(job.provider) ? undefined : profiles.get(job.provider)
  // An unknown name goes to the worker as it is: the worker fails it, saying which names it knows.
  if (!profile) return { provider: job.provider, model: job.model, config: job.config }
  const endpoint: ProfileEndpoint = { profile: profile.name }
  if (profile.baseUrl !== undefined) endpoint.baseUrl = profile.baseUrl
  if (profile.keyFile !== undefined) endpoint.keyFile = profile.keyFile
  const key = keys.get(profile.name)
  if (key !== undefined) endpoint.apiKey = key
  return { provider: profile.provider, model: job.model ?? profile.model ?? null, config: { ...profile.config, ...job.config }, endpoint }
}

/**
 * The profiles' keys, held by this process so that its log, its bundles and its answers
 * mask them by value wherever a provider echoes one, whatever the key looks like. The
 * workers hold the keys they use; this is the main thread's own copy.
 */
export function holdProfileKeys(profiles: Iterable<ProviderProfile>, keychainKeys: Iterable<string>): void {
  for (const key of keychainKeys) holdSecret(key)
  for (const profile of profiles) {
    if (profile.keyFile === undefined) continue
    try {
      readKeyFile(profile.keyFile)
    } catch {
      // A key file that cannot be read holds nothing to mask; its jobs fail AUTH, naming the profile.
    }
  }
}
