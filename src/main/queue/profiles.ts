/**
 * What a job's provider name means at dispatch: a provider as it is, or a profile's
 * provider with the profile's model, base URL, key file and config defaults under the
 * job's own config. Resolved on the main thread from profiles held in memory, so a
 * dispatch costs no database read.
 */
import { isProviderKind, type ProviderProfile } from '../../shared/providers'
import type { ClaimedJob } from './store'

export interface Resolved {
  provider: string
  model: string | null
  config: Record<string, unknown>
}

export function resolveProvider(
  job: Pick<ClaimedJob, 'provider' | 'model' | 'config'>,
  profiles: ReadonlyMap<string, ProviderProfile>,
  keys: ReadonlyMap<string, string> = new Map(),
): Resolved {
  const profile = isProviderKind(job.provider) ? undefined : profiles.get(job.provider)
  // An unknown name goes to the worker as it is: the worker fails it, saying which names it knows.
  if (!profile) return { provider: job.provider, model: job.model, config: job.config }
  return {
    provider: profile.provider,
    model: job.model ?? profile.model ?? null,
    config: {
      ...profile.config,
      ...(profile.baseUrl === undefined ? {} : { baseUrl: profile.baseUrl }),
      ...(profile.keyFile === undefined ? {} : { keyFile: profile.keyFile }),
      ...job.config,
      // Last, so no job config can stand in for it; it travels to the worker, never to the database.
      ...(keys.has(profile.name) ? { apiKey: keys.get(profile.name) } : {}),
    },
  }
}
