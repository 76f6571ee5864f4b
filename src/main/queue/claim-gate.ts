/**
 * One claim's gate, as the scheduler composes it: the gates' holds (pauses, breakers, rate
 * windows, quotas, caps), fallbacks for a held profile's jobs, and, while any budget is set,
 * the budgets that pause (each candidate weighed, each claimed attempt reserved). Around them
 * all, the profiles whose key this engine cannot open: their jobs are left for an engine that
 * can (on a team store), rather than sent without a key, whose AUTH failure would pause the
 * profile for every engine.
 */
import type { ProviderProfile } from '../../shared/providers'
import { estimateReservation, withBudgets, type Reservation } from '../costs/budget-gate'
import type { BudgetWatch } from '../costs/budget-watch'
import type { PriceBook } from '../costs/pricing'
import { countFallbacksRunning, withFallbacks } from '../resilience/fallbacks'
import type { Gates } from '../resilience/gates'
import type { ClaimFacts, ClaimOptions, TrackGate, Route } from './store'

type Budgets = Pick<BudgetWatch, 'anyBudgets' | 'heldFor'>

/** What each claimed attempt reserves, while some budget is set; undefined otherwise (nothing is weighed or written). */
export function reserving(budgets: Budgets | undefined, profiles: ReadonlyMap<string, ProviderProfile>, prices: PriceBook): ClaimOptions['reserve'] {
  if (!budgets?.anyBudgets) return undefined
  return (route: Route, batchId: number | null, promptChars: number, maxTokens: number | null): Reservation =>
    estimateReservation(route, batchId, promptChars, maxTokens, profiles, prices)
}

export interface ClaimGateParts {
  gates: Gates
  profiles: ReadonlyMap<string, ProviderProfile>
  /** This engine's attempts in flight: those on a fallback count where they run. */
  running: Iterable<{ job: { provider: string; fallback?: Route | undefined }; track: Route }>
  budgets: Budgets | undefined
  reserve: ClaimOptions['reserve']
}

export function claimGate(parts: ClaimGateParts, facts: ClaimFacts, now: number): TrackGate {
  const gate = innerGate(parts, facts, now)
  return parts.gates.unusable.size > 0 ? withoutUnusable(gate, parts.gates) : gate
}

function innerGate({ gates, profiles, running, budgets, reserve }: ClaimGateParts, facts: ClaimFacts, now: number): TrackGate {
  const moved = [...running].filter((entry) => entry.job.fallback).map((entry) => ({ from: entry.job.provider, to: entry.track.provider }))
  const gate = gates.forClaim(countFallbacksRunning(facts, moved), now)
  if (!reserve || !budgets) return withFallbacks(gate, gates, profiles)
  // Budgets inside the fallbacks: a job is weighed on each track it is tried on, so one sent to a fallback takes from the fallback's budgets.
  const budgeted = withBudgets(
    gate,
    facts.budgets,
    (candidate) => reserve(candidate, candidate.batchId, candidate.promptChars, candidate.maxTokens),
    (room, candidate) => {
      budgets.heldFor(room.id)
      gates.heldForBudget(candidate, room, now)
    },
  )
  return withFallbacks(budgeted, gates, profiles)
}

/**
 * Nothing of a profile this engine cannot use (its key unopened, its settings unread): not its own jobs (the gates hold them), not
 * those sent on to a fallback instead (other engines run them where they belong), and none a
 * fallback would send to it.
 */
function withoutUnusable(gate: TrackGate, gates: Pick<Gates, 'cannotUse'>): TrackGate {
  return {
    allowance: (track) => (gates.cannotUse(track.provider) ? 0 : gate.allowance(track)),
    admit(candidate) {
      if (gates.cannotUse(candidate.provider)) return false
      const admitted = gate.admit(candidate)
      return typeof admitted === 'object' && gates.cannotUse(admitted.provider) ? false : admitted
    },
  }
}
