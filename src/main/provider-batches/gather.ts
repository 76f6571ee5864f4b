/**
 * Gathering: the batch-lane jobs due now, per profile (or provider) and model, built into
 * request lines a slice at a time and split into provider batches at the provider's limits
 * (requests and bytes). Each batch is taken in one transaction (its jobs 'submitted', their
 * estimates reserved against the budgets) before anything is sent, then uploaded. A job
 * its provider cannot take in a batch now (no batch API, no model, a deadline passed while
 * it waited) moves to the real-time lane instead, saying why.
 */
import { setImmediate as yieldTurn } from 'node:timers/promises'
import { BATCH_KINDS, configProblem, type ConfigKind } from '../../shared/job-config'
import { redactSecrets } from '../../workers/classify'
import { renderPrompt } from '../../workers/render'
import type { ProfileEndpoint } from '../../workers/protocol'
import { sentPromptChars } from '../store/sqlite/queue/tracks'
import { customIdOf, type BatchApi, type BuiltLine } from './api'
import type { LaneParts } from './parts'
import { failAll } from './settle'
import type { BatchKind, DueJob, DuePosition, ProviderBatch, TakenLine } from './store'

interface Group {
  provider: string
  kind: BatchKind
  model: string
  endpoint: ProfileEndpoint | undefined
  jobs: { job: DueJob; config: Record<string, unknown>; cacheKey: string | null }[]
}

const isBatchKind = (kind: string): kind is BatchKind => (BATCH_KINDS as readonly string[]).includes(kind)

/** When the job must have left the batch lane: its enqueue plus its (or its profile's) deadlineMs; null: none. */
function deadlineOf(job: DueJob, config: Record<string, unknown>): number | null {
  return typeof config.deadlineMs === 'number' ? job.createdAt + config.deadlineMs : null
}

/** Due jobs read in one go: a page of the main thread's time, then a turn for the rest of the engine. */
const PAGE_JOBS = 5_000

/**
 * Where the next gather reads on from. A backlog no batch can take now (a held provider's)
 * is passed over a gather at a time instead of read again from its head each time, so it
 * never keeps other providers' jobs out for longer than one pass over the due jobs.
 */
export interface GatherCursor {
  after: DuePosition | null
}

/** One gather of at most `gatherLimit` due jobs, read a page at a time from the cursor on: answers how many went into provider batches. */
export async function gather(parts: LaneParts, now: number, cursor: GatherCursor = { after: null }): Promise<number> {
  const groups = new Map<string, Group>()
  const toRealtime = new Map<string, number[]>()
  const move = (reason: string, id: number) => {
    const ids = toRealtime.get(reason)
    if (ids) ids.push(id)
    else toRealtime.set(reason, [id])
  }
  const classify = (job: DueJob): void => {
    const resolved = parts.resolve(job)
    const deadline = deadlineOf(job, resolved.config)
    // Before the hold: a job whose deadline passed goes to the real-time lane, where it waits like any other held job.
    if (deadline !== null && deadline <= now) {
      move('its deadline passed before it went into a provider batch', job.id)
      return
    }
    if (parts.held(job)) return
    const kind = resolved.provider
    const problem = !isBatchKind(kind)
      ? `provider ${kind} has no batch API`
      : resolved.model === null
        ? 'it names no model'
        : configProblem(kind as ConfigKind, resolved.config)
    if (problem !== null || !isBatchKind(kind) || resolved.model === null) {
      // The real-time attempt then runs it, or fails it with the same words the worker uses.
      move(`it cannot go in a provider batch: ${problem}`, job.id)
      return
    }
    const key = `${job.provider}\0${resolved.model}`
    const group = groups.get(key) ?? { provider: job.provider, kind, model: resolved.model, endpoint: resolved.endpoint, jobs: [] }
    group.jobs.push({ job, config: resolved.config, cacheKey: parts.cacheKeyOf(job) })
    groups.set(key, group)
  }
  for (let read = 0; read < parts.config.gatherLimit;) {
    const want = Math.min(PAGE_JOBS, parts.config.gatherLimit - read)
    const page = await parts.store.dueJobs(now, want, cursor.after)
    read += page.length
    // The end of the due jobs: the next gather starts again from the oldest.
    cursor.after = page.length < want ? null : { runAt: page.at(-1)!.runAt, id: page.at(-1)!.id }
    for (const job of page) classify(job)
    if (cursor.after === null) break
    await yieldTurn()
  }
  // A request answered before is not sent again: the scheduler answers it from the response cache, for nothing.
  const keys = [...groups.values()].flatMap((group) => group.jobs.flatMap((entry) => entry.cacheKey ?? []))
  const cached = keys.length > 0 ? await parts.cached(keys) : new Set<string>()
  for (const group of groups.values()) {
    group.jobs = group.jobs.filter((entry) => {
      const hit = entry.cacheKey !== null && cached.has(entry.cacheKey)
      if (hit) move('its answer is in the response cache', entry.job.id)
      return !hit
    })
  }
  for (const [reason, ids] of toRealtime) parts.hooks.onChanges(await parts.store.toRealtime(ids, now, reason))
  let sent = 0
  for (const group of groups.values()) sent += await sendGroup(parts, group)
  return sent
}

/** Builds the group's lines and sends them in as many provider batches as the limits make. */
async function sendGroup(parts: LaneParts, group: Group): Promise<number> {
  const api = parts.apiFor({ kind: group.kind, endpoint: group.endpoint })
  const { maxRequests, maxBytes } = parts.config.limits[group.kind]
  let lines: BuiltLine[] = []
  let bytes = 0
  let sent = 0
  const flush = async () => {
    if (lines.length > 0) sent += await send(parts, group, api, lines, bytes)
    lines = []
    bytes = 0
  }
  for (let i = 0; i < group.jobs.length; i++) {
    const { job, config } = group.jobs[i]!
    const line = api.line(
      job.id,
      customIdOf(job.id, job.attemptsMade + 1),
      renderPrompt(job.prompt, config.vars as Record<string, unknown> | undefined),
      group.model,
      config,
    )
    // JSONL: a line and its newline.
    const size = Buffer.byteLength(line.text) + 1
    if (lines.length >= maxRequests || (lines.length > 0 && bytes + size > maxBytes)) await flush()
    lines.push(line)
    bytes += size
    // The main thread also drives the window: a big gather is built a slice a turn.
    if ((i + 1) % parts.config.sliceLines === 0) await yieldTurn()
  }
  await flush()
  return sent
}

/** Takes the lines' jobs into one provider batch, then uploads it; a refused upload is an attempt of each line that failed. */
async function send(parts: LaneParts, group: Group, api: BatchApi, lines: readonly BuiltLine[], bytes: number): Promise<number> {
  const now = Date.now()
  const reserve = parts.reserving()
  const byJob = new Map(group.jobs.map((entry) => [entry.job.id, entry]))
  const taken: TakenLine[] = lines.map((line) => {
    const { job, config } = byJob.get(line.jobId)!
    const maxTokens = typeof config.maxTokens === 'number' ? config.maxTokens : null
    const reservation = reserve?.({ provider: group.provider, model: group.model }, job.batchId, sentPromptChars(job.prompt, config.vars), maxTokens)
    return { jobId: line.jobId, customId: line.customId, reservation }
  })
  // The batch's deadline is the earliest of its own lines'.
  const deadline = lines.reduce<number | null>((earliest, line) => {
    const { job, config } = byJob.get(line.jobId)!
    const own = deadlineOf(job, config)
    return own === null ? earliest : earliest === null ? own : Math.min(earliest, own)
  }, null)
  const {
    id,
    taken: ids,
    changes,
  } = await parts.store.take({
    provider: group.provider,
    kind: group.kind,
    model: group.model,
    lines: taken,
    bytes,
    deadlineAt: deadline,
    owner: parts.owner,
    now,
    leaseMs: parts.config.leaseMs,
    firstPollAt: now + parts.config.pollMinMs,
  })
  parts.hooks.onChanges(changes)
  // None of them is still queued, due and within the budgets: no provider batch was made.
  if (id === null) return 0
  const sending = lines.filter((line) => ids.has(line.jobId))
  const batch: ProviderBatch = {
    id,
    provider: group.provider,
    kind: group.kind,
    model: group.model,
    state: 'preparing',
    remoteId: null,
    remoteStatus: null,
    requests: sending.length,
    createdAt: now,
    polls: 0,
    deadlineAt: null,
    owner: parts.owner,
  }
  let accepted: { remoteId: string; status: string }
  try {
    accepted = await api.upload(sending, `genops-${id}`)
  } catch (error) {
    // Refused, or never reached the provider: each line's attempt failed, and the batch is given up.
    await failAll(parts, batch, error)
    await parts.store.finish(id, 'abandoned', Date.now(), 0, `the upload failed: ${redactSecrets(String((error as Error | undefined)?.message ?? error))}`)
    return 0
  }
  // The provider runs (and bills) it now: a store that fails to record that is asked again, and its lines never fail for it.
  parts.unrecorded.set(id, accepted)
  await recordSent(parts)
  return sending.length
}

/** Records the uploads the provider accepted that the store has not yet recorded (a failure is said, and tried again at the next step). */
export async function recordSent(parts: LaneParts): Promise<void> {
  for (const [id, { remoteId, status }] of parts.unrecorded) {
    await parts.store.sent(id, remoteId, status)
    parts.unrecorded.delete(id)
  }
}
