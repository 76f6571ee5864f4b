/**
 * The batch lane's steps over a real SQLite file with a scripted batch API: no network, for
 * races the fake servers cannot time (a stream cut after some lines, a cancel while a batch
 * settles). Each remote batch answers the lines set for it once it is marked ended.
 */
import { join } from 'node:path'
import type { BatchApi, LineResult } from '../../src/main/provider-batches/api'
import { customIdOf } from '../../src/main/provider-batches/api'
import { BatchLaneConfig } from '../../src/main/provider-batches/options'
import type { LaneParts } from '../../src/main/provider-batches/parts'
import { toNewJob } from '../../src/main/operations'
import { ownerIsGone } from '../../src/main/queue/lease-owner'
import { DEFAULT_BACKOFF } from '../../src/main/queue/backoff'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { tempDir } from '../support/temp'

export function openLane(jobs: number): { store: SqliteQueueStore; jobIds: number[] } {
  const store = SqliteQueueStore.open(join(tempDir(), 'genops.db'))
  const now = Date.now()
  const { jobIds } = store.enqueue(
    Array.from({ length: jobs }, (_, i) => ({ ...toNewJob({ prompt: `p${i}` }, {}, now), provider: 'openai', model: 'gpt-4o', config: { lane: 'batch' } })),
    'scripted',
    now,
  )
  return { store, jobIds }
}

/** Takes the jobs into a provider batch sent as `remoteId`; answers its id and its result lines (one success each). */
export function submit(store: SqliteQueueStore, jobIds: readonly number[], remoteId: string): { id: number; lines: string[] } {
  const now = Date.now()
  const attempts = store.db.prepare('SELECT attempts_made FROM jobs WHERE id = ?').pluck()
  const { id } = store.providerBatches.take({
    provider: 'openai',
    kind: 'openai',
    model: 'gpt-4o',
    bytes: 0,
    deadlineAt: null,
    owner: 'engine-1',
    now,
    leaseMs: 120_000,
    firstPollAt: now,
    lines: jobIds.map((jobId) => ({ jobId, customId: customIdOf(jobId, (attempts.get(jobId) as number) + 1), reservation: undefined })),
  })
  if (id === null) throw new Error('no job was taken into the provider batch')
  store.providerBatches.sent(id, remoteId, 'in_progress')
  const customIds = store.db.prepare('SELECT batch_line FROM jobs WHERE provider_batch_id = ? ORDER BY id').pluck().all(id) as string[]
  return { id, lines: customIds.map((custom_id) => JSON.stringify({ custom_id })) }
}

export interface Remote {
  /** Result lines of each ended batch, by remote id. */
  ended: Map<string, string[]>
  /** Throws after this many lines of the next results() read, once. */
  cutAfter?: number
  /** Called as each result line is handed over. */
  onLine?: (index: number) => void
}

export function scriptedApi(remote: Remote): BatchApi {
  return {
    kind: 'openai',
    line: (jobId, customId) => ({ jobId, customId, value: {}, text: JSON.stringify({ custom_id: customId }) }),
    upload: () => Promise.resolve({ remoteId: 'unused', status: 'validating' }),
    status: (remoteId) => Promise.resolve({ status: remote.ended.has(remoteId) ? 'completed' : 'in_progress', ended: remote.ended.has(remoteId) }),
    cancel: () => Promise.resolve(),
    async *results(remoteId) {
      const cut = remote.cutAfter
      remote.cutAfter = undefined
      for (const [index, line] of (remote.ended.get(remoteId) ?? []).entries()) {
        if (index === cut) throw new Error('socket hang up (cut mid-stream)')
        remote.onLine?.(index)
        yield line
      }
    },
    parse: (text): LineResult => ({
      customId: (JSON.parse(text) as { custom_id: string }).custom_id,
      kind: 'ok',
      text: 'answer',
      usage: { inputTokens: 10, outputTokens: 20 },
    }),
  }
}

export function laneParts(store: SqliteQueueStore, api: BatchApi, errors: string[] = []): LaneParts {
  return {
    store: store.providerBatches,
    // A slice a line: every line its own commit, as a long stream's slices are.
    config: BatchLaneConfig.parse({ sliceLines: 1 }),
    owner: 'engine-1',
    backoff: DEFAULT_BACKOFF,
    pricing: undefined,
    artifactsDir: null,
    resolve: (job) => ({ provider: 'openai', model: job.model, config: job.config ?? {} }),
    reserving: () => undefined,
    cacheKeyOf: () => null,
    cached: () => Promise.resolve(new Set()),
    held: () => false,
    ownersGone: () => Promise.resolve((owner: string) => ownerIsGone(owner)),
    unrecorded: new Map(),
    apiFor: () => api,
    hooks: { onChanges: () => undefined, onError: (error) => errors.push((error as Error).message) },
  }
}
