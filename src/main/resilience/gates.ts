/**
 * The gates between the queue and the pool: what the scheduler may claim now, lane by
 * lane (a lane is the jobs of one provider, model and batch). A lane is held while its
 * provider is paused (by the operator, or by an AUTH failure), cooling down after a
 * Retry-After, over its requests or tokens per minute or its attempts at once, while its
 * breaker is open, while its batch is paused (over its budget, or by the operator), or while
 * its batch runs as many jobs as its cap allows. Held jobs stay queued and burn no
 * attempts; `heldReason` says why, for the screens.
 */
import { isProviderKind, type ProviderProfile } from '../../shared/providers'
import { breakerName, type ProviderLimits } from '../../shared/resilience'
import type { AttemptOutcome } from '../../workers/protocol'
import type { Candidate, ClaimFacts, Lane, LaneGate } from '../queue/store'
import type { BreakerBoard } from './breakers'
import { MinuteWindow, type Start } from './minute-window'

export type HoldKind = 'paused' | 'batch-paused' | 'cooldown' | 'breaker' | 'rpm' | 'tpm' | 'concurrency' | 'batch'

/** What a provider may still start within one claim. */
interface Room {
  requests: number
  tokens: number
  tokenLimit: number
  concurrent: number
}

/** A job with no maxTokens of its own is assumed to ask for this many output tokens. */
const DEFAULT_OUTPUT_ESTIMATE = 512

export function estimateTokens(promptChars: number, maxTokens: number | null): number {
  return Math.ceil(promptChars / 4) + (maxTokens ?? DEFAULT_OUTPUT_ESTIMATE)
}

export class Gates {
  private pauses = new Map<string, string>()
  private readonly cooldowns = new Map<string, number>()
  private readonly windows = new Map<string, MinuteWindow>()
  private profiles: ReadonlyMap<string, ProviderProfile> = new Map()
  /** Set when some batch has a cap: then claims must count active jobs per batch. */
  private batchCapsExist = false
  /** Paused batches (over budget, or by the operator) and why: their jobs wait. */
  private pausedBatches = new Map<number, string>()

  constructor(
    readonly breakers: BreakerBoard,
    private readonly onHold: (provider: string, kind: HoldKind) => void = () => {},
  ) {}

  setProfiles(profiles: ReadonlyMap<string, ProviderProfile>): void {
    this.profiles = profiles
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

  /** The breaker a lane's attempts feed: the profile's default model stands in for a job that names none. */
  breakerFor(lane: Pick<Lane, 'provider' | 'model'>): string {
    const profile = isProviderKind(lane.provider) ? undefined : this.profiles.get(lane.provider)
    return breakerName(lane.provider, lane.model ?? profile?.model)
  }

  private limits(provider: string): ProviderLimits | undefined {
    return isProviderKind(provider) ? undefined : this.profiles.get(provider)?.limits
  }

  private window(provider: string): MinuteWindow {
    let window = this.windows.get(provider)
    if (!window) this.windows.set(provider, (window = new MinuteWindow()))
    return window
  }

  /** False when every lane is open: the scheduler then takes the plain claim, in one statement. */
  holdingAny(now: number): boolean {
    if (this.pauses.size > 0 || this.batchCapsExist || this.pausedBatches.size > 0 || this.breakers.anyHolding()) return true
    for (const until of this.cooldowns.values()) if (until > now) return true
    for (const profile of this.profiles.values()) if (profile.limits) return true
    return false
  }

  forClaim(facts: ClaimFacts, now: number): LaneGate {
    // Budgets shared by lanes, taken from as this claim admits jobs.
    const breakerRooms = new Map<string, number>()
    const providerRooms = new Map<string, Room>()
    const batchRooms = new Map<number, number>()

    const providerRoom = (provider: string): Room => {
      let room = providerRooms.get(provider)
      if (!room) {
        const limits = this.limits(provider)
        const window = this.window(provider)
        room = {
          requests: limits?.requestsPerMinute === undefined ? Infinity : limits.requestsPerMinute - window.requests(now),
          tokens: limits?.tokensPerMinute === undefined ? Infinity : limits.tokensPerMinute - window.tokens(now),
          tokenLimit: limits?.tokensPerMinute ?? Infinity,
          concurrent: limits?.maxConcurrent === undefined ? Infinity : limits.maxConcurrent - (facts.activeByProvider.get(provider) ?? 0),
        }
        providerRooms.set(provider, room)
      }
      return room
    }
    const breakerOf = (lane: Lane) => {
      const name = this.breakerFor(lane)
      if (!breakerRooms.has(name)) breakerRooms.set(name, this.breakers.allowance(name, now))
      return name
    }
    const batchRoom = (batchId: number | null) => {
      if (batchId === null || !facts.batchCaps.has(batchId)) return Infinity
      if (!batchRooms.has(batchId)) batchRooms.set(batchId, facts.batchCaps.get(batchId)! - (facts.activeByBatch.get(batchId) ?? 0))
      return batchRooms.get(batchId)!
    }
    /** What holds the whole lane now, if anything: checked in the order an operator would look. */
    const laneHold = (lane: Lane): HoldKind | null => {
      if (this.pauses.has(lane.provider)) return 'paused'
      if (lane.batchId !== null && facts.pausedBatches.has(lane.batchId)) return 'batch-paused'
      if ((this.cooldowns.get(lane.provider) ?? 0) > now) return 'cooldown'
      if (breakerRooms.get(breakerOf(lane))! <= 0) return 'breaker'
      const room = providerRoom(lane.provider)
      if (room.requests <= 0) return 'rpm'
      if (room.concurrent <= 0) return 'concurrency'
      if (room.tokens <= 0) return 'tpm'
      if (batchRoom(lane.batchId) <= 0) return 'batch'
      return null
    }

    return {
      allowance: (lane) => {
        const hold = laneHold(lane)
        if (hold) {
          this.onHold(lane.provider, hold)
          return 0
        }
        const room = providerRoom(lane.provider)
        return Math.min(breakerRooms.get(breakerOf(lane))!, room.requests, room.concurrent, batchRoom(lane.batchId))
      },
      admit: (candidate) => {
        const room = providerRoom(candidate.provider)
        const tokens = estimateTokens(candidate.promptChars, candidate.maxTokens)
        // A job bigger than the whole per-minute budget still runs, alone in an empty minute, rather than never.
        const hold = laneHold(candidate) ?? (tokens > room.tokens && room.tokens < room.tokenLimit ? 'tpm' : null)
        if (hold) {
          this.onHold(candidate.provider, hold)
          return false
        }
        room.requests--
        room.concurrent--
        room.tokens -= tokens
        const breaker = breakerOf(candidate)
        breakerRooms.set(breaker, breakerRooms.get(breaker)! - 1)
        if (candidate.batchId !== null && batchRooms.has(candidate.batchId)) batchRooms.set(candidate.batchId, batchRooms.get(candidate.batchId)! - 1)
        return true
      },
    }
  }

  /** Counts an attempt against its provider's minute; the returned start is corrected with the real usage later. */
  started(candidate: Pick<Candidate, 'provider' | 'promptChars' | 'maxTokens'>, now: number): Start | null {
    const limits = this.limits(candidate.provider)
    if (!limits?.requestsPerMinute && !limits?.tokensPerMinute) return null
    return this.window(candidate.provider).record(now, estimateTokens(candidate.promptChars, candidate.maxTokens))
  }

  /** After an attempt: real token usage replaces the estimate; a Retry-After cools the whole provider down. */
  finished(provider: string, start: Start | null, outcome: AttemptOutcome, now: number): void {
    if (start && outcome.ok && outcome.inputTokens !== null && outcome.outputTokens !== null) start.tokens = outcome.inputTokens + outcome.outputTokens
    if (!outcome.ok && outcome.retryAfterMs) {
      const until = now + outcome.retryAfterMs
      if (until > (this.cooldowns.get(provider) ?? 0)) this.cooldowns.set(provider, until)
    }
  }

  /** Why a queued, due job of this lane is not running, in the operator's words; null when nothing holds it. */
  heldReason(lane: Pick<Lane, 'provider' | 'model'> & { batchId?: number | null }, now: number): string | null {
    const pause = this.pauses.get(lane.provider)
    if (pause !== undefined) return `held: provider ${lane.provider} is paused (${pause})`
    const batchPause = lane.batchId == null ? undefined : this.pausedBatches.get(lane.batchId)
    if (batchPause !== undefined) return `held: batch ${lane.batchId} paused: ${batchPause}`
    const cooldown = this.cooldowns.get(lane.provider) ?? 0
    if (cooldown > now) return `held: ${lane.provider} asked to wait (Retry-After) until ${clock(cooldown)}`
    const breaker = this.breakers.status(this.breakerFor(lane))
    if (breaker?.state === 'open') return `held: breaker open until ${clock(breaker.openUntil ?? now)}`
    if (breaker?.state === 'half-open') return 'held: breaker half-open, waiting for its probe'
    if (breaker?.state === 'isolated') return 'held: breaker held open by the operator'
    const limits = this.limits(lane.provider)
    const window = this.windows.get(lane.provider)
    if (limits?.requestsPerMinute && window && window.requests(now) >= limits.requestsPerMinute)
      return `held: ${lane.provider} is at its limit of ${limits.requestsPerMinute} requests a minute until ${clock(window.nextFreeAt(now))}`
    if (limits?.tokensPerMinute && window && window.tokens(now) >= limits.tokensPerMinute)
      return `held: ${lane.provider} is at its limit of ${limits.tokensPerMinute} tokens a minute until ${clock(window.nextFreeAt(now))}`
    return null
  }
}

const clock = (at: number) => new Date(at).toLocaleTimeString()
