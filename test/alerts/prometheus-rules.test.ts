/**
 * The exported rules in the real Prometheus tooling: `promtool check rules` accepts the
 * file, and `promtool test rules` shows the PromQL means what the engine computes, by
 * feeding series like the exporter's and asserting when each alert fires.
 */
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { describe, expect, it } from 'vitest'
import { prometheusRules, promqlOf } from '../../src/main/alerts/promql'
import { loadDefaultRules } from '../../src/main/alerts/rules'
import { ATTEMPT_SECONDS } from '../../src/main/telemetry/metrics'
import { describeRule, type AlertRule } from '../../src/shared/alerts'
import { genops } from '../support/cli'
import { tempDir } from '../support/temp'

const PROMTOOL = spawnSync('promtool', ['--version']).status === 0
// CI installs promtool: there a missing one fails these tests instead of skipping them.
const RUN = PROMTOOL || process.env.CI === 'true'
const defaults = loadDefaultRules()
const named = (name: string) => defaults.find((rule) => rule.name === name)!

function promtool(args: string[], cwd: string) {
  const result = spawnSync('promtool', args, { cwd, encoding: 'utf8' })
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

/** An alert as promtool expects to see it: the rule's labels and annotations, as the export writes them. */
const expected = (rule: AlertRule) => ({
  exp_labels: { ...rule.labels, severity: rule.severity },
  exp_annotations: { summary: rule.summary, description: `GenOps rule: ${describeRule(rule)}` },
})

interface AlertCase {
  eval_time: string
  alertname: string
  exp_alerts: ReturnType<typeof expected>[]
}
interface RuleTest {
  interval: string
  input_series: { series: string; values: string }[]
  alert_rule_test: AlertCase[]
}

const fires = (eval_time: string, alertname: string): AlertCase => ({ eval_time, alertname, exp_alerts: [expected(named(alertname))] })
const quiet = (eval_time: string, alertname: string): AlertCase => ({ eval_time, alertname, exp_alerts: [] })

const attempts = (result: string, category: string, values: string) => ({
  series: `genops_attempts_total{provider="sim",model="",result="${result}",category="${category}"}`,
  values,
})

/**
 * genops_attempt_duration_seconds as the exporter writes it, with the engine's buckets:
 * `perMinute` completed attempts a minute, each taking `seconds`.
 */
function attemptDurations(seconds: number, perMinute: number, minutes: number) {
  const bounds = [...ATTEMPT_SECONDS.map(String), '+Inf']
  return bounds.map((le) => ({
    series: `genops_attempt_duration_seconds_bucket{provider="sim",model="",le="${le}"}`,
    values: le === '+Inf' || Number(le) >= seconds ? `0+${perMinute}x${minutes}` : `0x${minutes}`,
  }))
}

/** promtool's unit tests: each default rule fires where the engine's signal holds, and stays quiet where it does not. */
const RULE_TESTS: RuleTest[] = [
  {
    // 10 attempts a minute succeed throughout; from minute 6, 5 a minute fail as well (a third).
    interval: '1m',
    input_series: [attempts('ok', 'none', '0+10x30'), attempts('error', 'TIMEOUT', '0x5 5+5x24')],
    alert_rule_test: [
      quiet('5m', 'GenOpsFailureRateHigh'),
      // Pending at first: the rule wants a minute of it.
      quiet('7m', 'GenOpsFailureRateHigh'),
      fires('15m', 'GenOpsFailureRateHigh'),
      fires('15m', 'GenOpsFailureRateCritical'),
    ],
  },
  {
    // 15% failing: above the warning's 10%, under the critical 25%.
    interval: '1m',
    input_series: [attempts('ok', 'none', '0+17x30'), attempts('error', 'RATE_LIMIT', '0+3x30')],
    alert_rule_test: [fires('15m', 'GenOpsFailureRateHigh'), quiet('15m', 'GenOpsFailureRateCritical')],
  },
  {
    // Too few attempts to judge: 2 a minute, all failing.
    interval: '1m',
    input_series: [attempts('error', 'TIMEOUT', '0+2x30')],
    alert_rule_test: [quiet('20m', 'GenOpsFailureRateHigh'), quiet('20m', 'GenOpsFailureRateCritical')],
  },
  {
    // Five jobs wait and nothing ever finishes (no finished series at all): stuck, unless paused.
    interval: '1m',
    input_series: [
      { series: 'genops_queue_jobs{state="queued"}', values: '5x30' },
      { series: 'genops_queue_jobs{state="held"}', values: '0x30' },
      { series: 'genops_queue_paused', values: '0x15 1x15' },
      { series: 'genops_breaker_state{breaker="sim"}', values: '0x3 2x10 0x10' },
    ],
    alert_rule_test: [
      fires('10m', 'GenOpsNoProgress'),
      quiet('25m', 'GenOpsNoProgress'),
      fires('8m', 'GenOpsBreakerOpen'),
      quiet('20m', 'GenOpsBreakerOpen'),
      // Five jobs waiting is no congestion.
      quiet('20m', 'GenOpsQueueCongested'),
    ],
  },
  {
    // Jobs finish: not stuck.
    interval: '1m',
    input_series: [
      { series: 'genops_queue_jobs{state="queued"}', values: '5x30' },
      { series: 'genops_queue_paused', values: '0x30' },
      { series: 'genops_jobs_finished_total{provider="sim",model="",outcome="completed"}', values: '0+3x30' },
    ],
    alert_rule_test: [quiet('20m', 'GenOpsNoProgress')],
  },
  {
    // Only cancellations: the engine counts completed and dead jobs as progress, and so does the rule.
    interval: '1m',
    input_series: [
      { series: 'genops_queue_jobs{state="queued"}', values: '5x30' },
      { series: 'genops_queue_paused', values: '0x30' },
      { series: 'genops_jobs_finished_total{provider="sim",model="",outcome="cancelled"}', values: '0+3x30' },
    ],
    alert_rule_test: [fires('20m', 'GenOpsNoProgress')],
  },
  {
    // 1,200 waiting, half of them held by a gate: held jobs wait too.
    interval: '1m',
    input_series: [
      { series: 'genops_queue_jobs{state="queued"}', values: '600x20' },
      { series: 'genops_queue_jobs{state="held"}', values: '600x20' },
    ],
    alert_rule_test: [quiet('3m', 'GenOpsQueueCongested'), fires('10m', 'GenOpsQueueCongested')],
  },
  {
    // Attempts take 200 s each: slow, once it has lasted 5 minutes.
    interval: '1m',
    input_series: attemptDurations(200, 10, 30),
    alert_rule_test: [quiet('4m', 'GenOpsSlowJobs'), fires('15m', 'GenOpsSlowJobs')],
  },
  {
    // A backlog: jobs spend 10 minutes from enqueue to finish, but each attempt takes 2 s. The app's rule
    // takes attempt time and stays quiet; so does the exported one.
    interval: '1m',
    input_series: [
      ...attemptDurations(2, 10, 30),
      ...['300', '600', '1800', '+Inf'].map((le) => ({
        series: `genops_job_duration_seconds_bucket{provider="sim",model="",outcome="completed",le="${le}"}`,
        values: le === '300' ? '0x30' : '0+10x30',
      })),
    ],
    alert_rule_test: [quiet('20m', 'GenOpsSlowJobs')],
  },
  {
    // Half the day's budget, then all of it: fires at once (for 0s).
    interval: '1m',
    input_series: [
      { series: 'genops_budget_used_ratio{scope="day"}', values: '0.5x5 1x10' },
      { series: 'genops_budget_used_ratio{scope="batch"}', values: '0.2x15' },
    ],
    alert_rule_test: [quiet('4m', 'GenOpsBudgetCrossed'), fires('7m', 'GenOpsBudgetCrossed')],
  },
  {
    // 5 GB free, then 500 MB: fires once that has lasted 5 minutes.
    interval: '1m',
    input_series: [{ series: 'genops_data_dir_free_bytes', values: '5000000000x5 500000000x20' }],
    alert_rule_test: [quiet('5m', 'GenOpsDiskLow'), quiet('9m', 'GenOpsDiskLow'), fires('15m', 'GenOpsDiskLow')],
  },
]

describe.skipIf(!RUN)('alert rules for Prometheus (promtool)', () => {
  it('export-rules writes a file promtool check rules accepts, with every enabled rule', () => {
    const dir = tempDir()
    const out = join(dir, 'genops-rules.yml')
    const result = genops(['alerts', 'export-rules', '--data-dir', dir, '--out', out])
    expect(result.stderr).toBe('')
    expect(result.stdout).toContain(`wrote ${defaults.length} rules`)
    const checked = promtool(['check', 'rules', out], dir)
    expect(checked.output).toContain(`SUCCESS: ${defaults.length} rules found`)
    expect(checked.status).toBe(0)
  })

  it('the PromQL fires when the engine would, on series like the exporter’s: every default rule, firing and not', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'rules.yml'), prometheusRules(defaults))
    const tests = { rule_files: ['rules.yml'], evaluation_interval: '1m', tests: RULE_TESTS }
    writeFileSync(join(dir, 'tests.yml'), stringify(tests))
    const result = promtool(['test', 'rules', 'tests.yml'], dir)
    expect(result.output).toContain('SUCCESS')
    expect(result.status).toBe(0)
  })

  it('the rule tests cover every default rule, firing and not firing', () => {
    const cases = RULE_TESTS.flatMap((test) => test.alert_rule_test)
    const names = (firing: boolean) => new Set(cases.filter((c) => c.exp_alerts.length > 0 === firing).map((c) => c.alertname))
    for (const firing of [true, false]) expect([...names(firing)].sort(), firing ? 'firing' : 'not firing').toEqual(defaults.map((r) => r.name).sort())
  })

  it('writes the minimum of attempts beside the failure rate', () => {
    expect(promqlOf(named('GenOpsFailureRateHigh'))).toBe(
      '(sum(increase(genops_attempts_total{result="error"}[5m])) / sum(increase(genops_attempts_total[5m]))) > 0.1 and on() sum(increase(genops_attempts_total[5m])) >= 20',
    )
  })
})
