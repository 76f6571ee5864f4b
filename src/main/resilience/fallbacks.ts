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
import type { Candidate, ClaimFacts, Track, TrackGate, Route } from '../queue/store'
import type { Gates } from './gates'

/** True when what holds the track is one a fallback answers: its provider paused, or its breaker open (or probing, or held open). */
export function heldForFallback(gates: Gates, track: Pick<Track, 'provider' | 'model'>): boolean {
  if (gates.isPaused(track.provider)) return true
  const state = gates.breakers.status(gates.breakerFor(track))?.state
  return state === 'open' || state === 'half-open' || state === 'isolated'
}

/** The routes a track's jobs may take instead, in the profile's order: fallbacks that are known profiles and not held themselves. */
export function fallbackRoutes(gates: Gates, profiles: ReadonlyMap<string, ProviderProfile>, track: Track): Route[] {
  const profile = isProviderKind(track.provider) ? undefined : profiles.get(track.provider)
  if (!profile?.fallbacks?.length || !heldForFallback(gates, track)) return []
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

export function withFallbacks(gate: TrackGate, gates: Gates, profiles: ReadonlyMap<string, ProviderProfile>): TrackGate {
  const on = (track: Track, route: Route): Track => ({ provider: route.provider, model: route.model, batchId: track.batchId })
  return {
    allowance: (track) => {
      // The track's own room first (a probe, when its breaker admits one), then what its fallbacks can take.
      let room = gate.allowance(track)
      for (const route of fallbackRoutes(gates, profiles, track)) room += gate.allowance(on(track, route))
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
