/**
 * What the batch-lane tests share: a real engine (pool, SQLite file) whose batch lane
 * gathers and polls every few milliseconds, a profile per fake batch server, and reads of
 * the jobs' rows.
 */
import Sqlite from 'better-sqlite3'
import { afterEach } from 'vitest'
import { createEngine, type Engine, type EngineConfig } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { startFakeAnthropicBatches, type FakeAnthropicBatches } from '../support/fake-anthropic-batches'
import { startFakeOpenAIBatches, type FakeOpenAIBatches } from '../support/fake-openai-batches'
import { waitFor } from '../support/wait'

export type FakeBatchServer = FakeOpenAIBatches | FakeAnthropicBatches

/** Each batch API, its fake, and a model the price list has (so the batch price can be checked by hand). */
export const KINDS = [
  { kind: 'openai' as const, start: startFakeOpenAIBatches, model: 'gpt-4o', input: 2.5, output: 10 },
  { kind: 'anthropic' as const, start: startFakeAnthropicBatches, model: 'claude-sonnet-4', input: 3, output: 15 },
]
export type Kind = (typeof KINDS)[number]

/** What a test opened, closed after it: its engines (however often it reopened one) and its fake, newest first. */
export function closedAfterEach(): <T extends { close(timeoutMs?: number): Promise<unknown> }>(opened: T) => T {
  const open: { close(timeoutMs?: number): Promise<unknown> }[] = []
  afterEach(async () => {
    for (const each of open.splice(0).reverse()) await each.close(2000)
  })
  return (opened) => {
    open.push(opened)
    return opened
  }
}

/** A lane that moves in milliseconds, a response cache that never answers (these tests count provider calls). */
export const FAST_LANE = { gatherMs: 30, tickMs: 10, pollMinMs: 5, pollMaxMs: 20 }

export async function laneEngine(dataDir: string, extra: Partial<EngineConfig> = {}): Promise<Engine> {
  return createEngine({
    dataDir,
    threads: 1,
    pollMs: 20,
    cache: { enabled: false },
    ...extra,
    batchLane: { ...FAST_LANE, ...extra.batchLane },
  })
}

/** The profile `batchy` on the fake (on loopback it needs no key, as a local server). */
export async function saveBatchProfile(engine: Engine, kind: Kind, fake: FakeBatchServer, config: Record<string, unknown> = {}): Promise<void> {
  await engine.call('saveProvider', { name: 'batchy', provider: kind.kind, baseUrl: fake.url, model: kind.model, config })
}

/** Waits until no job waits (queued, submitted, active), then for the engine's last commits. */
export async function settledAll(engine: Engine, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    () => engine.call('queueStats', {}),
    ({ counts }) => counts.queued + counts.delayed + counts.submitted + counts.active === 0,
    { what: 'every job finished', timeoutMs },
  )
  await engine.idle()
}

export interface AttemptRow {
  job_id: number
  outcome: string
  error_category: string | null
  error: string | null
  input_tokens: number | null
  output_tokens: number | null
  cost_usd: number | null
}

/** The file's rows, read beside the engine (WAL lets a reader in). */
export function readRows<T>(dataDir: string, text: string, ...params: unknown[]): T[] {
  const db = new Sqlite(databaseFile(dataDir), { readonly: true })
  try {
    return db.prepare(text).all(...params) as T[]
  } finally {
    db.close()
  }
}
