/**
 * Budgets that stop in time, at the claim: each candidate's estimated cost (its prompt's
 * tokens plus its maxTokens, at the price of the model it would run) is weighed against
 * every budget that pauses and that it falls under (the day's, its batch's, its provider
 * kind's, its profile's), as what is left of them after what was spent and what running
 * attempts reserved. A candidate that does not fit stays queued, held for that budget; one
 * that fits takes its estimate from every such budget, and the claim reserves it in the
 * store (store/sqlite/costs/reservations.ts) until settle books the real cost. So a budget is
 * never crossed by more than the one attempt that ran over its estimate.
 *
 * A model with no price is estimated at no cost in USD (its tokens still count against a
 * token budget), as settle books it.
 */
import { isProviderKind, type ProviderProfile } from '../../shared/providers'
import { estimateTokens, promptTokens } from '../resilience/gates'
import type { Candidate, TrackGate, Route } from '../queue/store'
import type { PriceBook } from './pricing'
import type { Reservation } from '../store/sqlite/costs/reservations'
import type { BudgetRoom } from './store'

export type { Reservation }

/** The estimate a claim reserves for an attempt on `route`, priced with today's price book and profiles. */
export function estimateReservation(
  route: Route,
  batchId: number | null,
  promptChars: number,
  maxTokens: number | null,
  profiles: ReadonlyMap<string, ProviderProfile>,
  prices: PriceBook,
): Reservation {
  const profile = isProviderKind(route.provider) ? undefined : profiles.get(route.provider)
  const providerKind = profile?.provider ?? route.provider
  const configured = profile?.config?.maxTokens
  const output = maxTokens ?? (typeof configured === 'number' ? configured : null)
  const tokens = estimateTokens(promptChars, output)
  const usd = prices.costOf(
    { provider: route.provider, kind: providerKind, model: route.model ?? profile?.model ?? null },
    promptTokens(promptChars),
    tokens - promptTokens(promptChars),
  )
  return { provider: route.provider, providerKind, batchId, usd: usd ?? 0, tokens }
}

/** Whether a budget counts an attempt of `provider` (a profile or provider name) in `batchId`, reserving `reservation`. */
function appliesTo(room: BudgetRoom, batchId: number | null, provider: string, reservation: Reservation): boolean {
  if (room.scope === 'batch') return room.batchId === batchId
  if (room.scope === 'provider') return room.target === reservation.providerKind
  if (room.scope === 'profile') return room.target === provider
  return true
}

const amountFor = (room: BudgetRoom, reservation: Reservation) => (room.unit === 'usd' ? reservation.usd : reservation.tokens)

/** One claim's gate with the budgets that pause: `held` is told which budget held a candidate. */
export function withBudgets(
  gate: TrackGate,
  rooms: readonly BudgetRoom[],
  estimate: (candidate: Candidate) => Reservation,
  held: (room: BudgetRoom, candidate: Candidate) => void,
): TrackGate {
  if (rooms.length === 0) return gate
  const left = new Map(rooms.map((room) => [room.id, room.left]))
  return {
    allowance: (track) => gate.allowance(track),
    admit: (candidate) => {
      const reservation = estimate(candidate)
      const applying = rooms.filter((room) => appliesTo(room, candidate.batchId, candidate.provider, reservation))
      const over = applying.find((room) => left.get(room.id)! < amountFor(room, reservation))
      if (over) {
        held(over, candidate)
        return false
      }
      const admitted = gate.admit(candidate)
      if (admitted !== false) for (const room of applying) left.set(room.id, left.get(room.id)! - amountFor(room, reservation))
      return admitted
    },
  }
}

/**
 * The same weighing for the lines of a provider batch, whose reservations name their own
 * profile and batch: the predicate answers whether the next line fits every budget that
 * pauses and that it falls under, and takes its estimate from each when it does. The store
 * asks it inside the transaction that takes the lines (batch-lane jobs are never claimed).
 */
export function budgetsFit(rooms: readonly BudgetRoom[]): (reservation: Reservation) => boolean {
  const left = new Map(rooms.map((room) => [room.id, room.left]))
  return (reservation) => {
    const applying = rooms.filter((room) => appliesTo(room, reservation.batchId, reservation.provider, reservation))
    if (applying.some((room) => left.get(room.id)! < amountFor(room, reservation))) return false
    for (const room of applying) left.set(room.id, left.get(room.id)! - amountFor(room, reservation))
    return true
  }
}
