/**
 * A batch run again with changes (another provider or profile, model, or config keys laid
 * over each job's), as a new batch linked to the first: it keeps the first's sources and each
 * job's place in them, so a comparison matches the same rows. Every job is checked on what it
 * will run on, as an enqueue is, before anything is written. An estimate comes first: the
 * first run's mean tokens a finished job, priced for the model the jobs will run.
 */
import type { RerunChanges, RerunResult } from '../../shared/batches'
import { OperationError } from '../../shared/contract'
import { usd } from '../../shared/costs'
import { isProviderKind, type ProviderProfile } from '../../shared/providers'
import { loadPriceList, PriceBook } from '../costs/pricing'
import { BatchCheck, profilesOf } from '../intake/job-check'
import { isRecord, isStringArray, parseJsonColumn } from '../store/sqlite/queue/rows'
import type { NewJob, QueueStore } from '../queue/store'
import type { RerunSourceJob, TokenMeans } from './store'

/** Problems listed in one refusal; the rest are counted. */
const MAX_LISTED = 10
const PAGE = 1000

function rerunJob(job: RerunSourceJob, changes: RerunChanges, now: number): NewJob {
  const config = { ...parseJsonColumn(job.config, {}, isRecord), ...changes.config }
  return {
    prompt: job.prompt,
    provider: changes.provider ?? job.provider,
    // A new provider without a model runs its own default, not a model another provider named.
    model: changes.model ?? (changes.provider === undefined ? job.model : null),
    priority: job.priority,
    runAt: now,
    maxAttempts: job.maxAttempts,
    // Keys are unique across the queue: a re-run is matched to its first run by place, not by key.
    idempotencyKey: null,
    tags: job.tags === null ? null : parseJsonColumn(job.tags, null, isStringArray),
    config: Object.keys(config).length > 0 ? config : null,
    origin: job.sourceFile === null || job.sourceRow === null ? undefined : { file: job.sourceFile, row: job.sourceRow, input: job.input },
  }
}

function estimate(jobs: readonly NewJob[], means: TokenMeans, prices: PriceBook, profiles: ReadonlyMap<string, ProviderProfile>): RerunResult['estimate'] {
  if (means.jobs === 0) return { jobs: jobs.length, estimatedUsd: null, basis: 'no job of the first run has finished yet: nothing to estimate from' }
  let total = 0
  const unpriced = new Set<string>()
  for (const job of jobs) {
    const profile = isProviderKind(job.provider) ? undefined : profiles.get(job.provider)
    const kind = profile?.provider ?? job.provider
    const model = job.model ?? profile?.model ?? null
    const cost = prices.costOf({ provider: job.provider, kind, model }, means.inputTokens, means.outputTokens)
    if (cost === null) unpriced.add(model === null ? kind : `${kind}/${model}`)
    else total += cost
  }
  const tokens = `${Math.round(means.inputTokens)} input and ${Math.round(means.outputTokens)} output tokens a job (the first run's mean over ${means.jobs} finished)`
  if (unpriced.size > 0) return { jobs: jobs.length, estimatedUsd: null, basis: `${[...unpriced].join(', ')} has no price; ${tokens}` }
  return { jobs: jobs.length, estimatedUsd: total, basis: `${usd(total)} for ${jobs.length} jobs at ${tokens}` }
}

export async function rerunBatch(
  store: QueueStore,
  { batchId, changes, estimateOnly }: { batchId: number; changes: RerunChanges; estimateOnly: boolean },
  now: number,
): Promise<RerunResult> {
  const sources = await store.batches.sources(batchId)
  if (sources === null) throw new OperationError('NOT_FOUND', `batch ${batchId} does not exist`)
  const jobs: NewJob[] = []
  for (let after = 0; ;) {
    const page = await store.batches.rerunPage(batchId, after, PAGE)
    if (page.length === 0) break
    for (const job of page) jobs.push(rerunJob(job, changes, now))
    after = page.at(-1)!.id
  }
  if (jobs.length === 0) throw new OperationError('CONFLICT', `batch ${batchId} holds no jobs to run again`)
  const profiles = await profilesOf(store)
  const check = new BatchCheck({ profiles, defaults: {} })
  const problems = jobs.flatMap((job, index) =>
    check
      .problems({ prompt: job.prompt, provider: job.provider, model: job.model ?? undefined, config: job.config ?? undefined }, `job ${index + 1}`)
      .map((problem) => `job ${index + 1}: ${problem}`),
  )
  if (problems.length > 0) {
    const more = problems.length > MAX_LISTED ? `; and ${problems.length - MAX_LISTED} more` : ''
    throw new OperationError('INVALID_INPUT', `nothing re-run: ${problems.slice(0, MAX_LISTED).join('; ')}${more}`)
  }
  const prices = new PriceBook(loadPriceList(), await store.costs.priceOverrides())
  const guess = estimate(jobs, await store.batches.tokenMeans(batchId), prices, profiles)
  if (estimateOnly) return { estimate: guess, batchId: null }
  const detail = await store.batches.get(batchId, now)
  const name = `${(detail?.name ?? `batch ${batchId}`).slice(0, 180)} (re-run of ${batchId})`
  const { batchId: created } = await store.enqueue(jobs, name, now, null, { sources, rerunOf: batchId, rerunChanges: changes })
  return { estimate: guess, batchId: created }
}
