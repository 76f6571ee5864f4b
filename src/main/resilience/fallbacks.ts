/**
 * Fallbacks: while a profile is paused or its breaker is not closed, its queued jobs may
 * run on the first of the profile's fallbacks that can take them, with that profile's
 * provider, model, settings and key. Only those two holds fall back: a rate limit, a
 * cooldown, a batch's cap or pause passes by itself, and the job waits for its own provider.
 *
 * A wrapper around one claim's gate, so the gates keep deciding every budget: a job sent to
 * a fallback takes from the fallback's budgets (its minute, its attempts at once, its
 * breaker), and the claim carries the route to the scheduler, which runs the attempt there.
 * Only a profile's own fallbacks are tried, not theirs in turn.
 */
import { isProviderKind, parseFallback, type ProviderProfile } from '../../shared/providers'
import type { Candidate, ClaimFacts, Lane, LaneGate, Route } from '../queue/store'
import type { Gates } from './gates'

/** True when what holds the lane is one a fallback answers: its provider paused, or its breaker open (or probing, or held open). */
export function heldForFallback(gates: Gates, lane: Pick<Lane, 'provider' | 'model'>): boolean {
  if (gates.isPaused(lane.provider)) return true
  const state = gates.breakers.status(gates.breakerFor(lane))?.state
  return state === 'open' || state === 'half-open' || state === 'isolated'
}

/** The routes a lane's jobs may take instead, in the profile's order: fallbacks that are known profiles and not held themselves. */
export function fallbackRoutes(gates: Gates, profiles: ReadonlyMap<string, ProviderProfile>, lane: Lane): Route[] {
  const profile = isProviderKind(lane.provider) ? undefined : profiles.get(lane.provider)
  if (!profile?.fallbacks?.length || !heldForFallback(gates, lane)) return []
  return profile.fallbacks.flatMap((entry) => {
    const { profile: name, model } = parseFallback(entry)
    const target = profiles.get(name)
    if (!target || name === profile.name) return []
    const route: Route = { provider: name, model: model ?? target.model ?? null }
    return heldForFallback(gates, route) ? [] : [route]
  })
}

/** How an attempt on a fallback is recorded and shown: "backup/gpt-4o-mini", or the profile alone when it names no model. */
export const describeRoute = (route: Route): string => (route.model === null ? route.provider : `${route.provider}/${route.model}`)

export function withFallbacks(gate: LaneGate, gates: Gates, profiles: ReadonlyMap<string, ProviderProfile>): LaneGate {
  const on = (lane: Lane, route: Route): Lane => ({ provider: route.provider, model: route.model, batchId: lane.batchId })
  return {
    allowance: (lane) => {
      // The lane's own room first (a probe, when its breaker admits one), then what its fallbacks can take.
      let room = gate.allowance(lane)
      for (const route of fallbackRoutes(gates, profiles, lane)) room += gate.allowance(on(lane, route))
      return room
    },
    admit: (candidate: Candidate) => {
      const own = gate.admit(candidate)
      if (own !== false) return own
      for (const route of fallbackRoutes(gates, profiles, candidate)) {
        if (gate.admit({ ...candidate, ...on(candidate, route) })) return route
      }
      return false
    },
  }
}

/**
 * The database counts an active job under its own provider; one running on a fallback takes
 * the fallback's room (its attempts at once). Moves this engine's own such jobs across, so a
 * fallback's maxConcurrent holds; another process's are counted under their job's profile.
 */
export function countFallbacksRunning(facts: ClaimFacts, running: Iterable<{ from: string; to: string }>): ClaimFacts {
  let active: Map<string, number> | undefined
  for (const { from, to } of running) {
    active ??= new Map(facts.activeByProvider)
    active.set(from, Math.max(0, (active.get(from) ?? 0) - 1))
    active.set(to, (active.get(to) ?? 0) + 1)
  }
  return active ? { ...facts, activeByProvider: active } : facts
}
