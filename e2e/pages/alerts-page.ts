/** The alerts screen as a spec sees it: alerts now, rules, the rule editor, history and the top bar's badge, by the attributes they announce. */
import type { Locator, Page } from 'playwright-core'
import type { AlertState } from '../../src/shared/alerts'
import { STATE_TIMEOUT_MS } from '../fixtures/browser'
import { openScreen } from './screens'

export interface RuleFields {
  name?: string
  signal?: string
  op?: string
  threshold?: string
  window?: string
  minAttempts?: string
  for?: string
  severity?: 'warning' | 'critical'
  summary?: string
}

const SELECTS = new Set(['signal', 'op', 'severity'])

export class AlertsPage {
  constructor(readonly page: Page) {
    page.setDefaultTimeout(STATE_TIMEOUT_MS)
  }

  /** `rule` opens that rule in the editor straight from the address, as a notification's link does. */
  async open(url: string, rule?: string): Promise<void> {
    if (!rule) return openScreen(this.page, url, 'alerts')
    await this.page.goto(`${url}#/alerts/${rule}`)
    await this.page.locator('[data-screen="alerts"] [data-screen-state="ready"]').waitFor()
  }

  rule(name: string): Locator {
    return this.page.locator(`[data-rule="${name}"]`)
  }

  /** The rule's expression as the table shows it: `failure_rate[5m] > 0.1 (at least 20 attempts) for 1m`. */
  async expression(name: string): Promise<string> {
    return (await this.rule(name).locator('[data-rule-expr]').textContent()) ?? ''
  }

  toggle(name: string): Locator {
    return this.page.locator(`input[data-rule-toggle="${name}"]`)
  }

  enabled(name: string, enabled: boolean): Locator {
    return this.page.locator(`[data-rule="${name}"][data-rule-enabled="${enabled}"]`)
  }

  form(rule?: string): Locator {
    return this.page.locator(rule ? `form[data-rule-form="${rule}"]` : 'form[data-rule-form]')
  }

  async fill(fields: RuleFields): Promise<void> {
    const form = this.form()
    // The signal first: it decides which of the other fields are there.
    if (fields.signal) await form.locator('[name="signal"]').selectOption(fields.signal)
    for (const [name, value] of Object.entries(fields)) {
      if (name === 'signal' || value === undefined) continue
      const field = form.locator(`[name="${name}"]`)
      if (SELECTS.has(name)) await field.selectOption(value)
      else await field.fill(value)
    }
  }

  async save(): Promise<void> {
    await this.form().locator('button[data-save-rule]').click()
  }

  formProblem(): Locator {
    return this.form().locator('[data-form-problem]')
  }

  active(name: string, state: Exclude<AlertState, 'inactive'>): Locator {
    return this.page.locator(`[data-active-alert="${name}"][data-alert-state="${state}"]`)
  }

  /** The top bar's count of firing alerts. */
  badge(firing?: number): Locator {
    return this.page.locator(firing === undefined ? 'a[data-alerts-firing]' : `a[data-alerts-firing="${firing}"]`)
  }

  transitions(to: 'pending' | 'firing' | 'resolved'): Locator {
    return this.page.locator(`[data-history-state="ready"] [data-transition-to="${to}"]`)
  }

  notice(tone: 'info' | 'error'): Locator {
    return this.page.locator(`[data-alerts-notice="${tone}"]`)
  }

  async noticeText(tone: 'info' | 'error'): Promise<string> {
    return (await this.notice(tone).locator('span').textContent()) ?? ''
  }
}
