/**
 * Providers and provider profiles. A provider is a kind of backend GenOps can call; a
 * profile is a named provider with its settings ("ollama" = openai at a local base URL),
 * kept in the database. A job names either. Profiles hold no secrets: a key comes from the
 * environment or a key file (mode 0600) whose path the profile names.
 */
import { z } from 'zod'
import { configProblem } from './job-config'
import { StoredConfig } from './jobs'
import { ProviderLimits } from './resilience'

export const PROVIDER_KINDS = ['sim', 'local', 'openai', 'anthropic'] as const
export type ProviderKind = (typeof PROVIDER_KINDS)[number]

export const PROVIDER_LABELS: Record<ProviderKind, string> = {
  sim: 'Simulator',
  local: 'Local model',
  openai: 'OpenAI-compatible',
  anthropic: 'Anthropic',
}

export const isProviderKind = (name: string): name is ProviderKind => (PROVIDER_KINDS as readonly string[]).includes(name)

const PROFILE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/

/** Where a held profile's jobs may run instead: another profile, with its own model or the one named after a slash. */
export interface Fallback {
  profile: string
  model: string | null
}

/** `backup` or `backup/gpt-4o-mini`: a model name may hold slashes of its own, so only the first one splits. */
export function parseFallback(entry: string): Fallback {
  const slash = entry.indexOf('/')
  return slash < 0 ? { profile: entry, model: null } : { profile: entry.slice(0, slash), model: entry.slice(slash + 1) }
}

const FallbackEntry = z
  .string()
  .max(600)
  .refine((entry) => {
    const { profile, model } = parseFallback(entry)
    return PROFILE_NAME.test(profile) && !isProviderKind(profile) && (model === null || (model.trim() === model && model.length > 0))
  }, 'a fallback is a profile name, or a profile name and a model as profile/model')

export const ProviderProfile = z
  .object({
    name: z
      .string()
      .regex(PROFILE_NAME, 'a profile name is up to 64 lower-case letters, digits, ".", "_" or "-"')
      .refine((name) => !isProviderKind(name), 'a profile cannot take the name of a provider (sim, local, openai, anthropic)'),
    provider: z.enum(PROVIDER_KINDS),
    model: z.string().trim().min(1).max(500).optional(),
    baseUrl: z.url({ protocol: /^https?$/, error: 'baseUrl must be an http:// or https:// URL' }).optional(),
    /** A file holding the API key, readable by its owner only (mode 0600). */
    keyFile: z.string().min(1).max(4096).optional(),
    /** Defaults for the config of jobs that use the profile (temperature, maxTokens...), checked for its provider below. */
    config: StoredConfig.optional(),
    /** Requests and tokens per minute, and attempts at once, that the scheduler keeps to. */
    limits: ProviderLimits.optional(),
    /**
     * Profiles (or profile/model) its queued jobs run on, first healthy one first, while its
     * breaker is open or it is paused; none (or []) keeps them held. Rate limits never fall back.
     */
    fallbacks: z.array(FallbackEntry).max(10).optional(),
  })
  .strict()
  .superRefine(({ provider, config }, context) => {
    if (config === undefined) return
    // The profile's endpoint is its baseUrl; one inside its job defaults would read as a job's own choice.
    const problem = 'baseUrl' in config ? 'config.baseUrl: a profile names its endpoint in baseUrl, not in its job defaults' : configProblem(provider, config)
    if (problem) context.addIssue({ code: 'custom', path: ['config'], message: problem })
  })
export type ProviderProfile = z.infer<typeof ProviderProfile>

/**
 * Why a profile's fallbacks cannot be saved beside the others, naming the profile; null
 * when they can. A fallback must be a profile that exists, not the profile itself, and no
 * chain of fallbacks may lead back to it.
 */
export function fallbackProblem(
  profile: Pick<ProviderProfile, 'name' | 'fallbacks'>,
  others: readonly Pick<ProviderProfile, 'name' | 'fallbacks'>[],
): string | null {
  const next = new Map(others.filter((other) => other.name !== profile.name).map((other) => [other.name, other.fallbacks ?? []]))
  next.set(profile.name, profile.fallbacks ?? [])
  for (const entry of profile.fallbacks ?? []) {
    const { profile: target } = parseFallback(entry)
    if (target === profile.name) return `profile "${profile.name}": fallback "${entry}" is the profile itself`
    if (!next.has(target)) return `profile "${profile.name}": fallback "${entry}" names no profile (add "${target}" first)`
  }
  // A walk from the profile: reaching it again is a cycle, told as the path that closes it.
  const path: string[] = [profile.name]
  const seen = new Set<string>()
  const walk = (name: string): string | null => {
    for (const entry of next.get(name) ?? []) {
      const target = parseFallback(entry).profile
      if (target === profile.name) return [...path, target].join(' -> ')
      if (seen.has(target) || !next.has(target)) continue
      seen.add(target)
      path.push(target)
      const cycle = walk(target)
      if (cycle) return cycle
      path.pop()
    }
    return null
  }
  const cycle = walk(profile.name)
  return cycle ? `profile "${profile.name}": its fallbacks make a cycle (${cycle})` : null
}
