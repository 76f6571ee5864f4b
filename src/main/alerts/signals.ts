/**
 * The value of each rule's signal now, from the engine's own figures: the rollups for what
 * happened over a window, the queue's counts, the breakers, the budgets and the disk. Each
 * source is read at most once an evaluation, however many rules watch it.
 */
import type { AlertRule, AlertSignal } from '../../shared/alerts'
import type { Budget } from '../../shared/costs'
import { parseDuration } from '../../shared/duration'
import type { QueueStats } from '../../shared/jobs'
import type { BreakerState } from '../../shared/resilience'
import { freeDiskBytes } from '../health/checks'
import { LATENCY_BOUNDS_MS, percentile } from '../telemetry/rollups'
import type { AlertStore, WindowUsage } from './store'

type Awaitable<T> = T | Promise<T>

export interface SignalSources {
  alerts: Pick<AlertStore, 'usageSince'>
  queueStats(now: number): Awaitable<QueueStats>
  /** The running scheduler's breakers; none where no engine runs. */
  breakers(): readonly { state: BreakerState }[]
  budgets(now: number): Awaitable<Budget[]>
  /** The data directory, whose filesystem's free space is watched. */
  dataDir: string
}

/** Every enabled rule's value (null: no evidence either way). */
export async function readSignals(rules: readonly AlertRule[], sources: SignalSources, now: number): Promise<Map<string, number | null>> {
  const once = <T>(read: () => Promise<T>) => {
    let value: Promise<T> | undefined
    return () => (value ??= read())
  }
  const usage = new Map<number, Promise<WindowUsage>>()
  const usageOver = (windowMs: number) => {
    let read = usage.get(windowMs)
    if (!read) usage.set(windowMs, (read = Promise.resolve(sources.alerts.usageSince(now - windowMs, now))))
    return read
  }
  const stats = once(async () => sources.queueStats(now))
  const budgets = once(async () => sources.budgets(now))

  const read: Record<AlertSignal, (rule: AlertRule) => Promise<number | null>> = {
    failure_rate: async (rule) => {
      const { attempts, failed } = await usageOver(windowOf(rule))
      return attempts === 0 || attempts < (rule.minAttempts ?? 1) ? null : failed / attempts
    },
    jobs_waiting: async () => (await stats()).counts.queued,
    no_progress: async (rule) => {
      const { counts, paused } = await stats()
      if (paused || counts.queued === 0) return 0
      return (await usageOver(windowOf(rule))).finished === 0 ? 1 : 0
    },
    breakers_open: async () => sources.breakers().filter((breaker) => breaker.state === 'open' || breaker.state === 'isolated').length,
    p95_job_seconds: async (rule) => {
      const ms = percentile((await usageOver(windowOf(rule))).latencyCounts, 0.95)
      // The top bucket holds everything slower than its bound: the answer is "at least" that.
      return ms === null ? null : Math.min(ms, LATENCY_BOUNDS_MS.at(-1)!) / 1000
    },
    budget_used_ratio: async () => {
      const all = await budgets()
      return all.length === 0 ? null : Math.max(...all.map((budget) => budget.spent / budget.limit))
    },
    free_disk_bytes: async () => freeDiskBytes(sources.dataDir),
  }

  const values = new Map<string, number | null>()
  for (const rule of rules) if (rule.enabled) values.set(rule.name, await read[rule.signal](rule))
  return values
}

/** The most used budget of each scope, as a share of its limit: what genops_budget_used_ratio shows. */
export function budgetUsedByScope(budgets: readonly Budget[]): { scope: string; ratio: number }[] {
  const most = new Map<string, number>()
  for (const budget of budgets) most.set(budget.scope, Math.max(most.get(budget.scope) ?? 0, budget.spent / budget.limit))
  return [...most].map(([scope, ratio]) => ({ scope, ratio }))
}

const windowOf = (rule: AlertRule): number => parseDuration(rule.window!)
