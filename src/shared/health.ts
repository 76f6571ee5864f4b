/**
 * The health report: what `/health`, the `healthReport` operation and `genops health`
 * answer. Each check says pass, warn or fail; the overall status follows from which
 * checks are critical (see src/main/health/registry).
 */
import { z } from 'zod'

export const CHECK_STATUSES = ['pass', 'warn', 'fail'] as const
export const CheckStatus = z.enum(CHECK_STATUSES)
export type CheckStatus = z.infer<typeof CheckStatus>

export const HEALTH_STATUSES = ['healthy', 'degraded', 'unhealthy'] as const
export const HealthStatus = z.enum(HEALTH_STATUSES)
export type HealthStatus = z.infer<typeof HealthStatus>

export const CheckResult = z.object({ status: CheckStatus, detail: z.string() })
export type CheckResult = z.infer<typeof CheckResult>

export const CheckReport = CheckResult.extend({
  name: z.string(),
  /** A critical check that fails makes the whole report unhealthy; any other problem only degrades it. */
  critical: z.boolean(),
  durationMs: z.number().min(0),
})
export type CheckReport = z.infer<typeof CheckReport>

export const HealthReport = z.object({
  status: HealthStatus,
  /** When the checks started, in ms since the epoch. */
  checkedAt: z.number().int(),
  checks: z.array(CheckReport),
})
export type HealthReport = z.infer<typeof HealthReport>
