/**
 * What a process with no engine (the CLI) can check: the store itself (its checks, asked of
 * the store), and what the store records (the queue paused, providers paused, breakers held
 * by the operator). The worker pool and the event loop are an engine's (ENGINE_ONLY_CHECKS).
 */
import type { QueueStore } from '../queue/store'
import { breakersHeld, providersRunning, queueRunning } from './checks'
import { HealthRegistry } from './registry'

export function standaloneHealth(store: QueueStore, { minFreeDiskBytes }: { minFreeDiskBytes?: number } = {}): HealthRegistry {
  const registry = new HealthRegistry()
  for (const check of store.upkeep.healthChecks({ minFreeDiskBytes })) registry.register(check)
  registry
    .register(queueRunning(() => store.isPaused()))
    .register(providersRunning(() => store.providerPauses()))
    .register(breakersHeld(async () => [...(await store.breakerHistory(1))].filter(([, [newest]]) => newest?.to === 'isolated').map(([name]) => name)))
  registry.markReady()
  return registry
}
