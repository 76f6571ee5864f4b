/** Providers by name. */
import { AttemptError } from '../../shared/errors'
import { anthropic } from './anthropic'
import { local } from './local'
import { openai } from './openai'
import type { Provider } from './provider'
import { sim } from './sim'

const providers: Record<string, Provider> = { sim, local, openai, anthropic }

export function providerFor(name: string): Provider {
  const provider = providers[name]
  if (!provider) {
    throw new AttemptError(
      'PROVIDER',
      `unknown provider "${name}": name a provider (${Object.keys(providers).join(', ')}) or a profile from \`genops providers list\``,
      { retryable: false },
    )
  }
  return provider
}
