/** `genops alerts` changing rules from the command line, as a separate process on a real data directory. */
import { describe, expect, it } from 'vitest'
import { genops } from '../support/cli'
import { tempDir } from '../support/temp'

describe('genops alerts', () => {
  it('sets, disables, enables and resets a shipped rule, and says what is wrong with a bad value', () => {
    const dir = tempDir()
    const run = (...args: string[]) => genops(['alerts', ...args, '--data-dir', dir])

    const set = run('set', 'GenOpsFailureRateHigh', '--threshold', '0.2', '--for', '2m', '--window', '10m')
    expect(set.stderr).toBe('')
    expect(set.stdout).toBe('GenOpsFailureRateHigh: failure_rate[10m] > 0.2 (at least 20 attempts) for 2m\n')

    expect(run('disable', 'GenOpsFailureRateHigh').stdout).toBe('GenOpsFailureRateHigh: disabled\n')
    const listed = JSON.parse(run('list', '--json').stdout) as { rule: { name: string; enabled: boolean; threshold: number }; builtin: boolean }[]
    expect(listed.find((a) => a.rule.name === 'GenOpsFailureRateHigh')).toMatchObject({ builtin: true, rule: { enabled: false, threshold: 0.2 } })
    expect(run('list').stdout).toMatch(/GenOpsFailureRateHigh\s+disabled\s+warning/)
    // A disabled rule is left out of the Prometheus rules.
    expect(run('export-rules').stdout).not.toContain('alert: GenOpsFailureRateHigh')
    expect(run('enable', 'GenOpsFailureRateHigh').stdout).toBe('GenOpsFailureRateHigh: enabled\n')

    const bad = run('set', 'GenOpsFailureRateHigh', '--for', '90')
    expect(bad.status).toBe(2)
    expect(bad.stderr).toBe('genops: GenOpsFailureRateHigh: for: must be a whole number of seconds, minutes, hours or days, like 30s, 5m or 1h\n')
    const unknown = run('disable', 'NoSuchRule')
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toMatch(/^genops: no alert rule named NoSuchRule: there are GenOpsFailureRateHigh, /)

    expect(run('reset', 'GenOpsFailureRateHigh').stdout).toMatch(/back to its default/)
    expect(run('list').stdout).toMatch(/GenOpsFailureRateHigh\s+inactive\s+warning\s+-\s+-\s+failure_rate\[5m\] > 0\.1/)
  })

  it('refuses a webhook that is not an http(s) URL before starting anything', () => {
    const result = genops(['run', '--data-dir', tempDir(), '--alert-webhook', 'file:///etc/passwd', '--until-empty'])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('--alert-webhook must be an http or https URL, not "file:///etc/passwd"')
  })
})
