/** Providers by name. The generation issue adds local, openai and anthropic here. */
import { AttemptError } from '../../shared/errors'
import type { Provider } from './provider'
import { sim } from './sim'

const providers: Record<string, Provider> = { sim }

export function providerFor(name: string): Provider {
  const provider = providers[name]
  if (!provider) {
    throw new AttemptError('PROVIDER', `unknown provider "${name}": this build knows ${Object.keys(providers).join(', ')}`, { retryable: false })
  }
  return provider
}
