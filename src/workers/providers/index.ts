/** Providers by name, each with its config schema (shared/job-config). */
import { AttemptError } from '../../shared/errors'
import type { ConfigKind } from '../../shared/job-config'
import { anthropic } from './anthropic'
import { local } from './local'
import { openai } from './openai'
import type { Provider } from './provider'
import { sim } from './sim'

const providers = { sim, local, openai, anthropic } satisfies Record<ConfigKind, Provider<never>>

export function providerKind(name: string): ConfigKind {
  if (Object.hasOwn(providers, name)) return name as ConfigKind
  throw new AttemptError(
    'PROVIDER',
    `unknown provider "${name}": name a provider (${Object.keys(providers).join(', ')}) or a profile from \`genops providers list\``,
    { retryable: false },
  )
}

/** The provider of a kind; its config must have passed that kind's schema. */
export function providerFor<K extends ConfigKind>(kind: K): (typeof providers)[K] {
  return providers[kind]
}
