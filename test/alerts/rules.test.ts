import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadDefaultRules, rulesInForce } from '../../src/main/alerts/rules'
import { ALERT_SIGNALS } from '../../src/shared/alerts'
import { tempDir } from '../support/temp'

describe('the default alert rules (resources/alerts.json)', () => {
  it('cover what an operator needs told, each valid', () => {
    const rules = loadDefaultRules()
    // Every signal has a default watching it.
    expect(new Set(rules.map((rule) => rule.signal))).toEqual(new Set(Object.keys(ALERT_SIGNALS)))
    expect(rules.find((rule) => rule.name === 'GenOpsFailureRateHigh')).toMatchObject({ window: '5m', minAttempts: 20, op: '>', threshold: 0.1 })
    expect(rules.find((rule) => rule.name === 'GenOpsFailureRateCritical')).toMatchObject({ window: '3m', threshold: 0.25, severity: 'critical' })
    expect(rules.find((rule) => rule.name === 'GenOpsQueueCongested')).toMatchObject({ threshold: 1000, for: '5m' })
    expect(rules.find((rule) => rule.name === 'GenOpsNoProgress')).toMatchObject({ window: '10m' })
    expect(rules.find((rule) => rule.name === 'GenOpsBreakerOpen')).toMatchObject({ for: '1m' })
  })

  it('a damaged file is an error naming the file and the rule', () => {
    const file = join(tempDir(), 'alerts.json')
    writeFileSync(file, JSON.stringify({ rules: [{ name: 'X', signal: 'failure_rate', op: '>', threshold: 1, severity: 'warning', summary: 's' }] }))
    expect(() => loadDefaultRules(file)).toThrow(`${file}: rules.0.window: failure_rate needs a window, like 5m`)
    writeFileSync(file, '{')
    expect(() => loadDefaultRules(file)).toThrow(file)
  })
})

describe('the rules in force', () => {
  const defaults = loadDefaultRules().slice(0, 2)
  it("are the defaults as the operator changed them, then the operator's own; a row that does not parse is named, not fatal", () => {
    const changed = { ...defaults[0]!, threshold: 0.2 }
    const mine = { ...defaults[1]!, name: 'Mine' }
    const { rules, unreadable } = rulesInForce(defaults, [
      { name: changed.name, rule: changed, updatedAt: 1 },
      { name: 'Mine', rule: mine, updatedAt: 1 },
      { name: 'Broken', rule: '{not json', updatedAt: 1 },
    ])
    expect(rules.map(({ rule, builtin }) => [rule.name, rule.threshold, builtin])).toEqual([
      [defaults[0]!.name, 0.2, true],
      [defaults[1]!.name, defaults[1]!.threshold, true],
      ['Mine', mine.threshold, false],
    ])
    expect(unreadable).toEqual([expect.stringMatching(/^alert rule Broken: /)])
  })
})
