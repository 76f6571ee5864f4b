/**
 * The jobs screen as a spec sees it: every wait is on a state the app announces in a data
 * attribute (data-app-state, data-state, data-count, data-paused), never on a timer.
 */
import type { Locator, Page } from 'playwright-core'
import { queryKey, type JobFilters, type JobSort } from '../../src/shared/job-list'
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

  /** Picks a state tab (no other filter set) and waits for its list. */
  async filterBy(state: JobState | 'all'): Promise<void> {
    await this.page.locator(`[data-count-state="${state}"]`).click()
    await this.showing(state === 'all' ? {} : { state })
  }

  /** The list once it shows this query's jobs (sort newest unless given). */
  listFor(query: JobFilters & { sort?: JobSort }): Locator {
    return this.page.locator(`[data-list-state="ready"][data-query="${queryKey({ sort: 'newest', ...query })}"]`)
  }

  async showing(query: JobFilters & { sort?: JobSort }): Promise<void> {
    await this.listFor(query).waitFor()
  }

  /** Types in the search box (the list searches after a pause in typing). */
  async searchFor(text: string): Promise<void> {
    await this.page.locator('[data-search]').fill(text)
  }

  async choose(filter: 'provider' | 'model' | 'batch' | 'sort', value: string): Promise<void> {
    await this.page.locator(`select[data-filter="${filter}"]`).selectOption(value)
  }

  async tag(tag: string): Promise<void> {
    const field = this.page.locator('input[data-filter="tag"]')
    await field.fill(tag)
    await field.press('Enter')
  }

  /** Ids of the rows in the page, top to bottom (the list renders those in view and a margin). */
  async shownIds(): Promise<number[]> {
    return (await this.rows().evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-job-id'))))) as number[]
  }

  /** The list once it holds this many rows. */
  loaded(count: number): Locator {
    return this.page.locator(`[data-list-state="ready"][data-loaded="${count}"]`)
  }

  async select(id: number, { range = false } = {}): Promise<void> {
    await this.page.locator(`[data-select="${id}"]`).click(range ? { modifiers: ['Shift'] } : {})
  }

  async selectAll(): Promise<void> {
    await this.page.locator('[data-select-all]').click()
  }

  selected(count: number): Locator {
    return this.page.locator(`[data-selected="${count}"]`)
  }

  /** Cancels or retries the selected jobs, confirming, and waits until the engine has answered for all. */
  async bulk(action: 'cancel' | 'retry'): Promise<Locator> {
    await this.page.locator(`button[data-bulk="${action}"]`).click()
    await this.page.locator('[data-bulk-state="confirm"]').waitFor()
    await this.page.locator('[data-bulk-confirm]').click()
    const done = this.page.locator('[data-bulk-state="done"]')
    await done.waitFor()
    return done
  }

  async closeBulk(): Promise<void> {
    await this.page.locator('[data-bulk-close]').click()
    await this.page.locator('[data-bulk-state]').waitFor({ state: 'detached' })
  }

  /** The job detail panel, once it shows this job (in this state, when given). */
  detail(id: number, state?: JobState): Locator {
    return this.page.locator(`[data-detail-state="ready"][data-detail-job="${id}"]${state ? `[data-job-state="${state}"]` : ''}`)
  }

  /** Opens a job's detail by clicking its row. */
  async openJob(id: number): Promise<Locator> {
    await this.row(id).click()
    const detail = this.detail(id)
    await detail.waitFor()
    return detail
  }

  async detailAction(action: 'retry' | 'cancel' | 'delete'): Promise<void> {
    await this.page.locator(`[data-detail-job] button[data-action="${action}"]`).click()
  }
}
