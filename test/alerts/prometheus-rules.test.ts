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
import { describeRule, type AlertRule } from '../../src/shared/alerts'
import { genops } from '../support/cli'
import { tempDir } from '../support/temp'

const PROMTOOL = spawnSync('promtool', ['--version']).status === 0
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

describe.skipIf(!PROMTOOL)('alert rules for Prometheus (promtool)', () => {
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

  it('the PromQL fires when the engine would, on series like the exporter’s', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'rules.yml'), prometheusRules(defaults))
    const attempts = (result: string, category: string, values: string) => ({
      series: `genops_attempts_total{provider="sim",model="",result="${result}",category="${category}"}`,
      values,
    })
    const tests = {
      rule_files: ['rules.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          // 10 attempts a minute succeed throughout; from minute 6, 5 a minute fail as well (a third).
          interval: '1m',
          input_series: [attempts('ok', 'none', '0+10x30'), attempts('error', 'TIMEOUT', '0x5 5+5x24')],
          alert_rule_test: [
            { eval_time: '5m', alertname: 'GenOpsFailureRateHigh', exp_alerts: [] },
            // Pending at first: the rule wants a minute of it.
            { eval_time: '7m', alertname: 'GenOpsFailureRateHigh', exp_alerts: [] },
            { eval_time: '15m', alertname: 'GenOpsFailureRateHigh', exp_alerts: [expected(named('GenOpsFailureRateHigh'))] },
            { eval_time: '15m', alertname: 'GenOpsFailureRateCritical', exp_alerts: [expected(named('GenOpsFailureRateCritical'))] },
          ],
        },
        {
          // Too few attempts to judge: 2 a minute, all failing.
          interval: '1m',
          input_series: [attempts('error', 'TIMEOUT', '0+2x30')],
          alert_rule_test: [{ eval_time: '20m', alertname: 'GenOpsFailureRateHigh', exp_alerts: [] }],
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
            { eval_time: '10m', alertname: 'GenOpsNoProgress', exp_alerts: [expected(named('GenOpsNoProgress'))] },
            { eval_time: '25m', alertname: 'GenOpsNoProgress', exp_alerts: [] },
            { eval_time: '8m', alertname: 'GenOpsBreakerOpen', exp_alerts: [expected(named('GenOpsBreakerOpen'))] },
            { eval_time: '20m', alertname: 'GenOpsBreakerOpen', exp_alerts: [] },
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
          alert_rule_test: [{ eval_time: '20m', alertname: 'GenOpsNoProgress', exp_alerts: [] }],
        },
      ],
    }
    writeFileSync(join(dir, 'tests.yml'), stringify(tests))
    const result = promtool(['test', 'rules', 'tests.yml'], dir)
    expect(result.output).toContain('SUCCESS')
    expect(result.status).toBe(0)
  })

  it('writes the minimum of attempts beside the failure rate', () => {
    expect(promqlOf(named('GenOpsFailureRateHigh'))).toBe(
      '(sum(increase(genops_attempts_total{result="error"}[5m])) / sum(increase(genops_attempts_total[5m]))) > 0.1 and on() sum(increase(genops_attempts_total[5m])) >= 20',
    )
  })
})
