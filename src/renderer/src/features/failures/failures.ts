/**
 * What the failures screen shows and does: failure groups by fingerprint, the regression
 * cases pinned from them and how their last run went, and the dead-letter queue (filtered
 * by category, provider and batch) with its statistics. Loaded once, then refreshed
 * (throttled) when the engine's counts say the dead letters changed or while regression
 * cases run. Every action says what it did, or what went wrong, in the notice.
 */
import type { ScreenNotice } from '../../components/screen'
import { screenAction } from '../../stores/screen-action'
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { EngineEvent, OperationInput } from '../../../../shared/contract'
import type { DeadFilter, DeadJob, DeadStats, FailureGroup, RegressionCase } from '../../../../shared/failures'
import type { QueueCounts } from '../../../../shared/jobs'
import type { Client } from '../../api'
import { throttle } from '../../stores/throttle'
import { plural, sayProblem } from '../../words'

/** Dead letters on the screen: the newest this many that match the filter. */
export const DEAD_PAGE = 200
export const REFRESH_MS = 1000

type Selection = OperationInput<'retryDead'>

/** Which dead jobs a retry or purge means, as the operator picked them. */
export type Scope = { kind: 'one'; id: number } | { kind: 'selected' } | { kind: 'matching' }

export interface FailuresState {
  status: 'loading' | 'ready' | 'error'
  loadProblem: string | null
  notice: ScreenNotice | null
  groups: FailureGroup[]
  cases: RegressionCase[]
  dead: DeadJob[]
  stats: DeadStats
  filter: DeadFilter
  /** Dead jobs ticked in the list. */
  selected: number[]
  /** An action on its way; buttons wait for it. */
  busy: string | null
  /** A purge waiting for the operator's yes. */
  confirming: Scope | null

  start(): () => void
  setFilter(filter: Partial<DeadFilter>): void
  toggle(id: number): void
  toggleAll(): void
  /** Each action resolves whether it succeeded (its notice says how it went). */
  retry(scope: Scope): Promise<boolean>
  askPurge(scope: Scope): void
  cancelPurge(): void
  purge(): Promise<boolean>
  pin(fingerprint: string): Promise<boolean>
  runRegressions(): Promise<boolean>
  dismissNotice(): void
}

const NO_STATS: DeadStats = { total: 0, byCategory: [], byProvider: [] }

const filtered = (filter: DeadFilter): boolean => filter.category !== undefined || filter.provider !== undefined || filter.batchId !== undefined

/** The contract's selection for a scope; null when it selects nothing. */
export function selectionOf(scope: Scope, selected: number[], filter: DeadFilter): Selection | null {
  if (scope.kind === 'one') return { id: scope.id }
  if (scope.kind === 'selected') return selected.length ? { ids: selected } : null
  return filtered(filter) ? { ...filter } : { all: true }
}

/** "job 12", "3 selected jobs", "every dead job": what a scope is, in words. */
export function scopeWords(scope: Scope, selected: number, filter: DeadFilter): string {
  if (scope.kind === 'one') return `job ${scope.id}`
  if (scope.kind === 'selected') return plural(selected, 'selected job')
  return filtered(filter) ? 'every dead job that matches the filter' : 'every dead job'
}

export function createFailuresStore(client: Client): StoreApi<FailuresState> {
  return createStore<FailuresState>()((set, get) => {
    let lastDead: number | null = null
    let request = 0

    async function load(): Promise<void> {
      const asked = ++request
      const { filter } = get()
      const [groups, cases, dead, stats] = await Promise.all([
        client.listFailureGroups({ limit: 50 }),
        client.listRegressions({}),
        client.listDead({ ...filter, limit: DEAD_PAGE }),
        client.deadStats({}),
      ])
      if (asked !== request) return
      const ids = new Set(dead.jobs.map((job) => job.id))
      set({
        groups: groups.groups,
        cases: cases.cases,
        dead: dead.jobs,
        stats,
        selected: get().selected.filter((id) => ids.has(id)),
        status: 'ready',
        loadProblem: null,
      })
    }

    const refresh = throttle(async () => {
      try {
        await load()
      } catch (error) {
        if (get().status === 'ready') set({ notice: { tone: 'error', text: `Could not refresh the failures: ${sayProblem(error)}` } })
        else set({ status: 'error', loadProblem: sayProblem(error) })
      }
    }, REFRESH_MS)

    function onCounts(counts: QueueCounts): void {
      const running = get().cases.some((c) => c.lastRun?.outcome === 'running')
      if (counts.dead !== lastDead || running) refresh.request()
      lastDead = counts.dead
    }

    const act = screenAction(get, set, () => refresh.request())

    return {
      status: 'loading',
      loadProblem: null,
      notice: null,
      groups: [],
      cases: [],
      dead: [],
      stats: NO_STATS,
      filter: {},
      selected: [],
      busy: null,
      confirming: null,

      start() {
        const stop = client.onEvent((event: EngineEvent) => {
          if (event.type === 'counts') onCounts(event.data.counts)
        })
        refresh.request()
        return () => {
          stop()
          refresh.cancel()
          request++
        }
      },

      setFilter(patch) {
        const filter = { ...get().filter, ...patch }
        for (const key of Object.keys(filter) as (keyof DeadFilter)[]) if (filter[key] === undefined) delete filter[key]
        set({ filter, selected: [], confirming: null })
        refresh.request()
      },

      toggle(id) {
        const { selected } = get()
        set({ selected: selected.includes(id) ? selected.filter((s) => s !== id) : [...selected, id] })
      },

      toggleAll() {
        const { selected, dead } = get()
        set({ selected: selected.length === dead.length ? [] : dead.map((job) => job.id) })
      },

      retry: (scope) =>
        act('retry', async () => {
          const { selected, filter } = get()
          const selection = selectionOf(scope, selected, filter)
          if (!selection) return 'Tick the dead jobs to retry first.'
          const { retried } = await client.retryDead(selection)
          if (scope.kind !== 'one') set({ selected: [] })
          return retried === 0 ? 'No dead job matched: nothing was retried.' : `${plural(retried, 'job')} queued again, with fresh attempts.`
        }),

      askPurge: (scope) => set({ confirming: scope }),
      cancelPurge: () => set({ confirming: null }),

      purge: () =>
        act('purge', async () => {
          const { confirming, selected, filter } = get()
          set({ confirming: null })
          if (!confirming) return 'Nothing to purge.'
          const selection = selectionOf(confirming, selected, filter)
          if (!selection) return 'Tick the dead jobs to purge first.'
          const { removed } = await client.purgeDead(selection)
          if (confirming.kind !== 'one') set({ selected: [] })
          return `${plural(removed, 'dead job')} purged.`
        }),

      pin: (fingerprint) =>
        act('pin', async () => {
          const { added, group } = await client.pinFailureGroup({ fingerprint })
          return added === 0
            ? `The ${group.category} group was already pinned: its cases are in the regression set.`
            : `Pinned ${plural(added, 'regression case')} from the ${group.category} group.`
        }),

      runRegressions: () =>
        act('run', async () => {
          const { runs, skipped, batchId } = await client.runRegressions({})
          const skippedText = skipped.length ? ` ${plural(skipped.length, 'case')} could not run: ${skipped.map((s) => s.problem).join('; ')}.` : ''
          return `Running ${plural(runs.length, 'regression case')} as batch ${batchId}.${skippedText}`
        }),

      dismissNotice: () => set({ notice: null }),
    }
  })
}
