/**
 * What costs, budgets and the dashboard's series show and take: prices, cost reports,
 * budgets, paused batches and figures over time. Pure TypeScript and zod, shared by the
 * engine, the CLI and the screens.
 */
import { z } from 'zod'

const DAY_MS = 86_400_000

/** USD per million tokens: a price above this is a typo (per token instead of per million, say). */
const MAX_PRICE = 10_000

const perMillion = z.number().min(0).max(MAX_PRICE)

/** The batch API's prices (OpenAI Batch, Anthropic Message Batches), where the list gives them. */
export const BatchPrices = z
  .object({
    inputPerMillion: perMillion,
    outputPerMillion: perMillion,
    cachedInputPerMillion: perMillion.optional(),
    cacheWritePerMillion: perMillion.optional(),
  })
  .strict()
export type BatchPrices = z.infer<typeof BatchPrices>

/** A price as the list (resources/pricing.json) or an operator's override gives it. */
export const Price = z.object({
  /** A provider kind (openai, anthropic...) or a profile's name: a profile's price wins over its kind's. */
  provider: z.string().trim().min(1).max(100),
  /** A model name, or `*` for every model of the provider that has no price of its own. */
  model: z.string().trim().min(1).max(500),
  inputPerMillion: z.number().min(0).max(MAX_PRICE),
  outputPerMillion: z.number().min(0).max(MAX_PRICE),
  /** Input read from the provider's prompt cache (OpenAI cached input, Anthropic cache read); absent: priced as plain input. */
  cachedInputPerMillion: perMillion.optional(),
  /** Input written to the provider's prompt cache (Anthropic, 5-minute cache); absent: priced as plain input. */
  cacheWritePerMillion: perMillion.optional(),
  /** Absent: half of each class for openai and anthropic (both publish batch at 50 % of standard); see src/main/costs/pricing.ts. */
  batch: BatchPrices.optional(),
  /** The day the price was taken (YYYY-MM-DD): list prices change, and old ones should be seen as old. */
  asOf: z.string().regex(/^\d{4}-\d\d-\d\d$/, 'asOf is a date like 2025-08-07'),
  source: z.enum(['list', 'override']),
})
export type Price = z.infer<typeof Price>

export const COST_REPORT_BY = ['provider', 'model', 'day', 'batch', 'tag'] as const
export const CostReportBy = z.enum(COST_REPORT_BY)
export type CostReportBy = z.infer<typeof CostReportBy>

/** Usage and cost of one group of attempts. */
export const CostTotals = z.object({
  attempts: z.number().int(),
  /** Plain input: neither read from nor written to a prompt cache (shared/tokens.ts). */
  inputTokens: z.number().int(),
  cachedInputTokens: z.number().int(),
  cacheWriteTokens: z.number().int(),
  outputTokens: z.number().int(),
  /** USD of the priced attempts; null when none of the group's usage has a price. */
  costUsd: z.number().nullable(),
  /** Attempts that used tokens of a model with no price: their tokens count, their cost is left out. */
  unpricedAttempts: z.number().int(),
})
export type CostTotals = z.infer<typeof CostTotals>

/** A report's token columns in CSV: input and output where they always were, the prompt cache's classes after them. */
export const COST_TOKEN_COLUMNS = ['input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens'] as const

/** The values of COST_TOKEN_COLUMNS, in order. */
export const costTokenValues = (totals: CostTotals): number[] => [totals.inputTokens, totals.outputTokens, totals.cachedInputTokens, totals.cacheWriteTokens]

export const CostRow = CostTotals.extend({
  /** The provider (as jobs name it), `kind/model`, the UTC day, the batch id or the tag. */
  key: z.string(),
  /** More about the key: a provider's kind, a batch's name. */
  label: z.string().nullable(),
})
export type CostRow = z.infer<typeof CostRow>

export const CostReport = z.object({
  by: CostReportBy,
  since: z.number(),
  until: z.number(),
  rows: z.array(CostRow),
  total: CostTotals,
  /** What a reader must know to read the figures right: unpriced models, what a source leaves out. */
  notes: z.array(z.string()),
})
export type CostReport = z.infer<typeof CostReport>

/** day: everything, per UTC day; batch: one batch, its whole run; provider (a kind) and profile: per UTC day. */
export const BUDGET_SCOPES = ['day', 'batch', 'provider', 'profile'] as const
export const BUDGET_ACTIONS = ['alert', 'pause'] as const
/** USD at the configured prices, or tokens (input plus output), which caps local models too. */
export const BUDGET_UNITS = ['usd', 'tokens'] as const
export type BudgetUnit = (typeof BUDGET_UNITS)[number]

export const Budget = z.object({
  scope: z.enum(BUDGET_SCOPES),
  /** The batch a batch budget watches; null otherwise. */
  batchId: z.number().int().positive().nullable(),
  /** The provider kind (scope provider) or profile name (scope profile) it watches; null otherwise. */
  target: z.string().nullable(),
  unit: z.enum(BUDGET_UNITS),
  limit: z.number().positive(),
  /** alert: notices at 50, 80 and 100 %; pause: the same, and no attempt starts that could take it past its limit. */
  action: z.enum(BUDGET_ACTIONS),
  /** When it was reached in its current period (spent at its limit, or jobs held so it is not crossed); null while not. */
  crossedAt: z.number().nullable(),
  /** Spent so far in its unit: today (UTC) for a day, provider or profile budget, the batch's total for a batch budget. */
  spent: z.number(),
  /** Reserved by attempts running now: their estimated cost, replaced by the real one when they end. */
  reserved: z.number(),
})
export type Budget = z.infer<typeof Budget>

export const BatchPause = z.object({ batchId: z.number().int(), reason: z.string(), pausedAt: z.number() })
export type BatchPause = z.infer<typeof BatchPause>

// What the operations take.

export const PriceSetting = Price.pick({ provider: true, model: true, inputPerMillion: true, outputPerMillion: true }).strict()
export const PriceKey = Price.pick({ provider: true, model: true }).strict()

export const CostReportInput = z
  .object({
    by: CostReportBy.default('provider'),
    /** Epoch ms; default a week before `until`. */
    since: z.number().int().min(0).optional(),
    /** Epoch ms; default now. */
    until: z.number().int().min(0).optional(),
  })
  .strict()

const budgetScope = <T extends { scope: string; batchId?: number | undefined; target?: string | undefined }>(budget: T, ctx: z.RefinementCtx) => {
  if (budget.scope === 'batch' && budget.batchId === undefined) ctx.addIssue({ code: 'custom', path: ['batchId'], message: 'a batch budget names its batch' })
  if (budget.scope !== 'batch' && budget.batchId !== undefined) ctx.addIssue({ code: 'custom', path: ['batchId'], message: `a ${budget.scope} budget takes no batch` })
  const targeted = budget.scope === 'provider' || budget.scope === 'profile'
  if (targeted && budget.target === undefined) ctx.addIssue({ code: 'custom', path: ['target'], message: `a ${budget.scope} budget names its ${budget.scope}` })
  if (!targeted && budget.target !== undefined) ctx.addIssue({ code: 'custom', path: ['target'], message: `a ${budget.scope} budget names no provider or profile` })
}

const budgetKey = {
  scope: z.enum(BUDGET_SCOPES),
  batchId: z.number().int().positive().optional(),
  target: z.string().trim().min(1).max(200).optional(),
  unit: z.enum(BUDGET_UNITS).default('usd'),
}

export const BudgetTarget = z.object(budgetKey).strict().superRefine(budgetScope)

export const BudgetInput = z
  .object({
    ...budgetKey,
    limit: z.number().positive('limit must be above 0').max(1e12, 'limit must be at most 1e12'),
    action: z.enum(BUDGET_ACTIONS).default('alert'),
  })
  .strict()
  .superRefine(budgetScope)
  .superRefine((budget, ctx) => {
    if (budget.unit === 'usd' && budget.limit > 10_000_000) ctx.addIssue({ code: 'custom', path: ['limit'], message: 'a USD budget is at most 10,000,000' })
    if (budget.unit === 'tokens' && !Number.isInteger(budget.limit)) ctx.addIssue({ code: 'custom', path: ['limit'], message: 'a token budget is a whole number' })
  })

export const BatchPauseInput = z.object({ batchId: z.number().int().positive(), reason: z.string().trim().min(1).max(500).optional() }).strict()

/** Resolutions of the dashboard's series and how far back each is kept. */
export const RESOLUTIONS = ['1s', '1m', '1h', '1d'] as const
export const Resolution = z.enum(RESOLUTIONS)
export type Resolution = z.infer<typeof Resolution>
export const RESOLUTION_MS: Record<Resolution, number> = { '1s': 1000, '1m': 60_000, '1h': 3_600_000, '1d': DAY_MS }
/** Rollups older than this are pruned; days are kept for good. */
export const RESOLUTION_KEPT_MS: Record<Resolution, number> = { '1s': 3_600_000, '1m': 7 * DAY_MS, '1h': 90 * DAY_MS, '1d': Infinity }
/** The window a series shows when the caller names no `since`. */
export const RESOLUTION_DEFAULT_WINDOW_MS: Record<Resolution, number> = { '1s': 300_000, '1m': 6 * 3_600_000, '1h': 7 * DAY_MS, '1d': 90 * DAY_MS }
/** Most points one series answers, so a mistaken range cannot ask for millions. */
export const MAX_SERIES_POINTS = 10_000

export const SERIES_METRICS = ['throughput', 'depth', 'latency', 'tokens', 'cost'] as const
export const SeriesMetric = z.enum(SERIES_METRICS)
export type SeriesMetric = z.infer<typeof SeriesMetric>

/** The values of each metric's points, and their unit, for a chart's legend. */
export const SERIES_FIELDS: Record<SeriesMetric, { fields: readonly string[]; unit: string }> = {
  throughput: {
    fields: ['completedPerSecond', 'failedPerSecond', 'deadPerSecond'],
    unit: 'attempts per second (failed: every failed attempt; dead: those of them that failed for good)',
  },
  depth: { fields: ['queued', 'delayed', 'active', 'completed', 'dead', 'cancelled', 'submitted'], unit: 'jobs (mean of the samples in the bucket)' },
  latency: { fields: ['p50Ms', 'p95Ms', 'p99Ms', 'completed'], unit: 'milliseconds per completed attempt (null when none completed)' },
  tokens: {
    fields: ['inputPerSecond', 'outputPerSecond', 'cachedInputPerSecond', 'cacheWritePerSecond'],
    unit: 'tokens per second (input: plain input; cached input and cache write: input read from and written to the prompt cache)',
  },
  cost: { fields: ['usdPerHour', 'usd', 'unpricedAttempts'], unit: 'USD per hour, and USD in the bucket' },
}

export const SeriesPoint = z.object({ t: z.number() }).catchall(z.number().nullable())
export type SeriesPoint = z.infer<typeof SeriesPoint>

export const Series = z.object({
  metric: SeriesMetric,
  resolution: Resolution,
  /** The range answered: `since` may be later than asked when the resolution is not kept that far back. */
  since: z.number(),
  until: z.number(),
  unit: z.string(),
  /** One point per bucket, oldest first; `t` is the bucket's start. */
  points: z.array(SeriesPoint),
})
export type Series = z.infer<typeof Series>

export const SeriesQuery = z
  .object({
    metric: SeriesMetric,
    resolution: Resolution,
    since: z.number().int().min(0).optional(),
    until: z.number().int().min(0).optional(),
    /** Only attempts of this provider (as jobs name it) or this model; depth is queue-wide and takes neither. */
    provider: z.string().min(1).max(100).optional(),
    model: z.string().min(1).max(500).optional(),
  })
  .strict()
export type SeriesQuery = z.infer<typeof SeriesQuery>

/** `$1.23`, with more digits for small amounts so a cent's fraction still shows. */
/** A budget's amount in its unit, in words: "$0.30", "12,000 tokens". */
export function budgetAmount(unit: BudgetUnit, amount: number): string {
  return unit === 'usd' ? usd(amount) : `${Math.round(amount).toLocaleString('en-US')} tokens`
}

/** What a budget watches, in words: "the day budget", "batch 3's budget", "profile work's day budget". */
export function budgetName(budget: Pick<Budget, 'scope' | 'batchId' | 'target' | 'unit'>): string {
  const unit = budget.unit === 'tokens' ? ' token' : ''
  if (budget.scope === 'day') return `the day${unit} budget`
  if (budget.scope === 'batch') return `batch ${budget.batchId}'s${unit} budget`
  return `${budget.scope} ${budget.target}'s day${unit} budget`
}

export function usd(amount: number | null): string {
  if (amount === null) return 'no price'
  if (amount !== 0 && Math.abs(amount) < 0.01) return `$${amount.toPrecision(2)}`
  return `$${amount.toFixed(2)}`
}
