/**
 * The scheduler: claims due jobs in batches, hands each to the pool as one attempt, and
 * commits the outcomes in batched transactions (a result counts only once committed).
 * It keeps the main thread free by bounding the work of each turn: at most one claim of
 * `claimBatch` jobs and one settle of `settleBatch` results, then it yields.
 *
 * Around that loop: heartbeats extend the leases of what runs here; a sweep requeues jobs
 * whose lease ran out (or whose owner process is gone); a poll notices what another
 * process (the CLI) changed in the database; retention prunes old finished jobs.
 */
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { JobChange } from '../../shared/contract'
import { isProviderKind, type ProviderProfile } from '../../shared/providers'
import { AttemptError } from '../../shared/errors'
import type { AttemptOutcome } from '../../workers/protocol'
import { retryDelayMs, type BackoffOptions } from './backoff'
import type { AttemptPool, ProgressMessage } from './pool'
import { resolveProvider } from './profiles'
import type { SecretBox } from '../secrets'
import type { AttemptResult, ClaimedJob, QueueStore, RetentionPolicy } from './store'

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
  /** Decrypts the keys kept with profiles (the desktop app); without it, such keys are not used. */
  secrets?: SecretBox | undefined
}

export interface SchedulerHooks {
  /** Jobs that changed state (claimed, settled, recovered). */
  onChanges(changes: JobChange[]): void
  /** Something changed that may move the counts (including another process's writes). */
  onCountsMayChange(): void
  onError(error: unknown, during: string): void
}

interface InFlight {
  job: ClaimedJob
  /** Known once the worker reports progress: needed to stop a thread that ignores a cancel. */
  threadId: number | null
  /** Set while a cancel is being delivered. */
  cancelTimer: NodeJS.Timeout | null
}

/** A cancel is repeated this often: the first may reach the thread before the task does. */
const CANCEL_RESEND_MS = 100

/** A lease owner names the host and process, so a successor can tell a crashed owner from a live one. */
export function newLeaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
}

/** True when the owner ran on this host in a process that no longer exists. */
export function ownerIsGone(owner: string, host = hostname()): boolean {
  const [ownerHost, pidText] = owner.split(':')
  const pid = Number(pidText)
  if (ownerHost !== host || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

export class Scheduler {
  readonly owner = newLeaseOwner()
  private readonly inFlight = new Map<number, InFlight>()
  private results: AttemptResult[] = []
  private turnScheduled = false
  private turnRunning = false
  private paused = false
  private closing = false
  private stopped = false
  private timers: NodeJS.Timeout[] = []
  private externalVersion = -1
  private idleWaiters: (() => void)[] = []
  private profiles = new Map<string, ProviderProfile>()
  /** Profiles' API keys, decrypted, held in memory only. */
  private keys = new Map<string, string>()

  constructor(
    private readonly store: QueueStore,
    private readonly pool: AttemptPool,
    private readonly options: SchedulerOptions,
    private readonly hooks: SchedulerHooks,
  ) {}

  async start(): Promise<void> {
    await this.reloadProfiles()
    this.paused = await this.store.isPaused()
    this.externalVersion = await this.store.externalVersion()
    await this.sweepStalled()
    const every = (ms: number, task: () => Promise<unknown>, during: string) => {
      const timer = setInterval(() => void task().catch((error: unknown) => this.hooks.onError(error, during)), ms)
      timer.unref()
      this.timers.push(timer)
    }
    every(this.options.pollMs, () => this.poll(), 'poll')
    every(Math.max(250, Math.floor(this.options.leaseMs / 3)), () => this.heartbeat(), 'heartbeat')
    every(this.options.stallSweepMs, () => this.sweepStalled(), 'stalled-job sweep')
    every(this.options.retentionSweepMs, () => this.applyRetention(), 'retention')
    this.kick()
  }

  get activeCount(): number {
    return this.inFlight.size
  }

  /** After a profile was saved or removed, here or by another process. */
  async reloadProfiles(): Promise<void> {
    this.profiles = new Map((await this.store.listProfiles()).map((profile) => [profile.name, profile]))
    const keys = new Map<string, string>()
    if (this.options.secrets) {
      for (const [name, secret] of await this.store.profileSecrets()) {
        try {
          keys.set(name, this.options.secrets.decrypt(secret))
        } catch (error) {
          this.hooks.onError(error, `decrypting the API key of profile "${name}"`)
        }
      }
    }
    this.keys = keys
  }

  isPaused(): boolean {
    return this.paused
  }

  setPaused(paused: boolean): void {
    this.paused = paused
    if (!paused) this.kick()
  }

  /** Schedules a turn of the loop soon, once, however often it is called. */
  kick(): void {
    if (this.turnScheduled || this.stopped) return
    this.turnScheduled = true
    setImmediate(() => {
      this.turnScheduled = false
      void this.turn()
    })
  }

  private async turn(): Promise<void> {
    if (this.turnRunning) return
    this.turnRunning = true
    let failed = false
    try {
      await this.commitResults()
      if (!this.paused && !this.closing) await this.claimAndDispatch()
    } catch (error) {
      failed = true
      this.hooks.onError(error, 'scheduler turn')
    } finally {
      this.turnRunning = false
    }
    // After a failure the poll timer tries again, rather than a tight loop of failing commits.
    if (this.results.length > 0 && !failed) this.kick()
    if (this.inFlight.size === 0 && this.results.length === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve())
  }

  private async commitResults(): Promise<void> {
    if (this.results.length === 0) return
    const batch = this.results.splice(0, this.options.settleBatch)
    let changes
    try {
      changes = await this.store.settle(batch, this.owner)
    } catch (error) {
      // Kept for the next turn (a busy database, say): a result is only done once committed.
      this.results.unshift(...batch)
      throw error
    }
    if (changes.length > 0) this.hooks.onChanges(changes)
    this.hooks.onCountsMayChange()
  }

  private async claimAndDispatch(): Promise<void> {
    const free = this.options.concurrency - this.inFlight.size
    if (free <= 0) return
    const { jobs, changes } = await this.store.claim({
      owner: this.owner,
      limit: Math.min(free, this.options.claimBatch),
      now: Date.now(),
      leaseMs: this.options.leaseMs,
    })
    if (changes.length > 0) {
      this.hooks.onChanges(changes)
      this.hooks.onCountsMayChange()
    }
    // A profile saved by another process since the last poll: read the profiles again before failing its jobs.
    if (jobs.some((job) => !isProviderKind(job.provider) && !this.profiles.has(job.provider))) await this.reloadProfiles()
    for (const job of jobs) this.dispatch(job)
    // A full claim means more may be due: keep going on the next turn.
    if (jobs.length === this.options.claimBatch) this.kick()
  }

  private dispatch(job: ClaimedJob): void {
    const entry: InFlight = { job, threadId: null, cancelTimer: null }
    this.inFlight.set(job.id, entry)
    const task = { id: job.id, attempt: job.attempt, prompt: job.prompt, batchId: job.batchId, artifactsDir: this.options.artifactsDir }
    this.pool.run({ ...task, ...resolveProvider(job, this.profiles, this.keys) }).then(
      (outcome) => this.finish(entry, outcome),
      (error: unknown) => this.finish(entry, workerFailure(error)),
    )
  }

  private finish(entry: InFlight, outcome: AttemptOutcome): void {
    if (entry.cancelTimer) clearInterval(entry.cancelTimer)
    this.inFlight.delete(entry.job.id)
    const endedAt = Date.now()
    this.results.push(
      outcome.ok
        ? {
            id: entry.job.id,
            outcome: 'ok',
            endedAt,
            output: outcome.output,
            artifact: outcome.artifact,
            inputTokens: outcome.inputTokens,
            outputTokens: outcome.outputTokens,
          }
        : {
            id: entry.job.id,
            outcome: 'error',
            endedAt,
            category: outcome.category,
            message: outcome.message,
            retryable: outcome.retryable,
            // A provider's Retry-After wins over backoff when it asks for longer.
            retryAt: endedAt + Math.max(outcome.retryAfterMs ?? 0, retryDelayMs(entry.job.attempt, this.options.backoff)),
          },
    )
    this.kick()
  }

  /** Records which thread runs a job, so a cancel that is ignored can stop that thread. */
  noteProgress(message: ProgressMessage): void {
    const entry = this.inFlight.get(message.id)
    if (entry) entry.threadId = message.threadId
  }

  /**
   * Stops the attempt of a job that is no longer ours to run (the operator cancelled it
   * here or from another process). Its result, if it comes, is ignored by the store.
   */
  abort(id: number): void {
    const entry = this.inFlight.get(id)
    if (!entry || entry.cancelTimer) return
    const giveUpAt = Date.now() + this.options.cancelGraceMs
    this.pool.cancel(id)
    entry.cancelTimer = setInterval(() => {
      if (Date.now() < giveUpAt) return this.pool.cancel(id)
      clearInterval(entry.cancelTimer!)
      // Past the grace period the thread is stopped; piscina fails the task and starts a new thread.
      if (this.inFlight.has(id) && entry.threadId !== null) this.pool.terminateThread(entry.threadId)
    }, CANCEL_RESEND_MS)
    entry.cancelTimer.unref()
  }

  private async poll(): Promise<void> {
    const version = await this.store.externalVersion()
    if (version !== this.externalVersion) {
      this.externalVersion = version
      this.paused = await this.store.isPaused()
      await this.reloadProfiles()
      this.hooks.onCountsMayChange()
      for (const id of await this.store.lostLeases(this.owner, [...this.inFlight.keys()])) this.abort(id)
    }
    // Delayed jobs come due and other processes enqueue: a claim that finds nothing is one index probe.
    this.kick()
  }

  private async heartbeat(): Promise<void> {
    if (this.inFlight.size > 0) await this.store.extendLeases(this.owner, Date.now() + this.options.leaseMs)
  }

  private async sweepStalled(): Promise<void> {
    const deadOwners = (await this.store.leaseOwners()).filter((owner) => owner !== this.owner && ownerIsGone(owner))
    const changes = await this.store.recoverStalled({ now: Date.now(), maxStalled: this.options.maxStalled, deadOwners })
    if (changes.length > 0) {
      this.hooks.onChanges(changes)
      this.hooks.onCountsMayChange()
      this.kick()
    }
  }

  private async applyRetention(): Promise<void> {
    if ((await this.store.applyRetention(this.options.retention, Date.now())) > 0) this.hooks.onCountsMayChange()
  }

  /** Resolves once nothing is in flight and every result is committed. */
  idle(): Promise<void> {
    if (this.inFlight.size === 0 && this.results.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /**
   * Stops claiming, waits up to `timeoutMs` for running attempts and commits their
   * results. Attempts still running then are left to stall recovery.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.closing = true
    for (const timer of this.timers) clearInterval(timer)
    this.timers = []
    let timeout: NodeJS.Timeout | undefined
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timeout = setTimeout(resolve, timeoutMs)))])
    clearTimeout(timeout)
    while (this.turnRunning) await new Promise((resolve) => setImmediate(resolve))
    try {
      while (this.results.length > 0) await this.commitResults()
    } catch (error) {
      // What cannot be committed now is not lost: stall recovery runs those jobs again.
      this.hooks.onError(error, 'committing results at close')
    }
    for (const entry of this.inFlight.values()) if (entry.cancelTimer) clearInterval(entry.cancelTimer)
    this.stopped = true
  }
}

function workerFailure(error: unknown): AttemptOutcome {
  const failure =
    error instanceof AttemptError ? error : new AttemptError('UNKNOWN', `the worker thread failed: ${error instanceof Error ? error.message : String(error)}`)
  return { ok: false, category: failure.category, message: failure.message, retryable: failure.retryable, retryAfterMs: null, durationMs: 0 }
}
