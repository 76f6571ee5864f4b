/**
 * The rules as Prometheus alerting rules over the exporter's metrics, for people who run
 * Prometheus: each signal written in PromQL so that it means what the engine computes
 * (src/main/alerts/signals.ts), and a rules file `promtool check rules` accepts.
 */
import { stringify } from 'yaml'
import { describeRule, type AlertRule, type AlertSignal } from '../../shared/alerts'
import { METRICS } from '../../shared/metrics'
import { genopsVersion } from '../telemetry/version'

const WAITING = `sum(${METRICS.queueJobs}{state=~"queued|held"})`

/** Each signal's value as one PromQL expression (`w` is the rule's window). */
const SIGNAL_PROMQL: Record<AlertSignal, (w: string) => string> = {
  failure_rate: (w) => `sum(increase(${METRICS.attempts}{result="error"}[${w}])) / sum(increase(${METRICS.attempts}[${w}]))`,
  jobs_waiting: () => WAITING,
  // 1 when jobs wait, none finished over the window and the queue is not paused; else 0.
  // Progress is a job completed or dead, as the rollups count it: cancelling jobs is not the queue moving.
  no_progress: (w) =>
    `(${WAITING} > bool 0) * on() ((sum(increase(${METRICS.jobsFinished}{outcome=~"completed|dead"}[${w}])) or on() vector(0)) == bool 0) * on() (max(${METRICS.queuePaused}) == bool 0)`,
  breakers_open: () => `count(${METRICS.breakerState} == 2) or on() vector(0)`,
  // Attempt time (claim to result) of completed attempts, as the rollups keep it: not enqueue to finish, which counts a backlog's wait.
  p95_job_seconds: (w) => `histogram_quantile(0.95, sum by (le) (rate(${METRICS.attemptDuration}_bucket[${w}])))`,
  budget_used_ratio: () => `max(${METRICS.budgetUsed})`,
  free_disk_bytes: () => `max(${METRICS.dataDirFree})`,
}

/** The rule's condition in PromQL: the signal compared with the threshold (and the failure rate's minimum of attempts). */
export function promqlOf(rule: AlertRule): string {
  const window = rule.window ?? ''
  const condition = `(${SIGNAL_PROMQL[rule.signal](window)}) ${rule.op} ${rule.threshold}`
  if (rule.minAttempts === undefined) return condition
  return `${condition} and on() sum(increase(${METRICS.attempts}[${window}])) >= ${rule.minAttempts}`
}

/** A Prometheus rules file (YAML) of the enabled rules, in one group. */
export function prometheusRules(rules: readonly AlertRule[]): string {
  const group = {
    name: 'genops',
    rules: rules
      .filter((rule) => rule.enabled)
      .map((rule) => ({
        alert: rule.name,
        expr: promqlOf(rule),
        ...(rule.for === '0s' ? {} : { for: rule.for }),
        labels: { ...rule.labels, severity: rule.severity },
        annotations: { summary: rule.summary, description: `GenOps rule: ${describeRule(rule)}` },
      })),
  }
  const header = `# GenOps ${genopsVersion()} alert rules, written by \`genops alerts export-rules\`.\n# Load with Prometheus's rule_files; the metrics come from the GenOps exporter (default 127.0.0.1:9464).\n`
  return header + stringify({ groups: [group] }, { lineWidth: 0 })
}
