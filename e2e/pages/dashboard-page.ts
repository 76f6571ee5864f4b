/** The dashboard as a spec sees it: charts with their points, the range picker, the glance panel and the empty state, by the attributes they announce. */
import type { Locator, Page } from 'playwright-core'
import type { SeriesMetric } from '../../src/shared/costs'
import type { JobState } from '../../src/shared/jobs'
import { STATE_TIMEOUT_MS } from '../fixtures/browser'
import { openScreen } from './screens'

export class DashboardPage {
  constructor(readonly page: Page) {
    page.setDefaultTimeout(STATE_TIMEOUT_MS)
  }

  open(url: string): Promise<void> {
    return openScreen(this.page, url, 'dashboard')
  }

  /** A chart; with `withValues`, only once some of its values are above zero. */
  chart(metric: SeriesMetric, withValues?: boolean): Locator {
    return this.page.locator(`[data-chart="${metric}"]${withValues === undefined ? '' : `[data-has-values="${withValues}"]`}`)
  }

  /** How many points the chart's Plot holds. */
  async points(metric: SeriesMetric): Promise<number> {
    return Number(await this.chart(metric).locator('[data-points]').getAttribute('data-points'))
  }

  /** The chart once its Plot holds at least one bucket. */
  plotted(metric: SeriesMetric): Locator {
    return this.chart(metric).locator('[data-points]:not([data-points="0"])')
  }

  /** The chart once the engine answered at least one point for it (queue depth: one sample). */
  sampled(metric: SeriesMetric): Locator {
    return this.page.locator(`[data-chart="${metric}"]:not([data-samples="0"])`)
  }

  count(state: JobState, count: number): Locator {
    return this.page.locator(`.glance [data-count-state="${state}"][data-count="${count}"]`)
  }

  empty(): Locator {
    return this.page.locator('[data-dashboard-empty]')
  }

  async pickRange(id: '5m' | '1h' | '1d' | '30d'): Promise<void> {
    await this.page.locator(`button[data-range="${id}"]`).click()
    await this.page.locator(`button[data-range="${id}"][aria-pressed="true"]`).waitFor()
  }
}
