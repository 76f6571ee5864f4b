/** Providers by name. The generation issue adds local here. */
import { AttemptError } from '../../shared/errors'
import { anthropic } from './anthropic'
import { openai } from './openai'
import type { Provider } from './provider'
import { sim } from './sim'

const providers: Record<string, Provider> = { sim, openai, anthropic }

export function providerFor(name: string): Provider {
  const provider = providers[name]
  if (!provider) {
    throw new AttemptError('PROVIDER', `unknown provider "${name}": this build knows ${Object.keys(providers).join(', ')}`, { retryable: false })
  }
  return provider
}
