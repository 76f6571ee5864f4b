/**
 * Alert rules and their states, in the Prometheus manner: a signal over the engine's own
 * telemetry, compared with a threshold, true for a `for` duration before it fires. Pure
 * TypeScript and zod, shared by the engine, the CLI and the screens.
 */
import { z } from 'zod'
import { parseDuration } from './duration'

/**
 * What a rule watches. Each is computed by the engine from its own figures
 * (src/main/alerts/signals.ts) and written as PromQL over the same metrics for people
 * who run Prometheus (src/main/alerts/promql.ts).
 */
export const ALERT_SIGNALS = {
  /** Failed attempts / attempts over `window`; not evaluated below `minAttempts` attempts. */
  failure_rate: 'share of attempts that failed',
  /** Jobs queued and due, waiting for a worker (held jobs count: they wait too). */
  jobs_waiting: 'jobs waiting',
  /** Jobs waiting, none finished over `window`, the queue not paused: 1, else 0. */
  no_progress: 'jobs waiting and none finished',
  /** Breakers open now. */
  breakers_open: 'breakers open',
  /**
   * The 95th percentile of completed attempts' duration (claim to result: the wait in the
   * queue left out) over `window`, in seconds. Prometheus: genops_attempt_duration_seconds.
   */
  p95_job_seconds: 'p95 attempt time (s)',
  /** The most spent of any budget, as a share of its limit (1 = crossed). */
  budget_used_ratio: 'budget used',
  /** Free disk for the data directory, in bytes. */
  free_disk_bytes: 'free disk (bytes)',
} as const
export type AlertSignal = keyof typeof ALERT_SIGNALS
export const AlertSignal = z.enum(Object.keys(ALERT_SIGNALS) as [AlertSignal, ...AlertSignal[]])

/** Signals measured over a window of time. */
export const WINDOWED_SIGNALS: ReadonlySet<AlertSignal> = new Set(['failure_rate', 'no_progress', 'p95_job_seconds'])

/** `30s`, `5m`, `1h`: how rules name durations, as Prometheus does. */
export const Duration = z
  .string()
  .trim()
  .refine((text) => {
    try {
      return parseDuration(text) >= 1000 && /^\d+(s|m|h|d)$/.test(text)
    } catch {
      return false
    }
  }, 'must be a whole number of seconds, minutes, hours or days, like 30s, 5m or 1h')
export type Duration = z.infer<typeof Duration>

export const ALERT_SEVERITIES = ['warning', 'critical'] as const
export const AlertSeverity = z.enum(ALERT_SEVERITIES)
export type AlertSeverity = z.infer<typeof AlertSeverity>

export const ALERT_OPS = ['>', '>=', '<', '<='] as const
export const AlertOp = z.enum(ALERT_OPS)
export type AlertOp = z.infer<typeof AlertOp>

/** Whether `value op threshold` holds. */
export function holds(op: AlertOp, value: number, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold
    case '>=':
      return value >= threshold
    case '<':
      return value < threshold
    case '<=':
      return value <= threshold
  }
}

/** Prometheus alert and label names: what export-rules writes must load in Prometheus. */
const PROMETHEUS_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export const AlertRule = z
  .object({
    /** The alertname, as in Prometheus: `GenOpsFailureRateHigh`. */
    name: z.string().min(1).max(100).regex(PROMETHEUS_NAME, 'name must be letters, digits and _, not starting with a digit'),
    signal: AlertSignal,
    op: AlertOp,
    threshold: z.number().finite(),
    /** For windowed signals: over how long. */
    window: Duration.optional(),
    /** failure_rate only: fewer attempts than this in the window is no evidence either way. */
    minAttempts: z.number().int().min(1).max(1_000_000).optional(),
    /** How long the condition must hold before the alert fires; `0s` fires at once. */
    for: z.union([z.literal('0s'), Duration]).default('0s'),
    severity: AlertSeverity,
    labels: z.record(z.string().regex(PROMETHEUS_NAME, 'label names must be letters, digits and _'), z.string().max(200)).default({}),
    /** One line for a person: what is wrong. */
    summary: z.string().trim().min(1).max(300),
    enabled: z.boolean().default(true),
  })
  .strict()
  .superRefine((rule, context) => {
    const windowed = WINDOWED_SIGNALS.has(rule.signal)
    if (windowed && !rule.window) context.addIssue({ code: 'custom', path: ['window'], message: `${rule.signal} needs a window, like 5m` })
    if (!windowed && rule.window) context.addIssue({ code: 'custom', path: ['window'], message: `${rule.signal} is measured now: it takes no window` })
    if (rule.minAttempts !== undefined && rule.signal !== 'failure_rate')
      context.addIssue({ code: 'custom', path: ['minAttempts'], message: 'minAttempts applies to failure_rate only' })
  })
export type AlertRule = z.output<typeof AlertRule>
export type AlertRuleInput = z.input<typeof AlertRule>

/** Where a rule stands now. `inactive`: its condition is false (or it is disabled). */
export const ALERT_STATES = ['inactive', 'pending', 'firing'] as const
export const AlertState = z.enum(ALERT_STATES)
export type AlertState = z.infer<typeof AlertState>

export const AlertStatus = z.object({
  rule: AlertRule,
  /** A shipped default (resources/alerts.json) rather than one the operator added. */
  builtin: z.boolean(),
  state: AlertState,
  /** Since when it has been pending or firing; null when inactive. */
  since: z.number().nullable(),
  /** The signal's last value; null before the first evaluation or when there was no evidence. */
  value: z.number().nullable(),
  evaluatedAt: z.number().nullable(),
})
export type AlertStatus = z.infer<typeof AlertStatus>

/**
 * A transition, as kept in the history. The history keeps what fired: `firing`, and the
 * `resolved` that ends it. A pending spell is a state, not history: it reaches the event
 * feed (the screens and the tray show it) and leaves no row.
 */
export const ALERT_TRANSITIONS = ['pending', 'firing', 'resolved'] as const
export const AlertTransitionKind = z.enum(ALERT_TRANSITIONS)

export const AlertTransition = z.object({
  id: z.number().int(),
  name: z.string(),
  severity: AlertSeverity,
  to: AlertTransitionKind,
  /** What it was before: a resolved alert that had never fired sent no notification. */
  from: AlertState,
  at: z.number(),
  value: z.number().nullable(),
  summary: z.string(),
})
export type AlertTransition = z.infer<typeof AlertTransition>

/** Transitions people are told about and the history keeps: firing, and resolved after firing. A pending spell is neither. */
export const notifies = (transition: Pick<AlertTransition, 'from' | 'to'>): boolean =>
  transition.to === 'firing' || (transition.to === 'resolved' && transition.from === 'firing')

/** A transition as the event feed tells it: `id` is its history row, null for a pending spell's (not kept). */
export const AlertEvent = AlertTransition.extend({ id: z.number().int().nullable() })
export type AlertEvent = z.infer<typeof AlertEvent>

/** Words for a signal's value: `12.5%`, `1,204 jobs`, `3.2 GiB`. */
export function formatSignalValue(signal: AlertSignal, value: number | null): string {
  if (value === null) return 'no data'
  switch (signal) {
    case 'failure_rate':
    case 'budget_used_ratio':
      return `${(value * 100).toFixed(1)}%`
    case 'p95_job_seconds':
      return `${value.toFixed(1)} s`
    case 'free_disk_bytes':
      return `${(value / 2 ** 30).toFixed(1)} GiB`
    case 'no_progress':
      return value > 0 ? 'stuck' : 'moving'
    default:
      return value.toLocaleString('en')
  }
}

/** The rule as an operator reads it: `failure_rate[5m] > 0.1 (at least 20 attempts) for 5m`. */
export function describeRule(rule: AlertRule): string {
  const window = rule.window ? `[${rule.window}]` : ''
  const minimum = rule.minAttempts ? ` (at least ${rule.minAttempts} attempts)` : ''
  const hold = rule.for === '0s' ? '' : ` for ${rule.for}`
  return `${rule.signal}${window} ${rule.op} ${rule.threshold}${minimum}${hold}`
}
