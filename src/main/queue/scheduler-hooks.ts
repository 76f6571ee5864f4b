/**
 * What the scheduler tells the rest of the engine: job changes for the screens, notices
 * for the operator, and each attempt as it ends for metrics, traces, logs and budgets.
 * Hooks are called on the main thread and must not block it.
 */
import type { JobChange } from '../../shared/contract'
import type { AttemptOutcome } from '../../workers/protocol'
import type { BreakerChange } from '../resilience/breakers'
import type { LimitDecrease } from '../resilience/concurrency-limit'
import type { HoldKind } from '../resilience/gates'
import type { AttemptTrace, TracedAttempt } from '../telemetry/attempt-trace'
import type { Resolved } from './profiles'
import type { ClaimedJob } from './store'

export interface SchedulerHooks {
  /** Jobs that changed state (claimed, settled, recovered). */
  onChanges(changes: JobChange[]): void
  /** Something changed that may move the counts (including another process's writes). */
  onCountsMayChange(): void
  onError(error: unknown, during: string): void
  /** Something the operator should know: a breaker opened, a provider was paused. */
  onNotice(notice: { level: 'info' | 'warning' | 'critical'; message: string }): void
  /** A breaker changed state (already recorded). */
  onBreakerChange?(change: BreakerChange): void
  /** A due job was left queued by a gate. */
  onHold?(provider: string, kind: HoldKind): void
  /** An overload signal lowered a provider's concurrency limit. */
  onConcurrencyDecrease?(decrease: LimitDecrease): void
  /** An attempt ended here, or a breaker handed it back before it ran: what the metrics count. */
  onAttemptEnded?(attempt: AttemptEnded): void
  /** Begins an attempt's trace at dispatch (traces on): the worker times its phases under it. */
  beginTrace?(job: ClaimedJob, ran: Resolved): AttemptTrace
  /** An attempt ended (or was handed back), with its trace: its spans and its log line. */
  onTrace?(attempt: TracedAttempt): void
  /** After each settle commits, before the next claim: a budget crossed by it pauses before more is claimed. */
  afterSettle?(): void | Promise<void>
  /**
   * True while the disk refuses writes (health/disk-full): the scheduler then claims and
   * commits nothing, and keeps what finished in memory until `flushAfterDiskFull`. Asked
   * every turn, so it answers from a field.
   */
  diskFull?(): boolean
  /** An attempt could not write its artifact: the disk refused it, with this code (ENOSPC...). */
  onDiskFull?(code: string, during: string): void
}

/** One attempt as the metrics see it: no prompt, no output, no key. */
export interface AttemptEnded {
  id: number
  /** The profile or provider kind the attempt ran on: the job's own, or the fallback it was sent to. */
  provider: string
  /** What ran: the provider kind and model the job's provider name resolved to. */
  kind: string
  model: string | null
  readyAt: number
  startedAt: number
  endedAt: number
  /** Null when a breaker handed the job back before the attempt started. */
  outcome: AttemptOutcome | null
  /** The attempt was given back (an AUTH failure, or a breaker's last-moment refusal): not the job's failure. */
  refunded: boolean
  /** What it cost at the configured prices, in USD; null when its model has no price. */
  costUsd: number | null
}
