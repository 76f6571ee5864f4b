/**
 * The resilience state every process on one queue shares (store/sqlite/queue/rate-state.ts,
 * queue/breaker-log.ts): the log of starts that rate windows and provider quotas count, the
 * newest rate-limit reading, cooldowns and breaker openings. On real SQLite files, with two connections standing for two processes, and
 * with the real CLI's `run` beside an engine: one limit, whoever claims.
 */
import Sqlite from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { BreakerLog } from '../../src/main/queue/breaker-log'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { providerRates, recordStart, reportStart } from '../../src/main/store/sqlite/queue/rate-state'
import type { ClaimedJob } from '../../src/main/queue/store'
import { BreakerBoard, DEFAULT_BREAKER } from '../../src/main/resilience/breakers'
import { Gates } from '../../src/main/resilience/gates'
import { UNANSWERED_EXPIRY_MS } from '../../src/main/resilience/provider-quota'
import type { ProviderProfile } from '../../src/shared/providers'
import type { QuotaReading } from '../../src/shared/ratelimit-headers'
import { METRICS } from '../../src/shared/metrics'
import { genops, genopsAsync } from '../support/cli'
import { parseSamples, total } from '../support/prometheus-text'
import { job, T0, tempStore } from '../support/queue'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const NOW = Date.parse('2026-12-06T06:00:00Z')

describe("spending what the provider says remains, from the store's log of starts", () => {
  // Each reading's request went out 50 ms before its headers were read.
  const reading = (at: number, remaining: number, resetAt: number, tokens = { limit: 10_000, remaining: 10_000 }): QuotaReading => ({
    at,
    sentAt: at - 50,
    requests: { limit: 10, remaining, resetAt },
    tokens: { ...tokens, resetAt },
  })
  const setup = () => {
    const { db } = tempStore()
    let jobId = 0
    const start = (at: number, estimate = 100) => recordStart(db, 'p', ++jobId, at, estimate)
    const answer = (id: number, answeredAt: number, read?: QuotaReading) => reportStart(db, { id, answeredAt, tokens: null, reading: read })
    const room = (now: number) => providerRates(db, now, 60_000).get('p')?.quota?.room
    return { start, answer, room }
  }

  it("counts attempts still running or answered after the reading's request went, and the whole limit after its reset", () => {
    const { start, answer, room } = setup()
    expect(room(NOW)).toBeUndefined()
    const [a, b, c] = [start(NOW - 100), start(NOW - 90), start(NOW - 80)]
    start(NOW - 70)
    // a's answer says 5 remain; b was answered before a's request went (so it is in the 5), c after (with an older reading), d still runs.
    answer(b, NOW - 60)
    answer(a, NOW + 5, reading(NOW, 5, NOW + 2000))
    answer(c, NOW + 6, reading(NOW - 1, 6, NOW + 2000))
    expect(room(NOW + 10)).toEqual({ requests: 5 - 2, tokens: 10_000 - 200, tokenLimit: 10_000 })
    for (let i = 0; i < 3; i++) start(NOW + 20 + i)
    expect(room(NOW + 30)!.requests).toBe(0)
    // At the reset the whole limit is back, less what may fall in the new window: what still runs.
    expect(room(NOW + 2000)).toEqual({ requests: 10 - 4, tokens: 10_000 - 400, tokenLimit: 10_000 })
  })

  it('reads a stored reading back through its schema: one of the wrong shape says nothing, and claims go on', () => {
    const { db } = tempStore()
    db.prepare(`INSERT INTO provider_quotas (provider, sent_at, start_id, reading) VALUES ('p', 1, 1, '{"at": "soon", "requests": 5}')`).run()
    expect(providerRates(db, NOW, 60_000).get('p')?.quota).toBeUndefined()
  })

  it('keeps the newest reading when answers come back out of order', () => {
    const { start, answer, room } = setup()
    const [a, b, c] = [start(NOW - 300), start(NOW - 200), start(NOW - 100)]
    answer(a, NOW, reading(NOW, 4, NOW + 5000))
    answer(b, NOW, reading(NOW - 100, 9, NOW + 5000))
    expect(room(NOW)!.requests).toBe(4 - 1)
    answer(c, NOW + 100, reading(NOW + 100, 2, NOW + 5000))
    expect(room(NOW + 100)!.requests).toBe(2)
  })

  it('weighs tokens as estimated when sent, and stops counting an attempt that never reports back', () => {
    const { start, answer, room } = setup()
    answer(start(NOW - 10, 20), NOW, reading(NOW, 9, NOW + 10 * UNANSWERED_EXPIRY_MS, { limit: 1000, remaining: 150 }))
    start(NOW + 1, 200)
    expect(room(NOW + 2)).toEqual({ requests: 8, tokens: -50, tokenLimit: 1000 })
    expect(room(NOW + 2 + UNANSWERED_EXPIRY_MS)).toEqual({ requests: 9, tokens: 150, tokenLimit: 1000 })
  })
})

describe('one rate window for every process on the queue', () => {
  const metered: ProviderProfile = { name: 'metered', provider: 'sim', limits: { requestsPerMinute: 7, tokensPerMinute: 100_000 } }
  function gatesFor(profiles: ProviderProfile[]) {
    const gates = new Gates(new BreakerBoard(DEFAULT_BREAKER, () => {}))
    gates.setProfiles(new Map(profiles.map((p) => [p.name, p])))
    return gates
  }
  const claim = (store: SqliteQueueStore, gates: Gates, now: number): ClaimedJob[] =>
    store.claim({ owner: `o${now}`, limit: 100, now, leaseMs: 60_000, gate: (facts) => gates.forClaim(facts, now), starts: gates.counting }).jobs

  it('two connections on one file (two processes) share one requests-per-minute window; a handed-back claim frees its place', () => {
    const first = tempStore()
    first.enqueue(
      Array.from({ length: 30 }, (_, i) => job(`m ${i}`, { provider: 'metered', runAt: T0 })),
      'b',
      T0,
    )
    const second = SqliteQueueStore.open(first.db.name)
    try {
      const [a, b] = [gatesFor([metered]), gatesFor([metered])]
      const mine = claim(first, a, T0)
      expect(mine).toHaveLength(7)
      // The other process sees the same window: nothing is left in this minute.
      expect(claim(second, b, T0 + 1)).toHaveLength(0)
      expect(b.heldReason({ provider: 'metered', model: null }, T0 + 1)).toMatch(/at its limit of 7 requests a minute/)
      // A claim handed back before it ran (its breaker closed the door) frees its place for the other.
      const [back] = mine
      const handedBack = {
        id: back!.id,
        outcome: 'error',
        endedAt: T0 + 2,
        category: 'PROVIDER',
        message: 'not started',
        retryable: true,
        retryAt: T0 + 2,
        refund: true,
      } as const
      second.settle([{ ...handedBack, start: { id: back!.startId!, freed: true } }], `o${T0}`)
      expect(claim(second, b, T0 + 3)).toHaveLength(1)
      // A minute after the first starts, their places are free again.
      expect(claim(second, b, T0 + 60_001)).toHaveLength(6)
    } finally {
      second.close()
    }
  })

  it("corrects the tokens-per-minute window with every attempt's reported usage, and shares a cooldown", () => {
    const store = tempStore()
    const tpm: ProviderProfile = { name: 't', provider: 'sim', limits: { tokensPerMinute: 1000 } }
    store.enqueue(
      Array.from({ length: 10 }, (_, i) => job(`${'x'.repeat(400)} ${i}`, { provider: 't', runAt: T0, config: { maxTokens: 100 } })),
      'b',
      T0,
    )
    const gates = gatesFor([tpm])
    // Estimated at 101 + 100 tokens each: four fit in 1,000.
    const four = claim(store, gates, T0)
    expect(four).toHaveLength(4)
    // They used 30 tokens each: the window has room for more once that is known.
    store.settle(
      four.map((j) => ({
        id: j.id,
        outcome: 'ok' as const,
        endedAt: T0 + 5,
        output: 'x',
        inputTokens: 20,
        outputTokens: 10,
        start: { id: j.startId!, answeredAt: T0 + 5, tokens: 30 },
      })),
      `o${T0}`,
    )
    expect(claim(store, gates, T0 + 6)).toHaveLength(4)
    // Another process's cooldown holds this one's claims too.
    store.coolDown('t', T0 + 10_000)
    const other = gatesFor([tpm])
    expect(claim(store, other, T0 + 7)).toHaveLength(0)
    expect(other.heldReason({ provider: 't', model: null }, T0 + 7)).toMatch(/asked to wait \(Retry-After\)/)
  })

  it("the CLI's run beside an engine: no window holds more starts than the profile's limit", async () => {
    const dataDir = tempDir()
    const windowMs = 1000
    const limit = 6
    expect(genops(['settings', 'set', 'rateLimits.windowMs', String(windowMs), '--data-dir', dataDir]).status).toBe(0)
    expect(genops(['providers', 'add', 'metered', '--provider', 'sim', '--rpm', String(limit), '--data-dir', dataDir]).status).toBe(0)
    let engine: Engine | undefined
    try {
      // Two at once and half a second each: this engine alone starts at most 4 a second, so the CLI must take the rest of each window.
      engine = await createEngine({ dataDir, threads: 1, concurrency: 2, pollMs: 50, artifacts: false })
      await engine.call('enqueueJobs', {
        jobs: Array.from({ length: 36 }, (_, i) => ({ prompt: `metered ${i}` })),
        defaults: { provider: 'metered', config: { latencyMs: 500 } },
      })
      const cli = genopsAsync(['run', '--until-empty', '--threads', '1', '--data-dir', dataDir])
      await waitFor(
        () => engine!.call('queueStats', {}),
        ({ counts }) => counts.completed === 36,
        { what: 'both processes to drain the batch', timeoutMs: 60_000 },
      )
      expect((await cli).status).toBe(0)
      // Both took part: this engine ran some of the attempts, the CLI's process the rest.
      // genops_attempts_total counts the queue's attempts whoever ran them; the duration histogram is this process's own.
      const ranHere = total(parseSamples(await engine.metrics!.text()), `${METRICS.attemptDuration}_count`)
      expect(ranHere).toBeGreaterThan(0)
      expect(ranHere).toBeLessThan(36)
    } finally {
      await engine?.close(2000)
    }
    const db = new Sqlite(databaseFile(dataDir), { readonly: true })
    const starts = db.prepare('SELECT started_at FROM job_attempts ORDER BY started_at').pluck().all() as number[]
    db.close()
    expect(starts).toHaveLength(36)
    // Every window of the configured length holds at most the limit, across both processes (two windows, one each, would allow twice).
    const busiest = Math.max(...starts.map((at) => starts.filter((other) => other > at - windowMs && other <= at).length))
    expect(busiest).toBeLessThanOrEqual(limit)
  }, 90_000)

  it('holds the limits of a profile another process saved after this engine last read its profiles (CI found all 25 sent at once)', async () => {
    const dataDir = tempDir()
    const windowMs = 1500
    const engine = await createEngine({
      dataDir,
      threads: 1,
      pollMs: 250,
      artifacts: false,
      rateLimits: { windowMs, cooldownAfter: 3, cooldownWithinMs: 3000 },
    })
    const other = SqliteQueueStore.open(databaseFile(dataDir))
    try {
      // Another process saves the profile, and its jobs come at once: before this engine's next poll reads it.
      other.saveProfile({ name: 'metered', provider: 'sim', limits: { requestsPerMinute: 2 } }, Date.now())
      await engine.call('enqueueJobs', { jobs: Array.from({ length: 6 }, (_, i) => ({ prompt: `metered ${i}` })), defaults: { provider: 'metered' } })
      await waitFor(
        () => engine.call('queueStats', {}),
        ({ counts }) => counts.completed === 6,
        { what: 'the six jobs to run two a window', timeoutMs: 30_000 },
      )
      const { jobs } = await engine.call('listJobs', { limit: 10 })
      expect(jobs.map((job) => job.attemptsMade)).toEqual([1, 1, 1, 1, 1, 1])
    } finally {
      other.close()
      await engine.close(2000)
    }
    const db = new Sqlite(databaseFile(dataDir), { readonly: true })
    const starts = db.prepare(`SELECT started_at FROM job_attempts WHERE outcome = 'ok' ORDER BY started_at`).pluck().all() as number[]
    const handedBack = db.prepare(`SELECT error FROM job_attempts WHERE outcome <> 'ok'`).pluck().all() as string[]
    db.close()
    expect(starts).toHaveLength(6)
    const busiest = Math.max(...starts.map((at) => starts.filter((other) => other > at - windowMs && other <= at).length))
    expect(busiest).toBeLessThanOrEqual(2)
    // The claim that found the profile unread sent nothing: its jobs went back, saying why.
    expect(handedBack.length).toBeGreaterThan(0)
    for (const error of handedBack) expect(error).toBe('not started: profile metered was saved after this claim')
  }, 60_000)
})

describe('breakers shared by the engines on one queue', () => {
  const unavailable = { ok: false, category: 'SERVICE_UNAVAILABLE', message: '503', retryable: true, retryAfterMs: null, durationMs: 1 } as const
  const hooks = {
    onError: (error: unknown) => {
      throw error
    },
    onNotice: () => {},
  }
  function engineOn(store: SqliteQueueStore, owner: string) {
    const log = new BreakerLog(store, owner, hooks)
    const board = new BreakerBoard({ ...DEFAULT_BREAKER, window: 4, minimumAttempts: 4 }, (change) => log.changed(change))
    return { log, board }
  }

  it("opens another engine's breaker until the time the first named, and keeps it open across a restart", async () => {
    const store = tempStore()
    const a = engineOn(store, 'engine-a')
    const b = engineOn(store, 'engine-b')
    await b.log.restore(b.board)
    for (let i = 0; i < 4; i++) await a.board.run('flaky', async () => unavailable)
    const opened = a.board.status('flaky')!
    expect(opened.state).toBe('open')
    await new Promise((resolve) => setImmediate(resolve))
    // B polls the record: the provider A found down is held here too, until the same time.
    await b.log.applyCommands(b.board)
    expect(b.board.status('flaky')).toMatchObject({ state: 'open', openUntil: opened.openUntil })
    expect(b.board.allowance('flaky', Date.now())).toBe(0)
    // A restarted engine reads the record: still open until then, not closed and re-learning.
    const restarted = engineOn(store, 'engine-a2')
    await restarted.log.restore(restarted.board)
    expect(restarted.board.status('flaky')).toMatchObject({ state: 'open', openUntil: opened.openUntil })
    // Once the wait is over each lets its own probe through.
    expect(b.board.allowance('flaky', opened.openUntil!)).toBe(1)
  })
})
