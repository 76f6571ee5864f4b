/**
 * One engine's share of a store-core drain, in a process of its own (bench/postgres.ts, and
 * test/store/postgres/three-drainers.test.ts, which kills one with SIGKILL):
 *
 *   tsx bench/store-drainer.ts postgres|sqlite URL|FILE LIMIT [--lease-ms N] [--sweep-ms N] [--attempt-ms N] [--progress]
 *
 * LIMIT is the jobs per claim (what a scheduler with that many free workers asks for).
 * Keeps its leases as the scheduler does (queue/scheduler.ts): a lease owner from
 * newLeaseOwner(), so others can tell when this process is gone; a heartbeat every third of
 * the lease; a stall sweep at start and every --sweep-ms that gives back the jobs of owners
 * whose process is gone or whose lease ran out. Prints "ready OWNER", waits for "go" on
 * stdin, then claims and completes no-op jobs (each claim held --attempt-ms first, an
 * attempt's stand-in) until nothing is queued, delayed or active. With --progress it prints
 * "held N settled M" after each claim, before settling it. Last, one JSON line: what it
 * claimed and completed, and how long its claims took.
 */
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { newLeaseOwner, ownerIsGone } from '../src/main/queue/lease-owner'
import { SqliteQueueStore } from '../src/main/store/sqlite/queue'
import { PostgresQueueStore } from '../src/main/store/postgres'
import type { QueueCore } from '../src/main/store/queue-core'

/** What the drainer prints last. */
export interface DrainerResult {
  /** Jobs this process claimed (a job recovered from another is claimed again). */
  claimed: number
  /** Jobs whose completion this process committed. */
  completed: number
  /** Jobs this process's sweeps gave back to the queue. */
  recovered: number
  claims: number
  p50Ms: number
  p99Ms: number
}

// The engine's defaults (engine-config.ts): a bench drains as an engine would.
const DEFAULTS = { 'lease-ms': '30000', 'sweep-ms': '5000', 'attempt-ms': '0' }
const MAX_STALLED = 2
/** How long to wait before asking again when nothing is due but other engines still hold jobs. */
const IDLE_MS = 10

const usage = 'usage: tsx bench/store-drainer.ts postgres|sqlite URL|FILE LIMIT [--lease-ms N] [--sweep-ms N] [--attempt-ms N] [--progress]'
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'lease-ms': { type: 'string', default: DEFAULTS['lease-ms'] },
    'sweep-ms': { type: 'string', default: DEFAULTS['sweep-ms'] },
    'attempt-ms': { type: 'string', default: DEFAULTS['attempt-ms'] },
    progress: { type: 'boolean', default: false },
  },
})
const [kind, target, limitText] = positionals
const limit = Number(limitText)
const leaseMs = Number(values['lease-ms'])
const sweepMs = Number(values['sweep-ms'])
const attemptMs = Number(values['attempt-ms'])
if (
  (kind !== 'postgres' && kind !== 'sqlite') ||
  !target ||
  ![limit, leaseMs, sweepMs].every((n) => Number.isInteger(n) && n > 0) ||
  !Number.isInteger(attemptMs) ||
  attemptMs < 0
) {
  console.error(usage)
  process.exit(2)
}

const owner = newLeaseOwner()
const store: QueueCore = kind === 'postgres' ? await PostgresQueueStore.open(target, { max: 3 }) : SqliteQueueStore.open(target)
console.log(`ready ${owner}`)
const input = createInterface({ input: process.stdin })
await new Promise<void>((resolve) => input.once('line', () => resolve()))
// Left open, stdin would keep this process alive after the drain.
input.close()
process.stdin.destroy()

let recovered = 0
/** The scheduler's sweepStalled, less what the queue core does not have (abandoned loads, a full disk). */
async function sweepStalled(): Promise<void> {
  const deadOwners = (await store.leaseOwners()).filter((other) => other !== owner && ownerIsGone(other))
  recovered += (await store.recoverStalled({ now: Date.now(), maxStalled: MAX_STALLED, deadOwners })).length
}
const heartbeat = async () => void (await store.extendLeases(owner, Date.now() + leaseMs))
/** Heartbeats and sweeps under way: waited for before the store closes. */
const running = new Set<Promise<void>>()
// As the scheduler's timers: a failed round is reported and the next one runs.
const every = (ms: number, task: () => Promise<void>, during: string) =>
  setInterval(() => {
    const round = task()
      .catch((error: unknown) => console.error(`drainer ${owner}: ${during} failed:`, error))
      .finally(() => running.delete(round))
    running.add(round)
  }, ms)

await sweepStalled()
const timers = [every(Math.max(250, Math.floor(leaseMs / 3)), heartbeat, 'heartbeat'), every(sweepMs, sweepStalled, 'stalled-job sweep')]

const claimMs: number[] = []
let claimed = 0
let completed = 0
for (;;) {
  const now = Date.now()
  const started = performance.now()
  const { jobs } = await store.claim({ owner, limit, now, leaseMs })
  claimMs.push(performance.now() - started)
  if (jobs.length === 0) {
    const { counts } = await store.stats(now)
    // Another engine's jobs may still come back (a crash, a lease run out): done only when none is left anywhere.
    if (counts.queued + counts.delayed + counts.active === 0) break
    await sleep(IDLE_MS)
    continue
  }
  claimed += jobs.length
  if (values.progress) console.log(`held ${jobs.length} settled ${completed}`)
  if (attemptMs > 0) await sleep(attemptMs)
  const changes = await store.settle(
    jobs.map((job) => ({ id: job.id, outcome: 'ok' as const, endedAt: Date.now(), output: '', inputTokens: null, outputTokens: null })),
    owner,
  )
  completed += changes.filter((change) => change.state === 'completed').length
}
timers.forEach(clearInterval)
await Promise.all(running)
await store.close()
claimMs.sort((a, b) => a - b)
const percentile = (p: number) => claimMs[Math.min(claimMs.length - 1, Math.floor((p / 100) * claimMs.length))] ?? 0
const result: DrainerResult = { claimed, completed, recovered, claims: claimMs.length, p50Ms: percentile(50), p99Ms: percentile(99) }
console.log(JSON.stringify(result))
