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
import type { AttemptOutcome } from '../../workers/protocol'
import { BreakerBoard } from '../resilience/breakers'
import { describeRoute } from '../resilience/fallbacks'
import { DEFAULT_GATES, Gates } from '../resilience/gates'
import { handedBack, resultOf, workerFailure } from './attempt-result'
import { newLeaseOwner, ownerIsGone } from './lease-owner'
import type { AttemptPool, ProgressMessage } from './pool'
import { AttemptStops } from './attempt-stops'
import { BreakerLog } from './breaker-log'
import { ProfileBook } from './profile-book'
import type { Resolved } from './profiles'
import { isCacheHit, ResponseCache, type Routed } from '../cache/answers'
import type { CacheEntry } from '../cache/store'
import { costOf, endedEvent, type InFlight, NO_PRICES, usedTokens } from './in-flight'
import { claimGate, reserving } from './claim-gate'
import type { SchedulerHooks } from './scheduler-hooks'
import type { SchedulerOptions } from './scheduler-options'
import { profileKeyBox } from '../secrets'
import type { AttemptResult, ClaimedJob, ClaimOptions, QueueStore, Route } from './store'

/** A claimed job on its way to the pool, or to the response cache's answer. */
type Dispatch = Routed & { track: Route }

export class Scheduler {
  readonly owner = newLeaseOwner()
  /** The breakers' changes, shared with every engine on the store (breaker-log.ts). */
  private readonly breakerLog: BreakerLog
  /** Cancels and runaway attempts, stopped (attempt-stops.ts). */
  private readonly stops: AttemptStops
  /** Answers kept for identical requests: looked up for each claim before anything goes to the pool. */
  private readonly responses: ResponseCache
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
  /** Profiles and their keys, as dispatches resolve jobs with them. */
  private readonly book: ProfileBook
  readonly gates: Gates

  constructor(
    private readonly store: QueueStore,
    private readonly pool: AttemptPool,
    private readonly options: SchedulerOptions,
    private readonly hooks: SchedulerHooks,
  ) {
    this.stops = new AttemptStops(pool, options.cancelGraceMs)
    this.book = new ProfileBook(store, options.keys ?? profileKeyBox({ teamStore: false }), (error, during) => hooks.onError(error, during))
    this.responses = new ResponseCache(store, options)
    this.breakerLog = new BreakerLog(store, this.owner, hooks)
    const board = new BreakerBoard(options.breaker, (change) => {
      this.breakerLog.changed(change)
      this.kick()
    })
    const { rateLimits, adaptiveConcurrency } = options
    this.gates = new Gates(board, (provider, kind) => hooks.onHold?.(provider, kind), {
      concurrency: options.concurrency,
      rateWindowMs: rateLimits?.windowMs ?? DEFAULT_GATES.rateWindowMs,
      cooldownAfter: rateLimits?.cooldownAfter ?? DEFAULT_GATES.cooldownAfter,
      cooldownWithinMs: rateLimits?.cooldownWithinMs ?? DEFAULT_GATES.cooldownWithinMs,
      adaptive: adaptiveConcurrency ?? DEFAULT_GATES.adaptive,
      onDecrease: (decrease) => hooks.onConcurrencyDecrease?.(decrease),
      onCooldown: (provider, until) =>
        void Promise.resolve()
          .then(() => store.coolDown(provider, until))
          .catch((error: unknown) => hooks.onError(error, `cooling provider ${provider} down`)),
    })
  }

  async start(): Promise<void> {
    await this.reloadProfiles()
    this.paused = await this.store.isPaused()
    await this.reloadGates()
    await this.breakerLog.restore(this.gates.breakers)
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
    await this.book.reload()
    this.gates.setProfiles(this.book.profiles)
    this.gates.setUnusableProfiles(this.book.unusable)
  }

  /** Paused providers and batch caps, as the database has them (the CLI may have changed them). */
  async reloadGates(): Promise<void> {
    this.gates.setPauses(new Map((await this.store.providerPauses()).map((pause) => [pause.provider, pause.reason])))
    this.gates.setBatchCapsExist(await this.store.batchCapsExist())
    this.gates.setPausedBatches(new Map((await this.store.pausedBatches()).map((pause) => [pause.batchId, pause.reason])))
    this.gates.setSharedRateState(new Map(), await this.store.quotaReadingsExist())
    this.kick()
  }

  isPaused(): boolean {
    return this.paused
  }

  /** A job's provider resolved with the profiles and keys a dispatch uses (the batch lane's uploads go where real-time attempts go). */
  resolve(job: Pick<ClaimedJob, 'provider' | 'model' | 'config'>): Resolved {
    return this.book.resolve(job)
  }

  /** The response cache's key of a job's request, or null when it takes no part (the batch lane keeps its answers too). */
  cacheKeyOf(job: Pick<ClaimedJob, 'provider' | 'model' | 'config' | 'prompt'>): string | null {
    return this.responses.keyOf(job as ClaimedJob, this.resolve(job))
  }

  /** What an attempt reserves against the budgets now, while some budget is set (the batch lane reserves a whole upload). */
  reserving(): ClaimOptions['reserve'] {
    return reserving(this.options.budgets, this.book.profiles, this.options.pricing ?? NO_PRICES)
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
      // A full disk writes nothing: results wait in memory for flushAfterDiskFull, and nothing new starts
      // (asked again before the claim: the disk may have filled while the settle awaited).
      const diskFull = this.hooks.diskFull
      const claiming = () => (!this.paused && !this.closing && !diskFull?.() ? this.claimAndDispatch() : undefined)
      if (!diskFull?.()) {
        // The jobs being settled are no longer in flight: where the store takes both at once, the claim need not wait for the commit.
        const settling = this.commitResults()
        await (this.store.concurrentWrites ? Promise.all([settling, claiming()]) : settling.then(claiming))
      }
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
    await this.hooks.afterSettle?.()
  }

  private async claimAndDispatch(): Promise<void> {
    const free = this.options.concurrency - this.inFlight.size
    if (free <= 0) return
    const now = Date.now()
    const weighed = this.book.profiles // what this claim weighs: a reload while it runs makes a new map, not this one
    const reserve = reserving(this.options.budgets, weighed, this.options.pricing ?? NO_PRICES)
    const { jobs, changes } = await this.store.claim({
      owner: this.owner,
      limit: Math.min(free, this.options.claimBatch),
      now,
      leaseMs: this.options.leaseMs,
      // Track by track only while something holds work back (or budgets are weighed): otherwise one statement claims in priority order.
      gate:
        this.gates.holdingAny(now) || reserve
          ? (facts) =>
              claimGate(
                { gates: this.gates, profiles: this.book.profiles, running: this.inFlight.values(), budgets: this.options.budgets, reserve },
                facts,
                now,
              )
          : undefined,
      starts: this.gates.counting,
      reserve,
    })
    if (changes.length > 0) {
      this.hooks.onChanges(changes)
      this.hooks.onCountsMayChange()
    }
    const unread = this.book.unread(jobs, weighed)
    if ([...unread].some((name) => !this.book.profiles.has(name))) await this.reloadProfiles() // before sending or failing their jobs
    const routed = jobs.map((job) => this.route(job))
    // One lookup for the whole claim: a job whose request was answered before never reaches the pool.
    const hits = await this.responses.lookUp(routed)
    for (const each of routed) this.dispatch(each, hits.get(each.job.id), unread.has(each.job.provider))
    // A full claim means more may be due: keep going on the next turn.
    if (jobs.length === this.options.claimBatch) this.kick()
  }

  private route(job: ClaimedJob): Dispatch {
    const track: Route = job.fallback ?? { provider: job.provider, model: job.model }
    // On a fallback the job takes that profile's provider, model, settings and key; its own config still applies over them.
    const resolved = this.book.resolve({ ...track, config: job.config })
    return { job, track, resolved, cacheKey: this.responses.keyOf(job, resolved) }
  }

  private dispatch(routed: Dispatch, hit?: CacheEntry, unread = false): void {
    const { job, track, resolved, cacheKey } = routed
    const trace = hit ? null : (this.hooks.beginTrace?.(job, resolved) ?? null)
    const ranOn = job.fallback ? describeRoute(job.fallback) : null
    const entry: InFlight = { job, ran: { provider: resolved.provider, model: resolved.model }, track, ranOn, trace, cacheKey }
    this.inFlight.set(job.id, entry)
    const refusal = this.book.refusal(track.provider, unread) // back to the queue: the next claim weighs what was just read
    if (refusal !== undefined) return this.release(entry, refusal)
    if (hit) return this.answerFromCache(entry, routed, hit)
    this.stops.started(job.id, job.startedAt, resolved.config)
    const task = {
      id: job.id,
      attempt: job.attempt,
      prompt: job.prompt,
      batchId: job.batchId,
      artifactsDir: this.options.artifactsDir,
      ...resolved,
      traceparent: trace?.traceparent,
    }
    const attempt = () => this.pool.run(task).catch(workerFailure)
    const run = this.gates.run(track, attempt, this.options.breakers)
    run.then(
      (outcome) => (outcome === 'held' ? this.release(entry) : this.finish(entry, outcome)),
      (error: unknown) => this.finish(entry, workerFailure(error)),
    )
  }

  /** Settled as completed with no provider call; a job whose artifact cannot be written runs instead. */
  private answerFromCache(entry: InFlight, routed: Dispatch, hit: CacheEntry): void {
    this.responses.answer(routed, entry.track.provider, hit).then(
      (result) => {
        // It never reached the provider: its place in the rate windows and quota is freed.
        if (entry.job.startId !== undefined) result.start = { id: entry.job.startId, freed: true }
        this.settled(entry, null, result)
      },
      () => {
        this.inFlight.delete(entry.job.id)
        this.dispatch(routed)
      },
    )
  }

  /** A job refused at the last moment goes back to the queue with its attempt given back. */
  private release(entry: InFlight, why = `breaker ${this.gates.breakerFor(entry.track)} is open`): void {
    const result = handedBack(entry.job.id, why, Date.now())
    // It never reached the provider: its place in the rate windows and quota is freed.
    if (entry.job.startId !== undefined) result.start = { id: entry.job.startId, freed: true }
    this.settled(entry, null, result)
  }

  /** `outcome` is null when the attempt never ran (a breaker handed the job back). */
  private settled(entry: InFlight, outcome: AttemptOutcome | null, result: AttemptResult): void {
    this.stops.ended(entry.job.id)
    this.inFlight.delete(entry.job.id)
    if (entry.trace) result.traceId = entry.trace.traceId
    if (entry.ranOn) result.ranOn = entry.ranOn
    result.cost = costOf(entry, result, this.options.pricing ?? NO_PRICES)
    if (!isCacheHit(result)) this.attemptEnded(entry, outcome, result)
    this.results.push(result)
    this.kick()
  }

  /** An AUTH failure is the key's fault, not the job's: the provider is paused and the job waits with its attempt given back. */
  private pauseForAuth(provider: string, message: string, at: number): void {
    const reason = `its API key was refused (${message})`
    if (this.gates.isPaused(provider)) return
    this.gates.pause(provider, reason)
    void Promise.resolve(this.store.pauseProvider(provider, reason, at)).catch((error: unknown) => this.hooks.onError(error, `pausing provider ${provider}`))
    this.hooks.onNotice({
      level: 'critical',
      message: `provider ${provider} paused: ${reason}. Fix the key, then resume it (genops providers resume ${provider}).`,
    })
  }

  private finish(entry: InFlight, given: AttemptOutcome): void {
    const endedAt = Date.now()
    const outcome: AttemptOutcome =
      this.stops.wasOverdue(entry.job.id) && !given.ok
        ? {
            ...given,
            category: 'TIMEOUT',
            retryable: true,
            message: `the attempt ran past its time limit and did not stop; its worker thread was stopped (${given.message})`,
          }
        : given
    this.gates.finished(entry.track.provider, outcome, endedAt)
    // The key that failed is the one of the provider the attempt ran on: a fallback's own, when it ran on one.
    if (!outcome.ok && outcome.category === 'AUTH') this.pauseForAuth(entry.track.provider, outcome.message, endedAt)
    if (!outcome.ok && outcome.diskFull) this.hooks.onDiskFull?.(outcome.diskFull, `writing the artifact of job ${entry.job.id}`)
    const result = resultOf(entry.job.id, entry.job.attempt, outcome, endedAt, this.options.backoff)
    if (entry.cacheKey !== null && result.outcome === 'ok') result.cache = { key: entry.cacheKey, made: true }
    if (entry.job.startId !== undefined)
      result.start = { id: entry.job.startId, answeredAt: endedAt, tokens: usedTokens(entry.job, outcome), reading: outcome.quota }
    this.settled(entry, outcome, result)
  }

  private attemptEnded(entry: InFlight, outcome: AttemptOutcome | null, result: AttemptResult): void {
    try {
      this.hooks.onAttemptEnded?.(endedEvent(entry, outcome, result))
      this.hooks.onTrace?.({ job: entry.job, trace: entry.trace, outcome, endedAt: result.endedAt })
    } catch (error) {
      // A failure to count an attempt must not keep its result from being committed.
      this.hooks.onError(error, `recording the attempt of job ${entry.job.id}`)
    }
  }

  /** Records which thread runs a job, so a cancel that is ignored can stop that thread. */
  noteProgress(message: ProgressMessage): void {
    this.stops.ranOn(message.id, message.threadId)
  }

  /**
   * Stops the attempt of a job that is no longer ours to run (the operator cancelled it
   * here or from another process). Its result, if it comes, is ignored by the store.
   */
  abort(id: number): void {
    this.stops.stop(id)
  }

  private async poll(): Promise<void> {
    const version = await this.store.externalVersion()
    if (version !== this.externalVersion) {
      this.externalVersion = version
      this.paused = await this.store.isPaused()
      await this.reloadProfiles()
      await this.reloadGates()
      await this.breakerLog.applyCommands(this.gates.breakers)
      this.hooks.onCountsMayChange()
      for (const id of await this.store.lostLeases(this.owner, [...this.inFlight.keys()])) this.abort(id)
    }
    // Delayed jobs come due and other processes enqueue: a claim that finds nothing is one index probe.
    this.kick()
  }

  private async heartbeat(): Promise<void> {
    if (this.inFlight.size === 0) return
    // Attempts past their time limit are stopped as a cancel is: asked, then their thread terminated.
    this.stops.stopOverdue(Date.now(), (id) =>
      this.hooks.onError(new Error(`job ${id}: its attempt ran past its time limit; stopping its worker thread`), 'attempt watchdog'),
    )
    await this.store.extendLeases(this.owner, Date.now() + this.options.leaseMs)
  }

  private async sweepStalled(): Promise<void> {
    // Our own leases lapse while the disk refuses heartbeats: flushAfterDiskFull renews them before any sweep may requeue those jobs.
    if (this.hooks.diskFull?.()) return
    // A batch left half loaded by a process that died is removed whole: its jobs were never visible.
    await this.store.removeAbandonedLoads?.((owner) => ownerIsGone(owner))
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

  /**
   * Once the disk takes writes again: renews the leases of the jobs that ran meanwhile (a
   * sweep would otherwise requeue them), then commits every result kept in memory. Throws
   * while the disk still refuses; what was not committed stays for the next try.
   */
  async flushAfterDiskFull(): Promise<void> {
    await this.heartbeat()
    while (this.results.length > 0) await this.commitResults()
    this.kick()
  }

  /** Results finished here and not yet committed (the disk refused them, say). */
  get uncommitted(): number {
    return this.results.length
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
    // On a full disk nothing running could be committed anyway: no point waiting for it.
    const settled = this.hooks.diskFull?.() ? Promise.resolve() : this.idle()
    await Promise.race([settled, new Promise<void>((resolve) => (timeout = setTimeout(resolve, timeoutMs)))])
    clearTimeout(timeout)
    while (this.turnRunning) await new Promise((resolve) => setImmediate(resolve))
    try {
      while (this.results.length > 0) await this.commitResults()
    } catch (error) {
      // What cannot be committed now is not lost: stall recovery runs those jobs again.
      this.hooks.onError(error, 'committing results at close')
    }
    this.stops.close()
    this.stopped = true
  }
}
