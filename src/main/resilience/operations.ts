/**
 * The contract's operations on breakers, paused providers and batch caps. With an engine
 * in this process they act on its scheduler at once; from the CLI (no engine here) they
 * write to the database, where every running engine picks them up on its next poll.
 */
import { OperationError, type OperationHandlers } from '../../shared/contract'
import { RECENT_BREAKER_MS, type BreakerInfo, type BreakerState } from '../../shared/resilience'
import type { QueueStore } from '../queue/store'
import { OPERATOR } from '../store/sqlite/queue/resilience'
import type { Gates } from './gates'

/** What a running engine lends these operations. */
export interface ResilienceRuntime {
  gates: Gates
  /** Re-read paused providers and batch caps. */
  reloadGates(): Promise<void>
}

const HISTORY = 10

type ResilienceHandlers = OperationHandlers<
  'listBreakers' | 'resetBreaker' | 'openBreaker' | 'listProviderPauses' | 'pauseProvider' | 'resumeProvider' | 'setBatchLimit'
>

export function resilienceHandlers(store: QueueStore, runtime: ResilienceRuntime | undefined, countsMayChange: () => void): ResilienceHandlers {
  const breakers = async (): Promise<BreakerInfo[]> => {
    const history = await store.breakerHistory(HISTORY)
    const counts = await store.breakerCounts(Date.now() - RECENT_BREAKER_MS)
    const live = new Map((runtime?.gates.breakers.list() ?? []).map((status) => [status.name, status]))
    const limits = new Map((runtime?.gates.concurrency.list() ?? []).map(({ name, limit, ceiling }) => [name, { limit, ceiling }]))
    const names = [...new Set([...live.keys(), ...history.keys(), ...counts.keys()])].sort()
    return names.map((name) => {
      const events = history.get(name) ?? []
      const latest = events[0]
      const status = live.get(name) ?? {
        state: latest?.to ?? 'closed',
        openUntil: latest?.openUntil ?? null,
        since: latest?.at ?? Date.now(),
        reason: latest?.reason ?? null,
      }
      return {
        name,
        state: status.state,
        openUntil: status.openUntil,
        since: status.since,
        reason: status.reason,
        transitions: events.map(({ at, from, to, openUntil, reason }) => ({ at, from, to, openUntil, reason })),
        concurrency: limits.get(name) ?? null,
        recent: counts.get(name) ?? { ok: 0, failed: 0 },
      }
    })
  }
  const command = async (name: string, to: BreakerState): Promise<{ breaker: BreakerInfo }> => {
    const before = (await breakers()).find((breaker) => breaker.name === name)
    // A breaker is made when its first job runs; one can be held open before that, for a provider known to be down.
    if (!before && to === 'closed') throw new OperationError('NOT_FOUND', `no breaker named "${name}": \`genops breakers list\` shows them`)
    if (runtime) {
      // Applied here at once; the engine records it as an operator's command, which other engines on this file apply too.
      if (to === 'closed') runtime.gates.breakers.reset(name)
      else runtime.gates.breakers.isolate(name)
    } else {
      const reason = to === 'closed' ? 'reset by the operator' : 'held open by the operator'
      await store.recordBreakerEvent({ breaker: name, at: Date.now(), from: before?.state ?? 'closed', to, openUntil: null, reason, owner: OPERATOR })
    }
    countsMayChange()
    return { breaker: (await breakers()).find((breaker) => breaker.name === name)! }
  }
  return {
    listBreakers: async () => ({ breakers: await breakers() }),
    resetBreaker: ({ name }) => command(name, 'closed'),
    openBreaker: ({ name }) => command(name, 'isolated'),
    listProviderPauses: async () => ({ pauses: await store.providerPauses() }),
    pauseProvider: async ({ provider, reason }) => {
      await store.pauseProvider(provider, reason ?? 'paused by the operator', Date.now())
      await runtime?.reloadGates()
      countsMayChange()
      return { pauses: await store.providerPauses() }
    },
    resumeProvider: async ({ provider }) => {
      const resumed = await store.resumeProvider(provider)
      await runtime?.reloadGates()
      countsMayChange()
      return { resumed }
    },
    setBatchLimit: async ({ batchId, maxConcurrency }) => {
      const updated = await store.setBatchLimit(batchId, maxConcurrency)
      if (!updated) throw new OperationError('NOT_FOUND', `batch ${batchId} does not exist`)
      await runtime?.reloadGates()
      return { updated }
    },
  }
}
