/**
 * One engine's share of a store-core drain, in a process of its own (bench/postgres.ts):
 * `tsx bench/store-drainer.ts postgres|sqlite URL|FILE OWNER LIMIT` (jobs per claim: what a
 * scheduler with that many free workers asks for). Opens the store, prints
 * "ready", waits for "go" on stdin, then claims and completes no-op jobs until the queue is
 * empty, and prints what it claimed and how long its claims took as one JSON line.
 */
import { createInterface } from 'node:readline'
import { SqliteQueueStore } from '../src/main/queue/sqlite'
import { PostgresQueueStore } from '../src/main/store/postgres'
import type { QueueCore } from '../src/main/store/queue-core'

const [kind, target, owner, limitText] = process.argv.slice(2)
const limit = Number(limitText)
if ((kind !== 'postgres' && kind !== 'sqlite') || !target || !owner || !Number.isInteger(limit) || limit < 1) {
  console.error('usage: tsx bench/store-drainer.ts postgres|sqlite URL|FILE OWNER LIMIT')
  process.exit(2)
}

const store: QueueCore = kind === 'postgres' ? await PostgresQueueStore.open(target, { max: 2 }) : SqliteQueueStore.open(target)
console.log('ready')
const input = createInterface({ input: process.stdin })
await new Promise<void>((resolve) => input.once('line', () => resolve()))
// Left open, stdin would keep this process alive after the drain.
input.close()
process.stdin.destroy()

const claimMs: number[] = []
let claimed = 0
for (;;) {
  const now = Date.now()
  const started = performance.now()
  const { jobs } = await store.claim({ owner, limit, now, leaseMs: 60_000 })
  claimMs.push(performance.now() - started)
  if (jobs.length === 0) {
    const { counts } = await store.stats(now)
    // Another engine's claim may still give jobs back (none here: no-op jobs always complete); empty is done.
    if (counts.queued + counts.delayed === 0) break
    continue
  }
  claimed += jobs.length
  await store.settle(
    jobs.map((job) => ({ id: job.id, outcome: 'ok' as const, endedAt: Date.now(), output: '', inputTokens: null, outputTokens: null })),
    owner,
  )
}
await store.close()
claimMs.sort((a, b) => a - b)
const percentile = (p: number) => claimMs[Math.min(claimMs.length - 1, Math.floor((p / 100) * claimMs.length))] ?? 0
console.log(JSON.stringify({ claimed, claims: claimMs.length, p50Ms: percentile(50), p99Ms: percentile(99) }))
