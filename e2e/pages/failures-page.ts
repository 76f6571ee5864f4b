/** The failures screen as a spec sees it: groups, regression cases and dead letters, each waited for by the attributes it announces. */
import type { Locator, Page } from 'playwright-core'
import type { RegressionOutcome } from '../../src/shared/failures'
import { STATE_TIMEOUT_MS } from '../fixtures/browser'
import { openScreen } from './screens'

export class FailuresPage {
  constructor(readonly page: Page) {
    page.setDefaultTimeout(STATE_TIMEOUT_MS)
  }

  open(url: string): Promise<void> {
    return openScreen(this.page, url, 'failures')
  }

  deadTotal(count: number): Locator {
    return this.page.locator(`[data-dead-total="${count}"]`)
  }

  deadRow(id: number): Locator {
    return this.page.locator(`[data-dead-job-id="${id}"]`)
  }

  group(category: string, flagged?: boolean): Locator {
    const groups = this.page.locator(`[data-group]${flagged === undefined ? '' : `[data-flagged="${flagged}"]`}`)
    return groups.filter({ has: this.page.locator('td:first-child', { hasText: category }) })
  }

  cases(outcome: RegressionOutcome | 'none'): Locator {
    return this.page.locator(`[data-case-id][data-outcome="${outcome}"]`)
  }

  notice(tone: 'info' | 'error'): Locator {
    return this.page.locator(`[data-failures-notice="${tone}"]`)
  }

  async noticeText(tone: 'info' | 'error'): Promise<string> {
    return (await this.notice(tone).locator('span').textContent()) ?? ''
  }

  async dismissNotice(): Promise<void> {
    await this.page.locator('[data-failures-notice] button').click()
    await this.page.locator('[data-failures-notice]').waitFor({ state: 'detached' })
  }
}
