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

export const ProviderProfile = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a profile name is up to 64 lower-case letters, digits, ".", "_" or "-"')
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
  })
  .strict()
  .superRefine(({ provider, config }, context) => {
    if (config === undefined) return
    // The profile's endpoint is its baseUrl; one inside its job defaults would read as a job's own choice.
    const problem = 'baseUrl' in config ? 'config.baseUrl: a profile names its endpoint in baseUrl, not in its job defaults' : configProblem(provider, config)
    if (problem) context.addIssue({ code: 'custom', path: ['config'], message: problem })
  })
export type ProviderProfile = z.infer<typeof ProviderProfile>
