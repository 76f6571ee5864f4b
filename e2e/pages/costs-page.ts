/** The costs screen as a spec sees it: the report and its rows, the pickers, the CSV export, budgets and prices. */
import type { Download, Locator, Page } from 'playwright-core'
import type { CostReportBy } from '../../src/shared/costs'
import { STATE_TIMEOUT_MS } from '../fixtures/browser'
import { openScreen, screenReady } from './screens'

export class CostsPage {
  constructor(readonly page: Page) {
    page.setDefaultTimeout(STATE_TIMEOUT_MS)
  }

  open(url: string): Promise<void> {
    return openScreen(this.page, url, 'costs')
  }

  async groupBy(by: CostReportBy): Promise<void> {
    await this.page.locator(`button[data-by="${by}"]`).click()
    await this.page.locator(`[data-report-by="${by}"]`).waitFor()
    await screenReady(this.page, 'costs')
  }

  row(key: string | number): Locator {
    return this.page.locator(`[data-cost-row="${key}"]`)
  }

  /** Clicks Export CSV and answers the file the browser was handed. */
  async exportCsv(): Promise<Download> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.locator('button[data-export-csv]').click()])
    return download
  }

  async setBudget(fields: {
    scope: 'day' | 'batch' | 'provider' | 'profile'
    batchId?: number
    target?: string
    unit?: 'usd' | 'tokens'
    limit: string
    action: 'alert' | 'pause'
  }): Promise<void> {
    const form = this.page.locator('form[data-budget-form]')
    await form.locator('[name="scope"]').selectOption(fields.scope)
    if (fields.batchId !== undefined) await form.locator('[name="batchId"]').fill(String(fields.batchId))
    if (fields.target !== undefined) await form.locator('[name="target"]').fill(fields.target)
    await form.locator('[name="unit"]').selectOption(fields.unit ?? 'usd')
    await form.locator('[name="limit"]').fill(fields.limit)
    await form.locator('[name="action"]').selectOption(fields.action)
    await form.locator('button[type="submit"]').click()
  }

  /** A budget's row by its key (costs.ts budgetKey): "day", "batch-3", "profile-work-tokens". */
  budget(key: string): Locator {
    return this.page.locator(`[data-budget="${key}"]`)
  }

  async setPrice(fields: { provider: string; model: string; inputPerMillion: string; outputPerMillion: string }): Promise<void> {
    const form = this.page.locator('form[data-price-form]')
    for (const [name, value] of Object.entries(fields)) await form.locator(`[name="${name}"]`).fill(value)
    await form.locator('button[type="submit"]').click()
  }

  price(provider: string, model: string): Locator {
    return this.page.locator(`[data-price="${provider}/${model}"]`)
  }

  notice(tone: 'info' | 'error'): Locator {
    return this.page.locator(`[data-costs-notice="${tone}"]`)
  }

  async noticeText(tone: 'info' | 'error'): Promise<string> {
    return (await this.notice(tone).locator('span').textContent()) ?? ''
  }
}
