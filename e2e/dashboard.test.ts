/**
 * The dashboard and costs screens end to end against `genops serve`: before anything runs
 * the dashboard says what to do first; simulator jobs then fill its charts (through the one
 * Plot wrapper: points announced on its container) and its counts; the costs screen reports
 * them by provider and by batch, exports the report as CSV, takes a budget and a price.
 */
import { readFile } from 'node:fs/promises'
import { describe, expect, inject, test } from 'vitest'
import { saveScreenshots } from './fixtures/screenshots'
import { useServedPage } from './fixtures/session'
import { CostsPage } from './pages/costs-page'
import { DashboardPage } from './pages/dashboard-page'
import { screenReady } from './pages/screens'

const chromiumPath = inject('chromiumPath')
const JOBS = 8

describe.skipIf(!chromiumPath && process.env.CI !== 'true')('dashboard and costs screens', () => {
  const session = useServedPage(chromiumPath!, { viewport: { width: 1280, height: 1000 }, acceptDownloads: true })

  test('charts simulator jobs, reports their usage, exports it as CSV and sets a budget', async () => {
    const { page, served } = session
    const dashboard = new DashboardPage(page)
    await dashboard.open(served.url)

    // Nothing has run: the screen says what to do first.
    await dashboard.empty().getByText('Nothing has run yet: drop prompt files anywhere on this window, or try the simulator').waitFor()
    await page.locator('[data-health]').waitFor()
    expect(await page.locator('a[data-settings-link]').getAttribute('href')).toBe('#/settings')

    const { jobIds, batchId } = await served.call('enqueueJobs', {
      jobs: Array.from({ length: JOBS }, (_, i) => ({ prompt: `Write line ${i + 1} of a poem about dashboards.`, provider: 'sim', tags: ['e2e'] })),
      batchName: 'dashboard e2e',
    })
    expect(jobIds).toHaveLength(JOBS)
    await dashboard.count('completed', JOBS).waitFor()
    await dashboard.empty().waitFor({ state: 'detached' })

    // Every chart has its points; the ones fed by attempts show more than zeros.
    for (const metric of ['throughput', 'depth', 'latency', 'tokens', 'cost'] as const) {
      await dashboard.plotted(metric).waitFor()
      await dashboard.sampled(metric).waitFor()
    }
    for (const metric of ['throughput', 'latency', 'tokens'] as const) await dashboard.chart(metric, true).waitFor()
    expect(await dashboard.points('throughput')).toBeGreaterThanOrEqual(60)
    await saveScreenshots(page, 'dashboard')

    // A paused queue is a health check that does not pass: it stands out at a glance, and goes when resumed.
    await served.call('pauseQueue', {})
    await page.locator('.glance[data-attention="true"] [data-check="queue"]:not([data-check-status="pass"])').waitFor()
    await served.call('resumeQueue', {})
    await page.locator('[data-check="queue"]').waitFor({ state: 'detached' })

    // Another range: one point a minute over the last hour, the charts refilled, not rebuilt from nothing.
    await dashboard.pickRange('1h')
    await dashboard.chart('throughput', true).waitFor()
    // Refilled from the minute rollups once the range's answer arrives (the 5-minute points show until then).
    await expect.poll(() => dashboard.points('throughput'), { timeout: 20_000 }).toBeLessThanOrEqual(61)

    // Costs: the same attempts, by provider and by batch.
    const costs = new CostsPage(page)
    await page.locator('[data-screen-link="costs"]').click()
    await screenReady(page, 'costs')
    await costs.row('sim').waitFor()
    await page.locator(`[data-total-attempts="${JOBS}"]`).waitFor()
    await costs.groupBy('batch')
    await costs.row(batchId).waitFor()
    expect(await costs.row(batchId).textContent()).toContain('dashboard e2e')

    // CSV export: the report on screen, as a file.
    const download = await costs.exportCsv()
    expect(download.suggestedFilename()).toMatch(/^genops-costs-by-batch-7d-\d{4}-\d\d-\d\d\.csv$/)
    const csv = await readFile(await download.path(), 'utf8')
    const lines = csv.split('\r\n')
    expect(lines[0]).toBe('batch,label,attempts,input_tokens,output_tokens,cached_input_tokens,cache_write_tokens,cost_usd,unpriced_attempts')
    expect(lines[1]).toMatch(new RegExp(`^${batchId},dashboard e2e,${JOBS},\\d+,\\d+,0,0,0,0$`))
    expect(lines.at(-2)).toMatch(new RegExp(`^total,,${JOBS},`))
    expect(lines.at(-1)).toBe('')

    // A day budget that holds attempts before they cross it, a profile's token budget, and a price override.
    await costs.setBudget({ scope: 'day', limit: '5', action: 'pause' })
    await costs.budget('day').waitFor()
    expect(await costs.noticeText('info')).toBe('Saved the day budget: $5.00; attempts that could take it past its limit are held.')
    expect(await costs.budget('day').textContent()).toContain('alert, and hold attempts that could cross it')
    await costs.setBudget({ scope: 'profile', target: 'local-work', unit: 'tokens', limit: '100,000', action: 'alert' })
    await costs.budget('profile-local-work-tokens').waitFor()
    expect(await costs.budget('profile-local-work-tokens').textContent()).toContain('100,000 tokens')
    await costs.setPrice({ provider: 'sim', model: '*', inputPerMillion: '1', outputPerMillion: '2' })
    await costs.price('sim', '*').and(page.locator('[data-source="override"]')).waitFor()
    expect((await served.call('listBudgets', {})).budgets).toMatchObject([
      { scope: 'day', unit: 'usd', limit: 5, action: 'pause' },
      { scope: 'profile', target: 'local-work', unit: 'tokens', limit: 100_000, action: 'alert' },
    ])
    await saveScreenshots(page, 'costs')
    expect(session.problems).toEqual([])
  })
})
