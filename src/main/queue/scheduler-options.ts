/** What a scheduler is configured with: the engine's config (engine.ts) less what only the engine uses. */
import type { CacheOptions } from '../cache/answers'
import type { BudgetWatch } from '../costs/budget-watch'
import type { PriceBook } from '../costs/pricing'
import type { BreakerOptions } from '../resilience/breakers'
import type { ConcurrencyOptions } from '../resilience/concurrency-limit'
import type { ProfileKeyBox } from '../secrets'
import type { BackoffOptions } from './backoff'
import type { RetentionPolicy } from './store'

export interface SchedulerOptions {
  /** Most attempts in flight at once. */
  concurrency: number
  /** Most jobs claimed in one transaction. */
  claimBatch: number
  /** Most results committed in one transaction. */
  settleBatch: number
  leaseMs: number
  pollMs: number
  stallSweepMs: number
  maxStalled: number
  cancelGraceMs: number
  retentionSweepMs: number
  retention: RetentionPolicy
  backoff: BackoffOptions
  /** Where attempts write their outputs as files; null for none. */
  artifactsDir: string | null
  /** Opens the keys kept with profiles (the keychain or the team key); without it, such keys are not used. */
  keys?: ProfileKeyBox | undefined
  breaker: BreakerOptions
  /** Off only to measure what breakers save (bench/chaos). */
  breakers: boolean
  /** Rate windows' length and when 429s cool a whole provider down (resilience/gates.ts for the defaults). */
  rateLimits?: { windowMs: number; cooldownAfter: number; cooldownWithinMs: number } | undefined
  /** The concurrency limit learned per provider and model (resilience/concurrency-limit.ts). */
  adaptiveConcurrency?: ConcurrencyOptions | undefined
  /** Turns attempts' tokens into USD (costs/pricing.ts). Without it only the simulator and local models have a price (zero). */
  pricing?: PriceBook | undefined
  /** The budgets claims weigh and reserve against while any is set (costs/budget-watch.ts tells what they held). */
  budgets?: Pick<BudgetWatch, 'anyBudgets' | 'heldFor'> | undefined
  /** Whether jobs that do not say reuse (and leave) answers in the response cache; on when not given. */
  cache?: CacheOptions | undefined
}
