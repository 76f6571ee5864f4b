/** `genops alerts` changing rules from the command line, as a separate process on a real data directory. */
import { describe, expect, it } from 'vitest'
import { genops, genopsAsync } from '../support/cli'
import { tempDir } from '../support/temp'

// Steps that only read, or are refused, run side by side; each change is made before what reads it.
describe('genops alerts', () => {
  it('sets, disables, enables and resets a shipped rule, and says what is wrong with a bad value', { timeout: 240_000 }, async () => {
    const dir = tempDir()
    const run = (...args: string[]) => genopsAsync(['alerts', ...args, '--data-dir', dir])

    const set = await run('set', 'GenOpsFailureRateHigh', '--threshold', '0.2', '--for', '2m', '--window', '10m')
    expect(set.stderr).toBe('')
    expect(set.stdout).toBe('GenOpsFailureRateHigh: failure_rate[10m] > 0.2 (at least 20 attempts) for 2m\n')

    expect((await run('disable', 'GenOpsFailureRateHigh')).stdout).toBe('GenOpsFailureRateHigh: disabled\n')
    const [listing, table, rules] = await Promise.all([run('list', '--json'), run('list'), run('export-rules')])
    const listed = JSON.parse(listing.stdout) as { rule: { name: string; enabled: boolean; threshold: number }; builtin: boolean }[]
    expect(listed.find((a) => a.rule.name === 'GenOpsFailureRateHigh')).toMatchObject({ builtin: true, rule: { enabled: false, threshold: 0.2 } })
    expect(table.stdout).toMatch(/GenOpsFailureRateHigh\s+disabled\s+warning/)
    // A disabled rule is left out of the Prometheus rules.
    expect(rules.stdout).not.toContain('alert: GenOpsFailureRateHigh')
    expect((await run('enable', 'GenOpsFailureRateHigh')).stdout).toBe('GenOpsFailureRateHigh: enabled\n')

    const [bad, unknown] = await Promise.all([run('set', 'GenOpsFailureRateHigh', '--for', '90'), run('disable', 'NoSuchRule')])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toBe('genops: GenOpsFailureRateHigh: for: must be a whole number of seconds, minutes, hours or days, like 30s, 5m or 1h\n')
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toMatch(/^genops: no alert rule named NoSuchRule: there are GenOpsFailureRateHigh, /)

    expect((await run('reset', 'GenOpsFailureRateHigh')).stdout).toMatch(/back to its default/)
    expect((await run('list')).stdout).toMatch(/GenOpsFailureRateHigh\s+inactive\s+warning\s+-\s+-\s+failure_rate\[5m\] > 0\.1/)
  })

  // Each step is a CLI process of its own: seconds each on a busy machine.
  it('adds a rule of its own, checked by the rule schema, that list and export-rules then show', { timeout: 240_000 }, async () => {
    const dir = tempDir()
    const run = (...args: string[]) => genopsAsync(['alerts', ...args, '--data-dir', dir])
    const timeouts = ['TimeoutsHigh', '--signal', 'failure_rate', '--window', '10m', '--min-attempts', '5', '--threshold', '0.05', '--for', '2m']

    const added = await run('add', ...timeouts, '--severity', 'critical', '--summary', 'Timeouts climb', '--label', 'team=ml')
    expect(added.stderr).toBe('')
    expect(added.stdout).toBe('TimeoutsHigh: added, failure_rate[10m] > 0.05 (at least 5 attempts) for 2m\n')
    const [listing, rules] = await Promise.all([run('list', '--json'), run('export-rules')])
    const listed = JSON.parse(listing.stdout) as { rule: { name: string; labels: object; severity: string }; builtin: boolean }[]
    expect(listed.find((a) => a.rule.name === 'TimeoutsHigh')).toMatchObject({ builtin: false, rule: { labels: { team: 'ml' }, severity: 'critical' } })
    expect(rules.stdout).toContain('alert: TimeoutsHigh')

    const [noWindow, notNumber, taken] = await Promise.all([
      run('add', 'Slow', '--signal', 'p95_job_seconds', '--threshold', '30', '--summary', 'slow'),
      run('add', 'Waiting', '--signal', 'jobs_waiting', '--threshold', 'lots', '--summary', 'x'),
      run('add', 'GenOpsSlowJobs', '--signal', 'jobs_waiting', '--threshold', '1', '--summary', 'x'),
    ])
    // The same schema as the screen's: each problem named, nothing saved.
    expect(noWindow.status).toBe(2)
    expect(noWindow.stderr).toBe('genops: Slow: window: p95_job_seconds needs a window, like 5m\n')
    expect(notNumber.status).toBe(2)
    expect(notNumber.stderr).toBe('genops: --threshold must be a number, not "lots"\n')
    // A name in use is changed with set, not replaced.
    expect(taken.status).toBe(1)
    expect(taken.stderr).toBe('genops: there is already a rule named GenOpsSlowJobs: change it with `genops alerts set GenOpsSlowJobs`\n')
    expect((await run('reset', 'TimeoutsHigh')).stdout).toMatch(/removed, if it was yours/)
    expect((await run('list')).stdout).not.toContain('TimeoutsHigh')
  })

  it('refuses a webhook that is not an http(s) URL before starting anything', () => {
    const result = genops(['run', '--data-dir', tempDir(), '--alert-webhook', 'file:///etc/passwd', '--until-empty'])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('--alert-webhook must be an http or https URL, not "file:///etc/passwd"')
  })
})
