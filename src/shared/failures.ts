/**
 * Dead letters, failure groups and regression cases as every face of GenOps sees them:
 * which dead jobs an operator means, the groups failures fall into, and the regression set
 * pinned from them. Pure TypeScript and zod.
 */
import { z } from 'zod'
import { ERROR_CATEGORIES, ERROR_SEVERITIES, type ErrorCategory } from './errors'
import { JobSpec, JobState, JobSummary } from './jobs'

/** A group seen this many times is flagged: no longer a one-off, and it may be pinned as a regression case. */
export const FLAG_AT = 3
/** Sample jobs a group keeps: the most recent distinct ones. */
export const GROUP_SAMPLES = 5

const Id = z.number().int().positive()
const Count = z.number().int().min(0)

export const ErrorCategoryName = z.enum(Object.keys(ERROR_CATEGORIES) as [ErrorCategory, ...ErrorCategory[]])

export const Fingerprint = z
  .string()
  .trim()
  .regex(/^[0-9a-f]{16}$/, 'a fingerprint is 16 hexadecimal digits, as the list of failure groups shows it')

const waysGiven = (s: DeadFilter & { id?: number; ids?: number[]; all?: true }): number => {
  const filtered = s.category !== undefined || s.provider !== undefined || s.batchId !== undefined
  return [s.id !== undefined, s.ids !== undefined, s.all === true, filtered].filter(Boolean).length
}

/** Dead jobs by what they have in common; each field narrows, none means every dead job. */
export const DeadFilter = z.object({
  category: ErrorCategoryName.optional(),
  provider: z.string().trim().min(1).max(100).optional(),
  batchId: Id.optional(),
})
export type DeadFilter = z.infer<typeof DeadFilter>

/** Which dead jobs a retry or purge is for: one, some by id, all, or those a filter matches; exactly one of these. */
export const DeadSelection = DeadFilter.extend({
  id: Id.optional(),
  ids: z.array(Id).min(1).max(10_000).optional(),
  all: z.literal(true).optional(),
})
  .strict()
  .refine((s) => waysGiven(s) === 1, {
    error: 'say which dead jobs: an id, ids, all: true, or a filter (category, provider, batchId), exactly one of these',
  })
export type DeadSelection = z.infer<typeof DeadSelection>

/** A dead job as the dead-letter queue lists it: the summary with the category it died of. */
export const DeadJob = JobSummary.extend({
  errorCategory: z.string().nullable(),
  /** The severity its last attempt's category declared (src/shared/errors.ts); null when not kept (a job that died before 0013). */
  severity: z.enum(ERROR_SEVERITIES).nullable(),
  /** The model its last attempt ran: the job's, or its profile's default when the job named none. */
  ranModel: z.string().nullable(),
})
export type DeadJob = z.infer<typeof DeadJob>

export const DeadStats = z.object({
  total: Count,
  /** Most first; a null category is a job that died before categories were kept. */
  byCategory: z.array(z.object({ category: z.string().nullable(), count: Count })),
  byProvider: z.array(z.object({ provider: z.string(), count: Count })),
})
export type DeadStats = z.infer<typeof DeadStats>

export const FailureGroup = z.object({
  fingerprint: z.string(),
  category: z.string(),
  /** The masked message: `request <n> to <str> failed after <n> ms`. */
  pattern: z.string(),
  count: Count,
  firstSeen: z.number(),
  lastSeen: z.number(),
  sampleJobIds: z.array(z.number().int()),
  /** Seen FLAG_AT times or more. */
  flagged: z.boolean(),
  pinnedAt: z.number().nullable(),
  /** Regression cases pinned from it. */
  cases: Count,
})
export type FailureGroup = z.infer<typeof FailureGroup>

/** How a case's latest run went: still running, passed (completed), failed (dead or cancelled), or its job was removed since. */
export const REGRESSION_OUTCOMES = ['running', 'passed', 'failed', 'removed'] as const
export const RegressionOutcome = z.enum(REGRESSION_OUTCOMES)
export type RegressionOutcome = z.infer<typeof RegressionOutcome>

export const RegressionCase = z.object({
  id: z.number().int(),
  fingerprint: z.string(),
  /** From the group, null when the group is gone. */
  category: z.string().nullable(),
  pattern: z.string().nullable(),
  /** Null when the stored spec no longer parses; `problem` says why. */
  spec: JobSpec.nullable(),
  problem: z.string().nullable(),
  sourceJobId: z.number().int().nullable(),
  createdAt: z.number(),
  lastRun: z
    .object({
      jobId: z.number().int(),
      at: z.number(),
      outcome: RegressionOutcome,
      state: JobState.nullable(),
      errorCategory: z.string().nullable(),
      error: z.string().nullable(),
    })
    .nullable(),
})
export type RegressionCase = z.infer<typeof RegressionCase>

export const RegressionRun = z.object({
  batchId: z.number().int(),
  /** The job each case was enqueued as. */
  runs: z.array(z.object({ caseId: z.number().int(), jobId: z.number().int() })),
  /** Cases whose stored spec no longer parses: not enqueued. */
  skipped: z.array(z.object({ caseId: z.number().int(), problem: z.string() })),
})
export type RegressionRun = z.infer<typeof RegressionRun>
