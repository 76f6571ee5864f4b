/**
 * The jobs screen as a spec sees it: every wait is on a state the app announces in a data
 * attribute (data-app-state, data-state, data-count, data-paused), never on a timer.
 */
import type { Locator, Page } from 'playwright-core'
import type { JobState } from '../../src/shared/jobs'
import { STATE_TIMEOUT_MS } from '../fixtures/browser'

export class JobsPage {
  constructor(readonly page: Page) {
    page.setDefaultTimeout(STATE_TIMEOUT_MS)
  }

  app(state: 'loading' | 'ready' | 'error'): Locator {
    return this.page.locator(`[data-app-state="${state}"]`)
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url)
    await this.app('ready').waitFor()
  }

  row(id: number, state?: JobState): Locator {
    return this.page.locator(state ? `[data-job-id="${id}"][data-state="${state}"]` : `[data-job-id="${id}"]`)
  }

  rows(): Locator {
    return this.page.locator('[data-job-id]')
  }

  /** Waits until every one of these jobs shows `state`. */
  async waitForJobs(ids: readonly number[], state: JobState): Promise<void> {
    for (const id of ids) await this.row(id, state).waitFor()
  }

  count(state: JobState | 'all', value: number): Locator {
    return this.page.locator(`[data-count-state="${state}"][data-count="${value}"]`)
  }

  async countOf(state: JobState | 'all'): Promise<number> {
    return Number(await this.page.locator(`[data-count-state="${state}"]`).getAttribute('data-count'))
  }

  connection(state: 'connecting' | 'live' | 'reconnecting' | 'unauthorized'): Locator {
    return this.page.locator(`[data-connection="${state}"]`)
  }

  pauseButton(): Locator {
    return this.page.locator('button[data-paused]')
  }

  paused(value: boolean): Locator {
    return this.page.locator(`button[data-paused="${value}"]`)
  }

  async filterBy(state: JobState | 'all'): Promise<void> {
    await this.page.locator(`[data-count-state="${state}"]`).click()
    await this.page.locator('[data-list-state="ready"]').waitFor()
  }
}
