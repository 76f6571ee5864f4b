/**
 * The gates between the queue and the pool: what the scheduler may claim now, track by
 * track (a track is the jobs of one provider, model and batch). A track is held while its
 * provider is paused (by the operator, or by an AUTH failure), cooling down after a
 * Retry-After, over its requests or tokens per minute or its attempts at once, while its
 * breaker is open, while its batch is paused (over its budget, or by the operator), or while
 * its batch runs as many jobs as its cap allows. Held jobs stay queued and burn no
 * attempts; `heldReason` says why, for the screens.
 */
import { budgetAmount, budgetName } from '../../shared/costs'
import { isProviderKind, type ProviderProfile } from '../../shared/providers'
import { breakerName, RATE_WINDOW_MS, type ProviderLimits } from '../../shared/resilience'
import type { AttemptOutcome } from '../../workers/protocol'
import type { ClaimFacts, Track, TrackGate, ProviderRate, Route, StartCounting } from '../queue/store'
import type { BudgetKey } from '../costs/store'
import type { BreakerBoard } from './breakers'
import { ConcurrencyLimits, DEFAULT_CONCURRENCY, type ConcurrencyOptions, type LimitDecrease } from './concurrency-limit'
import { quotaHeldReason } from './provider-quota'

export type HoldKind = 'no-key' | 'paused' | 'batch-paused' | 'cooldown' | 'breaker' | 'rpm' | 'tpm' | 'concurrency' | 'batch' | 'budget'

/** What a provider may still start within one claim. */
interface Room {
  requests: number
  tokens: number
  tokenLimit: number
  concurrent: number
}

/** How long a budget hold a claim found is said of its track (claims come every poll, 250 ms by default). */
const BUDGET_HOLD_FRESH_MS = 5_000

/** A job with no maxTokens of its own is assumed to ask for this many output tokens. */
export const DEFAULT_OUTPUT_ESTIMATE = 512

export function estimateTokens(promptChars: number, maxTokens: number | null): number {
  return promptTokens(promptChars) + (maxTokens ?? DEFAULT_OUTPUT_ESTIMATE)
}

/** About four characters a token: the estimate of a prompt's tokens before the provider counts them. */
export const promptTokens = (promptChars: number) => Math.ceil(promptChars / 4)

export interface GateOptions {
  /** Most attempts in flight at once in this engine: the ceiling of every provider's concurrency limit. Default 128. */
  concurrency: number
  /** The length of the requests- and tokens-per-minute windows. Default 60 s; drills compress it. */
  rateWindowMs: number
  /**
   * A single 429 delays its own job by its Retry-After; the whole provider cools down only
   * when `cooldownAfter` 429s (default 3) arrive within `cooldownWithinMs` (default 3 s).
   */
  cooldownAfter: number
  cooldownWithinMs: number
  /** The adaptive concurrency limit per provider and model (concurrency-limit.ts). */
  adaptive: ConcurrencyOptions
  onDecrease?: ((decrease: LimitDecrease) => void) | undefined
  /** A cluster of 429s cooled a provider down: kept in the store, so every process on the queue waits too. */
  onCooldown?: ((provider: string, until: number) => void) | undefined
}

export const DEFAULT_GATES: GateOptions = {
  concurrency: 128,
  rateWindowMs: RATE_WINDOW_MS,
  cooldownAfter: 3,
  cooldownWithinMs: 3_000,
  adaptive: DEFAULT_CONCURRENCY,
}

export class Gates {
  private unusableProfiles: ReadonlyMap<string, string> = new Map()
  private pauses = new Map<string, string>()
  /** Cooldowns as last read from the store, with this process's own since. */
  private cooldowns = new Map<string, number>()
  /** The shared rate windows and quota rooms as the last gated claim read them, for the screens' held reasons. */
  private rates: { at: number; of: ReadonlyMap<string, ProviderRate> } = { at: 0, of: new Map() }
  /** Why the last claims held tracks for a budget (costs/budget-gate.ts), by provider and batch, with when. */
  private budgetHolds = new Map<string, { reason: string; at: number }>()
  /** Set once some provider sent a rate-limit reading (here, or as the store says): claims then go track by track. */
  private quotaKnown = false
  private profiles: ReadonlyMap<string, ProviderProfile> = new Map()
  /** Set when some batch has a cap: then claims must count active jobs per batch. */
  private batchCapsExist = false
  /** Paused batches (over budget, or by the operator) and why: their jobs wait. */
  private pausedBatches = new Map<number, string>()

  constructor(
    readonly breakers: BreakerBoard,
    private readonly onHold: (provider: string, kind: HoldKind) => void = () => {},
    private readonly options: GateOptions = DEFAULT_GATES,
  ) {
    this.concurrency = new ConcurrencyLimits(options.adaptive, options.onDecrease)
    // The breaker's slow start: once its probe closed it, the limit starts again from one slot.
    breakers.listen((change) => change.to === 'closed' && this.concurrency.slowStart(change.breaker))
  }

  /** How many attempts may run at once, per provider and model: one limit, lowered by overload and raised by successes. */
  readonly concurrency: ConcurrencyLimits
  /** When each provider's recent 429s came: a cluster of them cools the whole provider down. */
  private readonly rateLimited = new Map<string, number[]>()

  setProfiles(profiles: ReadonlyMap<string, ProviderProfile>): void {
    this.profiles = profiles
  }

  /** Profiles whose kept key this engine cannot open, with why: their jobs are held here until it can. */
  setUnusableProfiles(unusable: ReadonlyMap<string, string>): void {
    this.unusableProfiles = unusable
  }

  get unusable(): ReadonlyMap<string, string> {
    return this.unusableProfiles
  }

  cannotUse(provider: string): boolean {
    return this.unusableProfiles.has(provider)
  }

  /** What holds a job here until an operator acts, before any claim: its provider or its batch paused, its profile's key unopened. */
  pausedFor(job: { provider: string; batchId: number | null }): boolean {
    return this.unusableProfiles.has(job.provider) || this.pauses.has(job.provider) || (job.batchId !== null && this.pausedBatches.has(job.batchId))
  }

  setPauses(pauses: ReadonlyMap<string, string>): void {
    this.pauses = new Map(pauses)
  }

  isPaused(provider: string): boolean {
    return this.pauses.has(provider)
  }

  /** Pauses at once, before the database says so (the scheduler writes it there too). */
  pause(provider: string, reason: string): void {
    this.pauses.set(provider, reason)
  }

  /** Cooldowns another process wrote, and whether any provider has sent a reading, as the store has them. */
  setSharedRateState(cooldowns: ReadonlyMap<string, number>, quotaKnown: boolean): void {
    for (const [provider, until] of cooldowns) if (until > (this.cooldowns.get(provider) ?? 0)) this.cooldowns.set(provider, until)
    this.quotaKnown ||= quotaKnown
  }

  setBatchCapsExist(exist: boolean): void {
    this.batchCapsExist = exist
  }

  setPausedBatches(pauses: ReadonlyMap<number, string>): void {
    this.pausedBatches = new Map(pauses)
  }

  /** Holds a batch at once, before the next reload reads it back from the database. */
  pauseBatch(batchId: number, reason: string): void {
    this.pausedBatches.set(batchId, reason)
  }

  /** The breaker a track's attempts feed: the profile's default model stands in for a job that names none. */
  breakerFor(track: Pick<Track, 'provider' | 'model'>): string {
    const profile = isProviderKind(track.provider) ? undefined : this.profiles.get(track.provider)
    return breakerName(track.provider, track.model ?? profile?.model)
  }

  private limits(provider: string): ProviderLimits | undefined {
    return isProviderKind(provider) ? undefined : this.profiles.get(provider)?.limits
  }

  /** Providers whose answers carry rate-limit headers: OpenAI-compatible and Anthropic, by kind or by profile (provider-quota hook). */
  private speaksQuota(provider: string): boolean {
    const kind = isProviderKind(provider) ? provider : this.profiles.get(provider)?.provider
    return kind === 'openai' || kind === 'anthropic'
  }

  /** Which attempts take a place in their provider's shared log of starts: those of a provider with per-minute limits or rate-limit headers. */
  get counting(): StartCounting {
    return {
      windowMs: this.options.rateWindowMs,
      estimate: (route: Route, promptChars: number, maxTokens: number | null) => {
        const limits = this.limits(route.provider)
        const counted = Boolean(limits?.requestsPerMinute || limits?.tokensPerMinute) || this.speaksQuota(route.provider)
        return counted ? estimateTokens(promptChars, maxTokens ?? this.profileMaxTokens(route.provider)) : null
      },
    }
  }

  private profileMaxTokens(provider: string): number | null {
    const maxTokens = isProviderKind(provider) ? undefined : this.profiles.get(provider)?.config?.maxTokens
    return typeof maxTokens === 'number' ? maxTokens : null
  }

  /** False when every track is open: the scheduler then takes the plain claim, in one statement. */
  holdingAny(now: number): boolean {
    if (this.unusableProfiles.size > 0 || this.pauses.size > 0 || this.batchCapsExist || this.pausedBatches.size > 0 || this.breakers.anyHolding()) return true
    if (this.concurrency.anyReduced()) return true
    for (const until of this.cooldowns.values()) if (until > now) return true
    // A reached budget holds jobs too (run --until-empty counts them as waiting for an operator).
    for (const hold of this.budgetHolds.values()) if (now - hold.at < BUDGET_HOLD_FRESH_MS) return true
    for (const profile of this.profiles.values()) if (profile.limits) return true
    return this.quotaKnown
  }

  forClaim(facts: ClaimFacts, now: number): TrackGate {
    // The held reasons read the shared state as this claim leaves it: its own admissions counted.
    const rates = new Map(facts.rates)
    this.rates = { at: now, of: rates }
    const counted = (provider: string, tokens: number) => {
      let rate = rates.get(provider)
      if (!rate) rates.set(provider, (rate = { requests: 0, tokens: 0, oldestAt: null }))
      rate.requests++
      rate.tokens += tokens
      rate.oldestAt ??= now
      if (rate.quota) {
        rate.quota.room.requests--
        rate.quota.room.tokens -= tokens
      }
    }
    this.setSharedRateState(facts.cooldowns, facts.rates.size > 0 && [...facts.rates.values()].some((rate) => rate.quota))
    // Budgets shared by tracks, taken from as this claim admits jobs.
    const breakerRooms = new Map<string, number>()
    const providerRooms = new Map<string, Room>()
    const batchRooms = new Map<number, number>()

    const providerRoom = (provider: string): Room => {
      let room = providerRooms.get(provider)
      if (!room) {
        const limits = this.limits(provider)
        // The window every process on the queue shares, from the store's log of starts.
        const window = facts.rates.get(provider)
        room = {
          requests: limits?.requestsPerMinute === undefined ? Infinity : limits.requestsPerMinute - (window?.requests ?? 0),
          tokens: limits?.tokensPerMinute === undefined ? Infinity : limits.tokensPerMinute - (window?.tokens ?? 0),
          tokenLimit: limits?.tokensPerMinute ?? Infinity,
          concurrent: limits?.maxConcurrent === undefined ? Infinity : limits.maxConcurrent - (facts.activeByProvider.get(provider) ?? 0),
        }
        // What the provider says remains narrows the profile's own ceilings.
        const quota = window?.quota?.room
        if (quota) {
          room.requests = Math.min(room.requests, quota.requests)
          room.tokens = Math.min(room.tokens, quota.tokens)
          room.tokenLimit = Math.min(room.tokenLimit, quota.tokenLimit)
        }
        providerRooms.set(provider, room)
      }
      return room
    }
    const breakerOf = (track: Track) => {
      const name = this.breakerFor(track)
      if (!breakerRooms.has(name)) {
        // A closed breaker lets the concurrency limit decide how many start: one mechanism, not two.
        const allowance = this.breakers.allowance(name, now)
        breakerRooms.set(name, allowance === Infinity ? this.concurrencyRoom(name, track) : allowance)
      }
      return name
    }
    const batchRoom = (batchId: number | null) => {
      if (batchId === null || !facts.batchCaps.has(batchId)) return Infinity
      if (!batchRooms.has(batchId)) batchRooms.set(batchId, facts.batchCaps.get(batchId)! - (facts.activeByBatch.get(batchId) ?? 0))
      return batchRooms.get(batchId)!
    }
    /** What holds the whole track now, if anything: checked in the order an operator would look. */
    const trackHold = (track: Track): HoldKind | null => {
      if (this.unusableProfiles.has(track.provider)) return 'no-key'
      if (this.pauses.has(track.provider)) return 'paused'
      if (track.batchId !== null && facts.pausedBatches.has(track.batchId)) return 'batch-paused'
      if ((this.cooldowns.get(track.provider) ?? 0) > now) return 'cooldown'
      if (breakerRooms.get(breakerOf(track))! <= 0) return (this.breakers.status(breakerOf(track))?.state ?? 'closed') === 'closed' ? 'concurrency' : 'breaker'
      const room = providerRoom(track.provider)
      if (room.requests <= 0) return 'rpm'
      if (room.concurrent <= 0) return 'concurrency'
      if (room.tokens <= 0) return 'tpm'
      if (batchRoom(track.batchId) <= 0) return 'batch'
      return null
    }

    return {
      allowance: (track) => {
        const hold = trackHold(track)
        if (hold) {
          this.onHold(track.provider, hold)
          return 0
        }
        const room = providerRoom(track.provider)
        return Math.min(breakerRooms.get(breakerOf(track))!, room.requests, room.concurrent, batchRoom(track.batchId))
      },
      admit: (candidate) => {
        const room = providerRoom(candidate.provider)
        const tokens = estimateTokens(candidate.promptChars, candidate.maxTokens)
        // A job bigger than the whole per-minute budget still runs, alone in an empty minute, rather than never.
        const hold = trackHold(candidate) ?? (tokens > room.tokens && room.tokens < room.tokenLimit ? 'tpm' : null)
        if (hold) {
          this.onHold(candidate.provider, hold)
          return false
        }
        room.requests--
        room.concurrent--
        room.tokens -= tokens
        counted(candidate.provider, tokens)
        const breaker = breakerOf(candidate)
        breakerRooms.set(breaker, breakerRooms.get(breaker)! - 1)
        if (candidate.batchId !== null && batchRooms.has(candidate.batchId)) batchRooms.set(candidate.batchId, batchRooms.get(candidate.batchId)! - 1)
        return true
      },
    }
  }

  /** After an attempt: a Retry-After cools the whole provider down when such answers cluster; a reading says claims must weigh quotas. */
  finished(provider: string, outcome: AttemptOutcome, now: number): void {
    if (outcome.quota) this.quotaKnown = true
    if (!outcome.ok && outcome.retryAfterMs) this.askedToWait(provider, outcome.retryAfterMs, now)
  }

  /**
   * A Retry-After delays its own job (attempt-result.ts); the whole provider waits only when
   * such answers cluster: `cooldownAfter` of them within `cooldownWithinMs`.
   */
  private askedToWait(provider: string, retryAfterMs: number, now: number): void {
    const recent = (this.rateLimited.get(provider) ?? []).filter((at) => at > now - this.options.cooldownWithinMs)
    recent.push(now)
    this.rateLimited.set(provider, recent)
    if (recent.length < this.options.cooldownAfter) return
    const until = now + retryAfterMs
    if (until <= (this.cooldowns.get(provider) ?? 0)) return
    this.cooldowns.set(provider, until)
    this.options.onCooldown?.(provider, until)
  }

  /** The most attempts of a provider and model at once, before learning: the profile's own cap, or the engine's concurrency. */
  private ceiling(provider: string): number {
    return Math.min(this.options.concurrency, this.limits(provider)?.maxConcurrent ?? Infinity)
  }

  private concurrencyRoom(name: string, track: Pick<Track, 'provider' | 'model'>): number {
    return this.concurrency.room(name, track.provider, this.modelOf(track), this.ceiling(track.provider))
  }

  private modelOf(track: Pick<Track, 'provider' | 'model'>): string | null {
    return track.model ?? (isProviderKind(track.provider) ? null : (this.profiles.get(track.provider)?.model ?? null))
  }

  /**
   * Runs one attempt of a track: it holds a slot of the concurrency limit while it runs, goes
   * through its breaker (unless breakers are off), and what it answers teaches both.
   */
  async run(track: Pick<Track, 'provider' | 'model'>, attempt: () => Promise<AttemptOutcome>, breakers = true): Promise<AttemptOutcome | 'held'> {
    const name = this.breakerFor(track)
    const ticket = this.concurrency.started(name, track.provider, this.modelOf(track), this.ceiling(track.provider))
    let outcome: AttemptOutcome | 'held'
    try {
      outcome = breakers ? await this.breakers.run(name, attempt) : await attempt()
    } catch (error) {
      this.concurrency.released(ticket)
      throw error
    }
    if (outcome === 'held') this.concurrency.released(ticket)
    else this.concurrency.ended(ticket, outcome)
    return outcome
  }

  /** A claim held a job of this track so as not to cross a budget that pauses: said in the track's held reason, and counted as a hold. */
  heldForBudget(track: Pick<Track, 'provider' | 'batchId'>, budget: BudgetKey & { limit: number }, now: number): void {
    const reason = `held: ${budgetName(budget)} of ${budgetAmount(budget.unit, budget.limit)} is reached (spent and reserved by running attempts)`
    this.budgetHolds.set(`${track.provider}\0${track.batchId ?? ''}`, { reason, at: now })
    this.onHold(track.provider, 'budget')
  }

  /**
   * True when what holds this track waits for an operator, not for time: its provider or
   * batch paused, its breaker held open, a budget reached. (`genops run --until-empty` stops
   * waiting for such jobs.)
   */
  heldUntilActedOn(track: Pick<Track, 'provider' | 'model'> & { batchId?: number | null }, now: number): boolean {
    if (this.unusableProfiles.has(track.provider) || this.pauses.has(track.provider)) return true
    if (track.batchId != null && this.pausedBatches.has(track.batchId)) return true
    if (this.breakers.status(this.breakerFor(track))?.state === 'isolated') return true
    const budget = this.budgetHolds.get(`${track.provider}\0${track.batchId ?? ''}`)
    return budget !== undefined && now - budget.at < BUDGET_HOLD_FRESH_MS
  }

  /** Why a queued, due job of this track is not running, in the operator's words; null when nothing holds it. */
  heldReason(track: Pick<Track, 'provider' | 'model'> & { batchId?: number | null }, now: number): string | null {
    const cannot = this.unusableProfiles.get(track.provider)
    if (cannot !== undefined) return `held: this engine cannot ${cannot}`
    const pause = this.pauses.get(track.provider)
    if (pause !== undefined) return `held: provider ${track.provider} is paused (${pause})`
    const batchPause = track.batchId == null ? undefined : this.pausedBatches.get(track.batchId)
    if (batchPause !== undefined) return `held: batch ${track.batchId} paused: ${batchPause}`
    const cooldown = this.cooldowns.get(track.provider) ?? 0
    if (cooldown > now) return `held: ${track.provider} asked to wait (Retry-After) until ${clock(cooldown)}`
    // Told by the claims: a hold older than a few polls says nothing of now.
    const budget = this.budgetHolds.get(`${track.provider}\0${track.batchId ?? ''}`)
    if (budget && now - budget.at < BUDGET_HOLD_FRESH_MS) return budget.reason
    const breaker = this.breakers.status(this.breakerFor(track))
    if (breaker?.state === 'open') return `held: breaker open until ${clock(breaker.openUntil ?? now)}`
    if (breaker?.state === 'half-open') return 'held: breaker half-open, waiting for its probe'
    if (breaker?.state === 'isolated') return 'held: breaker held open by the operator'
    // The shared windows as the last gated claim saw them; a reading that old says nothing of now.
    const rate = now - this.rates.at < this.options.rateWindowMs ? this.rates.of.get(track.provider) : undefined
    const quota = rate?.quota && quotaHeldReason(track.provider, rate.quota.reading, rate.quota.room)
    if (quota) return quota
    const limits = this.limits(track.provider)
    const freeAt = clock((rate?.oldestAt ?? now) + this.options.rateWindowMs)
    if (limits?.requestsPerMinute && rate && rate.requests >= limits.requestsPerMinute)
      return `held: ${track.provider} is at its limit of ${limits.requestsPerMinute} requests a minute until ${freeAt}`
    if (limits?.tokensPerMinute && rate && rate.tokens >= limits.tokensPerMinute)
      return `held: ${track.provider} is at its limit of ${limits.tokensPerMinute} tokens a minute until ${freeAt}`
    return null
  }
}

const clock = (at: number) => new Date(at).toLocaleTimeString()
