/**
 * One truth (issue 14): the counters that describe jobs come from what the store recorded,
 * whoever wrote it. All real: two engines on one data directory, each with its exporter,
 * the CLI as a separate process beside them enqueuing and cancelling, and a real
 * Prometheus scraping both. sum() over the engines must equal the truth (only the holder
 * of the exporter lease serves the store-wide series), and the other engine takes them
 * over once the holder closes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../src/main/engine'
import { METRICS } from '../../src/shared/metrics'
import { genopsAsync } from '../support/cli'
import { SKIP_WITHOUT_PROMETHEUS, startPrometheus, type RunningPrometheus } from '../support/prometheus'
import { waitFor } from '../support/wait'

const dir = mkdtempSync(join(tmpdir(), 'genops-one-truth-'))
const dataDir = join(dir, 'data')
let first: Engine | undefined
let second: Engine | undefined
let prometheus: RunningPrometheus | undefined

const target = (engine: Engine) => `127.0.0.1:${engine.exporterAddress!.port}`
const start = () => createEngine({ dataDir, threads: 1, pollMs: 50, metrics: { exporter: { enabled: true, port: 0 } } })
/** A PromQL query's single value, or null when it has no series. */
const value = async (promql: string) => (await prometheus!.query(promql))[0]?.value ?? null

describe.skipIf(SKIP_WITHOUT_PROMETHEUS)('counters from the record, with the CLI beside two engines', () => {
  beforeAll(async () => {
    first = await start()
    // Second, once the first holds the lease: it serves only its own process's series.
    second = await start()
    prometheus = await startPrometheus(dir, [target(first), target(second)])
  }, 60_000)

  afterAll(async () => {
    await prometheus?.stop()
    await second?.close(1000)
    await first?.close(1000)
    rmSync(dir, { recursive: true, force: true })
  })

  it("counts the CLI's enqueue and cancel once, from the store, whichever engine serves them", async () => {
    const prompts = join(dir, 'prompts.jsonl')
    writeFileSync(prompts, '{"prompt": "one"}\n{"prompt": "two"}\n')
    // Delayed, so both are still queued when the CLI cancels the first.
    const enqueued = await genopsAsync(['enqueue', prompts, '--delay', '10m', '--data-dir', dataDir])
    expect(enqueued.stderr).toBe('')
    expect(enqueued.status).toBe(0)
    const cancelled = await genopsAsync(['jobs', 'cancel', '1', '--data-dir', dataDir])
    expect(cancelled.status, cancelled.stderr).toBe(0)

    const truth = async () => ({
      enqueued: await value(`sum(${METRICS.jobsEnqueued})`),
      cancelled: await value(`sum(${METRICS.jobsFinished}{outcome="cancelled"})`),
      intake: await value(`sum(${METRICS.intakeJobs}{format="jsonl"})`),
      queueCancelled: await value(`sum(${METRICS.queueJobs}{state="cancelled"})`),
      enqueuedSeries: await value(`count(${METRICS.jobsEnqueued})`),
      engines: await value(`count(count by (engine) (${METRICS.poolThreads}))`),
    })
    const seen = await waitFor(truth, (now) => now.enqueued === 2 && now.cancelled === 1 && now.intake === 2 && now.engines === 2, {
      what: 'Prometheus to store what the CLI did',
      timeoutMs: 20_000,
    })
    // One exporter serves the store-wide series: the sums are the truth, not twice it.
    expect(seen).toEqual({ enqueued: 2, cancelled: 1, intake: 2, queueCancelled: 1, enqueuedSeries: 1, engines: 2 })
    expect(await prometheus!.query(METRICS.jobsEnqueued)).toEqual([
      { metric: expect.objectContaining({ instance: target(first!), provider: 'sim' }) as unknown, value: 2 },
    ])
    // Per-process series carry their engine; the store-wide ones none.
    expect((await prometheus!.query(METRICS.jobsEnqueued))[0]!.metric.engine).toBeUndefined()
  }, 40_000)

  it('lets the second engine take the store-wide series over when the first closes', async () => {
    const secondTarget = target(second!)
    await first!.close(1000)
    const taken = await waitFor(
      () => value(`sum(${METRICS.jobsEnqueued}{instance="${secondTarget}"})`),
      (n) => n === 2,
      { what: 'the second engine to serve the store-wide series', timeoutMs: 20_000 },
    )
    expect(taken).toBe(2)
    expect(await value(`sum(${METRICS.jobsFinished}{instance="${secondTarget}", outcome="cancelled"})`)).toBe(1)
  }, 30_000)
})
