/**
 * What the scheduler and the engine need from a queue store. The SQLite store is the
 * embedded default; a PostgreSQL store (claims by FOR UPDATE SKIP LOCKED) can implement
 * the same interface, which is why every method may answer with a promise.
 */
import type { JobChange } from '../../shared/contract'
import type { JobDetail, JobState, JobSummary, QueueStats, StoredState } from '../../shared/jobs'
import type { ProviderProfile } from '../../shared/providers'

/** A job ready to be written: defaults applied, validated at the boundary. */
export interface NewJob {
  prompt: string
  provider: string
  model: string | null
  priority: number
  runAt: number
  maxAttempts: number
  idempotencyKey: string | null
  tags: string[] | null
  config: Record<string, unknown> | null
}

export interface EnqueueResult {
  batchId: number
  /** One id per job given, in order; a known idempotency key gives the existing job's id. */
  jobIds: number[]
  duplicates: number
}

/** A job the scheduler holds a lease on, with what a worker needs to run one attempt. */
export interface ClaimedJob {
  id: number
  batchId: number | null
  provider: string
  model: string | null
  prompt: string
  config: Record<string, unknown>
  /** This attempt's number, from 1. */
  attempt: number
  startedAt: number
  /** When the job became due: the queue wait ends at startedAt. */
  readyAt: number
}

/** How one attempt ended, as the scheduler reports it to the store. */
export type AttemptResult =
  | {
      id: number
      outcome: 'ok'
      endedAt: number
      output: string
      /** Where the attempt wrote its output, when it wrote one. */
      artifact?: string | null
      inputTokens: number | null
      outputTokens: number | null
    }
  | {
      id: number
      outcome: 'error'
      endedAt: number
      category: string
      message: string
      retryable: boolean
      /** Earliest next try, when the provider said (Retry-After) or backoff chose. */
      retryAt: number
    }

export interface ClaimOptions {
  owner: string
  limit: number
  now: number
  leaseMs: number
}

export interface RecoverOptions {
  now: number
  /** Past this many stalls a job is dead instead of requeued. */
  maxStalled: number
  /** Owners known dead (a crashed process on this host): their leases count as expired now. */
  deadOwners?: string[]
}

export interface ListOptions {
  state?: JobState | undefined
  batchId?: number | undefined
  beforeId?: number | undefined
  limit: number
}

export interface RetentionRule {
  /** Keep at most this many jobs in the state (newest kept). */
  maxCount: number
  /** Remove jobs finished longer ago than this. */
  maxAgeMs: number
}
export type RetentionPolicy = Record<'completed' | 'dead' | 'cancelled', RetentionRule>

export type Awaitable<T> = T | Promise<T>

export interface QueueStore {
  enqueue(jobs: NewJob[], batchName: string, now: number): Awaitable<EnqueueResult>
  claim(options: ClaimOptions): Awaitable<{ jobs: ClaimedJob[]; changes: JobChange[] }>
  /** Records how attempts ended; results for jobs whose lease this owner lost are ignored. */
  settle(results: AttemptResult[], owner: string): Awaitable<JobChange[]>
  extendLeases(owner: string, until: number): Awaitable<number>
  /** Active jobs whose leases are held by others, for spotting crashed owners. */
  leaseOwners(): Awaitable<string[]>
  recoverStalled(options: RecoverOptions): Awaitable<JobChange[]>
  /** Of these job ids, those no longer active under this owner (cancelled elsewhere, for instance). */
  lostLeases(owner: string, ids: number[]): Awaitable<number[]>

  stats(now: number): Awaitable<QueueStats>
  list(options: ListOptions, now: number): Awaitable<JobSummary[]>
  get(id: number, now: number): Awaitable<JobDetail | null>

  cancel(id: number, now: number): Awaitable<{ job: JobSummary; change: JobChange | null; wasActive: boolean }>
  retry(id: number, now: number, from: readonly StoredState[]): Awaitable<{ job: JobSummary; change: JobChange }>
  retryAllDead(now: number): Awaitable<number>
  remove(id: number): Awaitable<boolean>
  clean(state: 'completed' | 'dead' | 'cancelled', olderThan: number): Awaitable<number>
  applyRetention(policy: RetentionPolicy, now: number): Awaitable<number>
  listProfiles(): Awaitable<ProviderProfile[]>
  saveProfile(profile: ProviderProfile, now: number): Awaitable<void>
  removeProfile(name: string): Awaitable<boolean>
  setProfileSecret(name: string, secret: Buffer | null): Awaitable<boolean>
  profileSecrets(): Awaitable<Map<string, Buffer>>
  setPaused(paused: boolean): Awaitable<void>
  isPaused(): Awaitable<boolean>
  /** A number that changes whenever another connection commits: cheap change detection. */
  externalVersion(): Awaitable<number>
  close(): Awaitable<void>
}
