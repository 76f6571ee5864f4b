/** A job as an operator submitted it, with the call's defaults applied: ready for the store. */
import { DEFAULT_ATTEMPTS, PRIORITY_RANK, type JobDefaults, type JobSpec } from '../../shared/jobs'
import type { NewJob } from './store'

export const DEFAULT_PROVIDER = 'sim'

export function toNewJob(spec: JobSpec, defaults: JobDefaults, now: number): NewJob {
  // A job's config adds to the call's defaults key by key (a --base-url stays under a job's own temperature).
  const config = spec.config && defaults.config ? { ...defaults.config, ...spec.config } : (spec.config ?? defaults.config)
  const tags = spec.tags ?? defaults.tags
  return {
    prompt: spec.prompt,
    provider: spec.provider ?? defaults.provider ?? DEFAULT_PROVIDER,
    model: spec.model ?? defaults.model ?? null,
    priority: PRIORITY_RANK[spec.priority ?? defaults.priority ?? 'normal'],
    runAt: now + (spec.delayMs ?? defaults.delayMs ?? 0),
    maxAttempts: spec.attempts ?? defaults.attempts ?? DEFAULT_ATTEMPTS,
    idempotencyKey: spec.idempotencyKey ?? null,
    tags: tags && tags.length > 0 ? tags : null,
    config: config && Object.keys(config).length > 0 ? config : null,
  }
}
