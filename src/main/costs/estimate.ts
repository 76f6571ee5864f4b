/**
 * An estimate before launch, for jobs about to be enqueued (intake's parse and check done,
 * nothing written): input tokens counted from each prompt as it will be sent (variables
 * filled, the system prompt beside it; token-count.ts says how), the output expected (the
 * job's maxTokens, else the recent mean of its provider and model, else a stated default),
 * the cost on each lane, the jobs the response cache would answer now (their keys looked up
 * together), the time the profile's limits make it take, and every budget it would cross.
 *
 * Jobs are grouped by provider (or profile) and model: each group is priced, limited and
 * counted as the scheduler would run it. What runs on the main thread runs in slices, and
 * tokenizers run on their own thread, so a big drop does not hold the window.
 */
import { budgetAmount, budgetName, type Budget } from '../../shared/costs'
import type { BudgetCrossing, Estimate, EstimateGroup, OutputBasis } from '../../shared/estimate'
import { BATCH_KINDS, fillVariables, type Lane } from '../../shared/job-config'
import type { ProviderProfile } from '../../shared/providers'
import { RATE_WINDOW_MS } from '../../shared/resilience'
import { cacheApplies, cacheKey } from '../cache/key'
import { profilesOf } from '../intake/job-check'
import { DEFAULT_OUTPUT_ESTIMATE } from '../resilience/gates'
import { mapInSlices } from '../intake/slices'
import { resolveProvider } from '../queue/profiles'
import type { NewJob, QueueStore } from '../queue/store'
import type { PriceBook, PricedAttempt } from './pricing'
import type { RecentOutput } from './store'
import { counterFor, type Counting } from './token-count'

/** What a job with no maxTokens is expected to answer when its provider and model have no history: the gates' own figure. */
export const DEFAULT_OUTPUT_TOKENS = DEFAULT_OUTPUT_ESTIMATE

/** How far back the rollups are read for a provider's mean output. */
export const HISTORY_MS = 7 * 86_400_000

/** Cache keys looked up in one statement: 5 to 15 ms of the main thread (8,192 took 20 to 60). */
const KEYS_A_LOOKUP = 2_048

/** Completed attempts a mean needs before it is trusted over the default. */
const MIN_HISTORY = 10

export interface EstimateOptions {
  /** The lane the totals and budgets are weighed for. */
  lane: Lane
  now: number
}

type EstimateStore = Pick<QueueStore, 'cache' | 'costs' | 'listProfiles' | 'sharedSettings'>

/** One group's jobs as they are counted, before they are priced. */
interface Tally {
  attempt: PricedAttempt
  profile: ProviderProfile | undefined
  counting: Counting
  jobs: number
  /** Per job: the prompt as sent and its system prompt (counted once the pass is over), its input tokens, output tokens and cache key (null: it takes no part). */
  texts: string[]
  systems: (string | null)[]
  input: number[]
  output: number[]
  keys: (string | null)[]
  maxTokensJobs: number
}

const word = (n: number, one: string) => `${n.toLocaleString('en-US')} ${one}${n === 1 ? '' : 's'}`

/** The queue's shared settings an estimate needs: whether the cache is on by default, and the length of a rate window. */
async function sharedFacts(store: EstimateStore): Promise<{ cacheByDefault: boolean; windowMs: number }> {
  const shared = await store.sharedSettings()
  const cache = shared.get('cache.enabled')
  const window = shared.get('rateLimits.windowMs')
  return { cacheByDefault: typeof cache === 'boolean' ? cache : true, windowMs: typeof window === 'number' && window > 0 ? window : RATE_WINDOW_MS }
}

/** The text the provider counts as input: the prompt with its variables filled, and the system prompt. */
function sentText(prompt: string, config: Record<string, unknown>): { prompt: string; system: string | null } {
  const vars = typeof config.vars === 'object' && config.vars !== null ? (config.vars as Record<string, unknown>) : {}
  return { prompt: fillVariables(prompt, vars), system: typeof config.system === 'string' ? config.system : null }
}

export async function estimateJobs(jobs: readonly NewJob[], store: EstimateStore, prices: PriceBook, { lane, now }: EstimateOptions): Promise<Estimate> {
  const profiles = await profilesOf(store)
  const { cacheByDefault, windowMs } = await sharedFacts(store)
  const tallies = new Map<string, Tally>()
  // Resolved first, so each group (its tokenizer, its history) is known before its prompts are taken.
  const routed = await mapInSlices(jobs, (job) => {
    const resolved = resolveProvider({ provider: job.provider, model: job.model, config: job.config ?? {} }, profiles)
    return { job, resolved, group: `${job.provider}\u0000${resolved.provider}\u0000${resolved.model ?? ''}` }
  })
  for (const { job, resolved, group } of routed) {
    if (tallies.has(group)) continue
    const tally: Tally = {
      attempt: { provider: job.provider, kind: resolved.provider, model: resolved.model },
      profile: profiles.get(job.provider),
      counting: counterFor(resolved.provider, resolved.model),
      jobs: 0,
      texts: [],
      systems: [],
      input: [],
      output: [],
      keys: [],
      maxTokensJobs: 0,
    }
    tallies.set(group, tally)
  }
  const history = new Map<Tally, RecentOutput>()
  for (const tally of tallies.values()) history.set(tally, await store.costs.recentOutput(tally.attempt.provider, tally.attempt.model, now - HISTORY_MS))
  const expected = (tally: Tally) => {
    const seen = history.get(tally)!
    return seen.completed >= MIN_HISTORY ? Math.round(seen.outputTokens / seen.completed) : DEFAULT_OUTPUT_TOKENS
  }
  await mapInSlices(routed, ({ job, resolved, group }) => {
    const tally = tallies.get(group)!
    const { prompt, system } = sentText(job.prompt, resolved.config)
    const maxTokens = resolved.config.maxTokens
    tally.jobs++
    tally.texts.push(prompt)
    tally.systems.push(system)
    if (typeof maxTokens === 'number') tally.maxTokensJobs++
    tally.output.push(typeof maxTokens === 'number' ? maxTokens : expected(tally))
    tally.keys.push(cacheApplies(resolved.config, cacheByDefault) ? cacheKey(resolved, job.prompt) : null)
  })
  for (const tally of tallies.values()) tally.input = await inputTokens(tally)
  const allKeys = [...tallies.values()].flatMap((tally) => tally.keys.filter((key): key is string => key !== null))
  const kept = await keptOf(store, allKeys)
  const priced = [...tallies.values()].map((tally) => groupOf(tally, kept, history.get(tally)!, prices, windowMs))
  const budgets = crossings(await store.costs.budgets(now), priced, lane)
  return totals(
    priced.map(({ group }) => group),
    budgets,
    lane,
    allKeys.length < jobs.length,
  )
}

/**
 * The keys the cache holds. A file's keys go in one statement; a big file's in statements of
 * KEYS_A_LOOKUP with the event loop free between them (100,000 keys in one took ~400 ms).
 */
async function keptOf(store: EstimateStore, keys: readonly string[]): Promise<Set<string>> {
  const kept = new Set<string>()
  for (let at = 0; at < keys.length; at += KEYS_A_LOOKUP) {
    if (at > 0) await new Promise<void>((resolve) => setImmediate(resolve))
    for (const key of await store.cache.kept(keys.slice(at, at + KEYS_A_LOOKUP))) kept.add(key)
  }
  return kept
}

/** Each job's input: its prompt's tokens and its system prompt's (the jobs of a file share a few, each counted once). */
async function inputTokens({ counting, texts, systems }: Tally): Promise<number[]> {
  const prompts = await counting.countAll(texts)
  const distinct = [...new Set(systems.filter((system): system is string => system !== null))]
  const counted = await counting.countAll(distinct)
  const systemTokens = new Map(distinct.map((system, index) => [system, counted[index]!]))
  return prompts.map((count, index) => count + (systems[index] === null ? 0 : systemTokens.get(systems[index]!)!))
}

function outputWords(tally: Tally, seen: RecentOutput): { basis: OutputBasis; words: string } {
  const rest = tally.jobs - tally.maxTokensJobs
  const fromHistory = seen.completed >= MIN_HISTORY
  const restWords = fromHistory
    ? `the mean of ${word(seen.completed, 'completed attempt')} in the last 7 days`
    : `a default of ${DEFAULT_OUTPUT_TOKENS} a job (no history for this provider and model)`
  if (rest === 0) return { basis: 'maxTokens', words: 'each job’s maxTokens (a ceiling: answers are often shorter)' }
  if (tally.maxTokensJobs === 0) return { basis: fromHistory ? 'history' : 'default', words: restWords }
  return { basis: fromHistory ? 'history' : 'default', words: `maxTokens for ${word(tally.maxTokensJobs, 'job')}; for the rest, ${restWords}` }
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0)

function limitsOf(profile: ProviderProfile | undefined, calls: number, tokens: number, windowMs: number): { limitedMs: number | null; limitWords: string } {
  const limits = profile?.limits
  const perMinute = windowMs === RATE_WINDOW_MS ? 'a minute' : `per ${windowMs / 1000} s window`
  const said: string[] = []
  let windows = 0
  if (limits?.requestsPerMinute) {
    said.push(`${limits.requestsPerMinute.toLocaleString('en-US')} requests ${perMinute}`)
    windows = Math.max(windows, calls / limits.requestsPerMinute)
  }
  if (limits?.tokensPerMinute) {
    said.push(`${limits.tokensPerMinute.toLocaleString('en-US')} tokens ${perMinute}`)
    windows = Math.max(windows, tokens / limits.tokensPerMinute)
  }
  if (limits?.maxConcurrent) said.push(`${limits.maxConcurrent.toLocaleString('en-US')} at once`)
  if (said.length === 0) return { limitedMs: null, limitWords: 'no limit set' }
  // Only the per-minute limits bound the time; "at once" depends on how long each answer takes, which is not known yet.
  const bounded = Boolean(limits?.requestsPerMinute || limits?.tokensPerMinute)
  return { limitedMs: bounded ? Math.round(windows * windowMs) : null, limitWords: said.join(', ') }
}

/** A group as shown, and the tokens its jobs would spend at the provider (those the cache does not answer): what a token budget weighs. */
interface PricedGroup {
  group: EstimateGroup
  spentTokens: number
}

function groupOf(tally: Tally, kept: ReadonlySet<string>, seen: RecentOutput, prices: PriceBook, windowMs: number): PricedGroup {
  let cachedJobs = 0
  let input = 0
  let output = 0
  let cachedInput = 0
  let cachedOutput = 0
  tally.keys.forEach((key, index) => {
    if (key !== null && kept.has(key)) {
      cachedJobs++
      cachedInput += tally.input[index]!
      cachedOutput += tally.output[index]!
    } else {
      input += tally.input[index]!
      output += tally.output[index]!
    }
  })
  const batchOffered = BATCH_KINDS.includes(tally.attempt.kind as (typeof BATCH_KINDS)[number])
  const { basis, words } = outputWords(tally, seen)
  const group: EstimateGroup = {
    provider: tally.attempt.provider,
    kind: tally.attempt.kind,
    model: tally.attempt.model,
    jobs: tally.jobs,
    cachedJobs,
    inputTokens: sum(tally.input),
    inputCounting: tally.counting.counting,
    outputTokens: sum(tally.output),
    outputBasis: basis,
    outputWords: words,
    realtimeUsd: prices.cost(tally.attempt, { inputTokens: input, outputTokens: output }, { lane: 'realtime' }),
    batchUsd: batchOffered ? prices.cost(tally.attempt, { inputTokens: input, outputTokens: output }, { lane: 'batch' }) : null,
    cachedUsd: prices.cost(tally.attempt, { inputTokens: cachedInput, outputTokens: cachedOutput }, { lane: 'realtime' }),
    batchOffered,
    ...limitsOf(tally.profile, tally.jobs - cachedJobs, input + output, windowMs),
  }
  return { group, spentTokens: input + output }
}

/** A budget's share of the estimate: the groups it watches, in its unit, on the lane chosen. */
function amountFor(budget: Budget, groups: readonly PricedGroup[], lane: Lane): number {
  const watched = groups.filter(({ group }) =>
    budget.scope === 'provider' ? group.kind === budget.target : budget.scope === 'profile' ? group.provider === budget.target : true,
  )
  // Cached jobs call no provider: they spend neither tokens nor money.
  if (budget.unit === 'tokens') return sum(watched.map(({ spentTokens }) => spentTokens))
  return sum(watched.map(({ group }) => (lane === 'batch' && group.batchOffered ? group.batchUsd : group.realtimeUsd) ?? 0))
}

/**
 * The budgets this estimate would take past their limit, with what is left of each (its limit
 * less what was spent and what running attempts reserved). A batch budget watches a batch
 * that exists; these jobs would make a new one, so none applies.
 */
function crossings(budgets: readonly Budget[], groups: readonly PricedGroup[], lane: Lane): BudgetCrossing[] {
  return budgets.flatMap((budget) => {
    if (budget.scope === 'batch') return []
    const estimate = amountFor(budget, groups, lane)
    const left = Math.max(0, budget.limit - budget.spent - budget.reserved)
    if (estimate <= left) return []
    const amount = (value: number) => budgetAmount(budget.unit, value)
    return [
      {
        name: budgetName(budget),
        unit: budget.unit,
        limit: budget.limit,
        left,
        estimate,
        action: budget.action,
        message: `${budgetName(budget)} of ${amount(budget.limit)} has ${amount(left)} left; this estimate is ${amount(estimate)}`,
      },
    ]
  })
}

const sumOrNull = (values: readonly (number | null)[]) => (values.every((value) => value === null) ? null : sum(values.map((value) => value ?? 0)))

function totals(groups: readonly EstimateGroup[], budgets: BudgetCrossing[], lane: Lane, someUncached: boolean): Estimate {
  const notes: string[] = []
  const named = (group: EstimateGroup) => (group.model === null ? group.provider : `${group.provider}/${group.model}`)
  const estimated = groups.filter((group) => group.inputCounting.method === 'estimate')
  if (estimated.length > 0)
    notes.push(`input tokens of ${estimated.map(named).join(', ')} are estimated at about 4 characters a token: no local tokenizer fits`)
  const unpriced = groups.filter((group) => group.realtimeUsd === null)
  if (unpriced.length > 0) notes.push(`${unpriced.map(named).join(', ')} has no price: its cost is left out (genops costs price set)`)
  const noBatch = groups.filter((group) => !group.batchOffered)
  if (noBatch.length > 0)
    notes.push(`the batch lane is for openai and anthropic: ${[...new Set(noBatch.map((group) => group.kind))].join(', ')} has no batch API`)
  if (someUncached) notes.push('some jobs do not use the response cache (cache off for them): they are not looked up')
  const limited = groups.map((group) => group.limitedMs).filter((ms): ms is number => ms !== null)
  return {
    lane,
    jobs: sum(groups.map((group) => group.jobs)),
    cachedJobs: sum(groups.map((group) => group.cachedJobs)),
    inputTokens: sum(groups.map((group) => group.inputTokens)),
    outputTokens: sum(groups.map((group) => group.outputTokens)),
    realtimeUsd: sumOrNull(groups.map((group) => group.realtimeUsd)),
    batchUsd: noBatch.length > 0 ? null : sumOrNull(groups.map((group) => group.batchUsd)),
    cachedUsd: sumOrNull(groups.map((group) => group.cachedUsd)),
    batchOffered: noBatch.length === 0,
    limitedMs: limited.length === 0 ? null : Math.max(...limited),
    groups: [...groups],
    budgets,
    notes,
  }
}
