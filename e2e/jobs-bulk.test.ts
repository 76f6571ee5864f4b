/** Selecting many jobs on the jobs screen and cancelling or retrying them at once, with the queue paused so they stay queued. */
import { describe, expect, inject, test } from 'vitest'
import { useServedPage } from './fixtures/session'
import { JobsPage } from './pages/jobs-page'

const chromiumPath = inject('chromiumPath')

describe.skipIf(!chromiumPath && process.env.CI !== 'true')('jobs screen bulk actions', () => {
  const session = useServedPage(chromiumPath!, { viewport: { width: 1280, height: 800 } })

  test('cancels a shift-click range of queued jobs, leaving a finished one in the selection alone', async () => {
    const { page, served } = session
    const jobs = new JobsPage(page)
    await jobs.open(served.url)
    const done = await served.call('enqueueJobs', { jobs: [{ prompt: 'finished before the pause' }] })
    await jobs.waitForJobs(done.jobIds, 'completed')
    await served.call('pauseQueue', {})
    const { jobIds } = await served.call('enqueueJobs', { jobs: Array.from({ length: 10 }, (_, i) => ({ prompt: `waiting job ${i}` })) })
    await jobs.waitForJobs(jobIds, 'queued')

    // Newest first: from the newest to the sixth newest, by one click and one shift-click; then the finished one.
    const newest = [...jobIds].reverse()
    await jobs.select(newest[0]!)
    await jobs.select(newest[5]!, { range: true })
    await jobs.selected(6).waitFor()
    await jobs.select(done.jobIds[0]!)
    await jobs.selected(7).waitFor()
    // Only the six can be cancelled: the button says so, and sends only those.
    expect(await page.locator('button[data-bulk="cancel"]').textContent()).toBe('Cancel 6')
    const result = await jobs.bulk('cancel')
    expect(await result.locator('h2').textContent()).toBe('Cancelled 6 jobs')
    await jobs.closeBulk()

    await jobs.waitForJobs(newest.slice(0, 6), 'cancelled')
    await jobs.waitForJobs(newest.slice(6), 'queued')
    await jobs.count('cancelled', 6).waitFor()
    await jobs.count('queued', 4).waitFor()
    await jobs.selected(0).waitFor({ state: 'detached' })
    expect(session.problems).toEqual([])
  })

  test('selects every job loaded, cancels them with a progress bar, then retries them all', async () => {
    const { page, served } = session
    const jobs = new JobsPage(page)
    await jobs.open(served.url)
    await served.call('pauseQueue', {})
    const { jobIds } = await served.call('enqueueJobs', { jobs: Array.from({ length: 450 }, (_, i) => ({ prompt: `bulk job ${i}` })) })
    await jobs.count('queued', 450).waitFor()
    // The first page holds 200; scrolling to its end brings the rest.
    await jobs.loaded(200).waitFor()
    await page.locator('.list-scroll').evaluate((list) => list.scrollTo({ top: list.scrollHeight }))
    await jobs.loaded(450).waitFor()

    await jobs.selectAll()
    await jobs.selected(450).waitFor()
    await page.locator('button[data-bulk="cancel"]').click()
    const dialog = page.locator('[data-bulk-state="confirm"]')
    expect(await dialog.locator('h2').textContent()).toBe('Cancel 450 jobs?')
    await page.locator('[data-bulk-confirm]').click()
    const done = page.locator('[data-bulk-state="done"]')
    await done.waitFor()
    expect(await done.locator('[role="progressbar"]').getAttribute('aria-valuenow')).toBe('100')
    expect(await done.locator('h2').textContent()).toBe('Cancelled 450 jobs')
    await jobs.closeBulk()
    await jobs.count('cancelled', 450).waitFor()
    await jobs.count('queued', 0).waitFor()

    await jobs.filterBy('cancelled')
    await jobs.loaded(200).waitFor()
    await jobs.selectAll()
    await jobs.selected(200).waitFor()
    const retried = await jobs.bulk('retry')
    expect(await retried.locator('h2').textContent()).toBe('Retried 200 jobs')
    await jobs.closeBulk()
    await jobs.count('queued', 200).waitFor()
    await jobs.count('cancelled', 250).waitFor()
    expect((await served.call('getJob', { id: jobIds.at(-1)! })).state).toBe('queued')
    expect(session.problems).toEqual([])
  })
})
