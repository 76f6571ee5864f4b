/**
 * The alerts screen end to end against `genops serve`: the shipped rules listed; one
 * edited (a wrong threshold said in words first), switched off and on, each change still
 * there after a reload, then restored to its default from a link that opens it; a rule
 * added that fires at once shows at the top, in the history and as the top bar's badge,
 * and is removed; a diagnostic bundle exported from the settings screen.
 */
import { existsSync, statSync } from 'node:fs'
import { describe, expect, inject, test } from 'vitest'
import { saveScreenshots } from './fixtures/screenshots'
import { useServedPage } from './fixtures/session'
import { AlertsPage } from './pages/alerts-page'
import { screenReady } from './pages/screens'
import { SettingsPage } from './pages/settings-page'

const chromiumPath = inject('chromiumPath')
const RULE = 'GenOpsFailureRateHigh'

describe.skipIf(!chromiumPath && process.env.CI !== 'true')('alerts screen', () => {
  const session = useServedPage(chromiumPath!, { viewport: { width: 1280, height: 1000 } })

  test('lists the shipped rules; edits, switches and restores one, and the changes outlive a reload', async () => {
    const { page, served } = session
    const alerts = new AlertsPage(page)
    await alerts.open(served.url)
    await alerts.rule(RULE).waitFor()
    expect(Number(await page.locator('[data-rules]').getAttribute('data-rules'))).toBeGreaterThan(1)
    expect(await alerts.expression(RULE)).toBe('failure_rate[5m] > 0.1 (at least 20 attempts) for 1m')
    const shipped = (await served.call('listAlerts', {})).alerts.find((a) => a.rule.name === RULE)!
    expect(shipped.builtin).toBe(true)

    // The name opens the editor, and the address names the rule.
    await alerts.rule(RULE).locator('a[data-edit-rule]').click()
    await alerts.form(RULE).waitFor()
    expect(new URL(page.url()).hash).toBe(`#/alerts/${RULE}`)
    await alerts.fill({ threshold: 'a lot' })
    await alerts.save()
    await alerts.formProblem().waitFor()
    expect(await alerts.formProblem().textContent()).toBe('Threshold: a number, like 0.1 or 10%')
    await alerts.fill({ threshold: '20%' })
    await alerts.save()
    await alerts.form().waitFor({ state: 'detached' })
    expect(new URL(page.url()).hash).toBe('#/alerts')
    expect(await alerts.noticeText('info')).toBe(`Rule ${RULE} saved.`)
    expect(await alerts.expression(RULE)).toBe('failure_rate[5m] > 0.2 (at least 20 attempts) for 1m')

    await alerts.toggle(RULE).click()
    await alerts.enabled(RULE, false).waitFor()
    await page.reload()
    await screenReady(page, 'alerts')
    await alerts.enabled(RULE, false).waitFor()
    expect(await alerts.expression(RULE)).toBe('failure_rate[5m] > 0.2 (at least 20 attempts) for 1m')
    await alerts.toggle(RULE).click()
    await alerts.enabled(RULE, true).waitFor()
    await page.reload()
    await screenReady(page, 'alerts')
    await alerts.enabled(RULE, true).waitFor()
    expect((await served.call('listAlerts', {})).alerts.find((a) => a.rule.name === RULE)?.rule).toMatchObject({ threshold: 0.2, enabled: true })

    // A link to the rule (as a notification gives) opens it; a shipped rule is restored, not removed.
    await page.goto('about:blank')
    await alerts.open(served.url, RULE)
    await alerts.form(RULE).waitFor()
    expect(await alerts.form(RULE).locator('[name="threshold"]').inputValue()).toBe('0.2')
    await alerts.form(RULE).locator('button[data-remove-rule="restore"]').click()
    await alerts.form().waitFor({ state: 'detached' })
    expect(await alerts.noticeText('info')).toBe(`${RULE} is back to its shipped default.`)
    await alerts.rule(RULE).locator('[data-rule-expr]', { hasText: '> 0.1 ' }).waitFor()
    expect((await served.call('listAlerts', {})).alerts.find((a) => a.rule.name === RULE)?.rule).toEqual(shipped.rule)
    expect(session.problems).toEqual([])
  })

  test('a rule that fires shows at the top, in the history and in the top bar, until it is removed', async () => {
    const { page, served } = session
    const alerts = new AlertsPage(page)
    await alerts.open(served.url)
    await alerts.rule(RULE).waitFor()
    // The shipped rules watch this machine too (free disk): count on what fires already.
    const firingBefore = (await served.call('listAlerts', {})).alerts.filter((a) => a.state === 'firing').length
    if (firingBefore === 0) await page.locator('[data-all-well]').waitFor()

    await page.locator('button[data-new-rule]').click()
    await alerts.form('new').waitFor()
    await alerts.fill({
      signal: 'jobs_waiting',
      name: 'GenOpsAnyWaiting',
      op: '>=',
      threshold: '0',
      for: '0s',
      severity: 'critical',
      summary: 'Jobs are waiting, or none are: this fires at once',
    })
    await alerts.save()
    await alerts.form().waitFor({ state: 'detached' })
    // Saving evaluates the rules at once; its alert event brings the states to the screen.
    await alerts.active('GenOpsAnyWaiting', 'firing').waitFor()
    await alerts.badge(firingBefore + 1).waitFor()
    await alerts.transitions('firing').first().waitFor()
    expect(await alerts.active('GenOpsAnyWaiting', 'firing').locator('td').last().textContent()).toBe('0')
    await saveScreenshots(page, 'alerts')

    // From anywhere, the badge leads back here.
    await page.locator('[data-screen-link="dashboard"]').click()
    await screenReady(page, 'dashboard')
    await alerts.badge(firingBefore + 1).click()
    await screenReady(page, 'alerts')
    expect(new URL(page.url()).hash).toBe('#/alerts')

    await alerts.rule('GenOpsAnyWaiting').locator('a[data-edit-rule]').click()
    await alerts.form('GenOpsAnyWaiting').locator('button[data-remove-rule="remove"]').click()
    await alerts.rule('GenOpsAnyWaiting').waitFor({ state: 'detached' })
    expect(await alerts.noticeText('info')).toBe('Rule GenOpsAnyWaiting removed.')
    await alerts.active('GenOpsAnyWaiting', 'firing').waitFor({ state: 'detached' })
    if (firingBefore === 0) await alerts.badge().waitFor({ state: 'detached' })
    expect(session.problems).toEqual([])
  })

  test('exports a diagnostic bundle from the settings screen and says where it is', async () => {
    const { page, served } = session
    const settings = new SettingsPage(page)
    await settings.open(served.url)
    await page.locator('[data-bundle-state="idle"]').waitFor()
    await page.locator('button[data-export-bundle]').click()
    await page.locator('[data-bundle-state="done"]').waitFor()
    const path = (await page.locator('[data-bundle-path]').textContent()) ?? ''
    expect(path).toMatch(/\.zip$/)
    expect(existsSync(path)).toBe(true)
    const facts = page.locator('[data-bundle-size]')
    expect(Number(await facts.getAttribute('data-bundle-size'))).toBe(statSync(path).size)
    expect(Number(await facts.getAttribute('data-bundle-files'))).toBeGreaterThan(1)
    expect(session.problems).toEqual([])
  })
})
