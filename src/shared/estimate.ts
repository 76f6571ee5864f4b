/**
 * An estimate before launch: what a set of jobs about to be enqueued would use and cost, and
 * how long its profile's limits make it take, told before anything is written (the drop
 * dialog, `genops enqueue --estimate`). Pure TypeScript and zod; src/main/costs/estimate.ts
 * makes it.
 */
import { z } from 'zod'
import { IntakeDefaults, IntakeId } from './intake'
import { LANES } from './job-config'

/** The lane an estimate is weighed for (job-config's `lane`): real-time, or the provider's batch API at its batch price. */
export const LaneChoice = z.enum(LANES)

/** How a group's input tokens were counted: by the model's own tokenizer, or estimated (and said so). */
export const InputCounting = z.discriminatedUnion('method', [
  z.object({ method: z.literal('tokenizer'), encoding: z.string() }),
  z.object({ method: z.literal('estimate'), basis: z.string() }),
])
export type InputCounting = z.infer<typeof InputCounting>

/** Where the expected output tokens come from. */
export const OutputBasis = z.enum(['maxTokens', 'history', 'default'])
export type OutputBasis = z.infer<typeof OutputBasis>

const usdOrNull = z.number().nullable()

/** The jobs of one provider (or profile) and model. */
export const EstimateGroup = z.object({
  /** The provider or profile the jobs name, the kind it resolves to, and the model (null: the provider's default). */
  provider: z.string(),
  kind: z.string(),
  model: z.string().nullable(),
  jobs: z.number().int(),
  /** Jobs whose answer the response cache holds now: they would cost nothing and call no provider. */
  cachedJobs: z.number().int(),
  inputTokens: z.number().int(),
  inputCounting: InputCounting,
  outputTokens: z.number().int(),
  outputBasis: OutputBasis,
  /** The basis in words: "maxTokens 300", "the mean of 42 completed attempts in the last 7 days", "a default of 512". */
  outputWords: z.string(),
  /** USD of the jobs not answered from the cache, at the real-time and the batch price; null when the model has no price. */
  realtimeUsd: usdOrNull,
  batchUsd: usdOrNull,
  /** What the cached jobs would have cost at the real-time price. */
  cachedUsd: usdOrNull,
  /** The provider has a batch API. */
  batchOffered: z.boolean(),
  /** The shortest time the profile's limits allow for the jobs that call the provider, in ms; null when no limit is set. */
  limitedMs: z.number().nullable(),
  /** The limits in words: "60 requests a minute, 40,000 tokens a minute, 4 at once", or "no limit set". */
  limitWords: z.string(),
})
export type EstimateGroup = z.infer<typeof EstimateGroup>

/** A budget the estimate would take past its limit, named with what is left of it. */
export const BudgetCrossing = z.object({
  name: z.string(),
  unit: z.enum(['usd', 'tokens']),
  limit: z.number(),
  left: z.number(),
  estimate: z.number(),
  action: z.enum(['alert', 'pause']),
  /** "the day budget of $5.00 has $1.20 left; this estimate is $3.40" */
  message: z.string(),
})
export type BudgetCrossing = z.infer<typeof BudgetCrossing>

export const Estimate = z.object({
  /** The lane the totals and budgets were weighed for. */
  lane: LaneChoice,
  jobs: z.number().int(),
  cachedJobs: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  realtimeUsd: usdOrNull,
  batchUsd: usdOrNull,
  cachedUsd: usdOrNull,
  /** The batch lane is possible for every group. */
  batchOffered: z.boolean(),
  /** The longest group's limitedMs (groups run side by side); null when no group has a limit. */
  limitedMs: z.number().nullable(),
  groups: z.array(EstimateGroup),
  budgets: z.array(BudgetCrossing),
  /** What a reader must know: input estimated without a tokenizer, a model without a price, the cache left off. */
  notes: z.array(z.string()),
})
export type Estimate = z.infer<typeof Estimate>

/** The drop dialog's choices an estimate is made for: as the commit would take them. */
export const EstimateIntakeInput = z
  .object({
    intakeId: IntakeId,
    defaults: IntakeDefaults.default({}),
    /** Every job's lane, as the commit would lay it over each job's own; none leaves each job's own (weighed as real-time). */
    lane: LaneChoice.optional(),
    /** False: no job reuses a cached answer (the dialog's "don't use cached answers"). */
    cache: z.boolean().default(true),
  })
  .strict()
