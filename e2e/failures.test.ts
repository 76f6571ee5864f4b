/**
 * The failures screen end to end against `genops serve`: jobs that die on a simulator
 * profile that fails its first attempt show as a flagged group and as dead letters; the
 * group is pinned and its regression cases run (failing, then passing once the profile is
 * fixed); dead jobs are retried with fresh attempts (one, then the ticked ones) and
 * complete; one is purged after a confirmation.
 */
import { describe, expect, inject, test } from 'vitest'
import { saveScreenshots } from './fixtures/screenshots'
import { useServedPage } from './fixtures/session'
import { FailuresPage } from './pages/failures-page'
import { JobsPage } from './pages/jobs-page'

const chromiumPath = inject('chromiumPath')

describe.skipIf(!chromiumPath && process.env.CI !== 'true')('failures screen', () => {
  const session = useServedPage(chromiumPath!, { viewport: { width: 1280, height: 1000 } })

  test('groups failures, runs the regression set, retries dead jobs and purges one', async () => {
    const { page, served } = session
    const failures = new FailuresPage(page)
    await failures.open(served.url)
    // Nothing failed yet: the screen says what shows here and how to see it.
    await page.getByText('No failures yet').waitFor()
    await failures.deadTotal(0).waitFor()

    // The simulator fails a job's first `failAttempts` attempts; with one attempt allowed it dies at once. A retry
    // starts its attempts from 1 again, so it would die the same way: the profile is fixed before the retries.
    await served.call('saveProvider', { name: 'flaky-sim', provider: 'sim', config: { failAttempts: 1 } })
    const { jobIds: flaky } = await served.call('enqueueJobs', {
      jobs: ['first', 'second', 'third'].map((word) => ({ prompt: `Write the ${word} line of a poem.`, provider: 'flaky-sim', attempts: 1 })),
    })
    const { jobIds: timeouts } = await served.call('enqueueJobs', {
      jobs: [{ prompt: 'Answer slowly.', attempts: 1, config: { failAttempts: 1, failCategory: 'TIMEOUT' } }],
    })
    await failures.deadTotal(4).waitFor()
    for (const id of [...flaky, ...timeouts]) await failures.deadRow(id).waitFor()
    const flagged = failures.group('SERVICE_UNAVAILABLE', true)
    await flagged.locator('[data-group-count="3"]').waitFor()
    expect(await flagged.locator('[data-sample-job]').count()).toBeGreaterThan(0)
    expect(await flagged.locator('[data-sample-job]').first().getAttribute('href')).toMatch(/^#\/jobs\/\d+$/)
    await failures.group('TIMEOUT', false).waitFor()
    await page.locator('[data-stat-category="SERVICE_UNAVAILABLE"][data-count="3"]').waitFor()
    await saveScreenshots(page, 'failures')

    // Pin the flagged group; its cases still fail while the profile is broken.
    await flagged.locator('button[data-pin]').click()
    await failures.group('SERVICE_UNAVAILABLE').and(page.locator('[data-pinned="true"]')).waitFor()
    const cases = Number(await page.locator('section[data-cases]').getAttribute('data-cases'))
    expect(cases).toBeGreaterThan(0)
    await failures.dismissNotice()
    await page.locator('button[data-run-regressions]').click()
    await failures.notice('info').waitFor()
    expect(await failures.noticeText('info')).toMatch(new RegExp(`^Running ${cases} regression cases? as batch \\d+\\.$`))
    await page.locator(`section[data-cases="${cases}"][data-failing="${cases}"]`).waitFor()

    // Fixed: the same cases pass now.
    await served.call('saveProvider', { name: 'flaky-sim', provider: 'sim' })
    await failures.dismissNotice()
    await page.locator('button[data-run-regressions]').click()
    await page.locator(`section[data-passing="${cases}"]`).waitFor()
    expect(await failures.cases('passed').count()).toBe(cases)

    // Filter by category: only the timeout is left; purge it, after saying yes.
    await page.locator('[data-stat-category="TIMEOUT"]').click()
    await page.locator('[data-dead-shown="1"]').waitFor()
    await failures.deadRow(timeouts[0]!).waitFor()
    await failures.deadRow(timeouts[0]!).locator('button[data-purge]').click()
    await page.locator('[data-confirm="purge"]').waitFor()
    expect(await page.locator('#purge-title').textContent()).toBe(`Purge job ${timeouts[0]}?`)
    await page.locator('button[data-confirm-purge]').click()
    await page.getByText('No dead job matches this filter.').waitFor()
    await page.getByRole('button', { name: 'Clear filters' }).click()

    // Retry one, then the ticked two, then all the rest (the first run's regression jobs died too): each gets
    // fresh attempts, and passes with the profile fixed.
    await failures.deadTotal(3 + cases).waitFor()
    await failures.deadRow(flaky[0]!).locator('button[data-retry]').click()
    await failures.notice('info').waitFor()
    expect(await failures.noticeText('info')).toBe('1 job queued again, with fresh attempts.')
    await failures.deadRow(flaky[0]!).waitFor({ state: 'detached' })
    for (const id of flaky.slice(1)) await failures.deadRow(id).getByRole('checkbox').check()
    await page.locator('button[data-retry-selected]').click()
    await failures.deadTotal(cases).waitFor()
    for (const id of flaky) await failures.deadRow(id).waitFor({ state: 'detached' })
    await page.locator('button[data-retry-matching]').click()
    await failures.deadTotal(0).waitFor()
    await page.getByText('No dead jobs').waitFor()

    // Watched to completion on the jobs screen.
    const jobs = new JobsPage(page)
    await page.locator('[data-screen-link="jobs"]').click()
    await jobs.waitForJobs(flaky, 'completed')
    expect(session.problems).toEqual([])
  })
})
