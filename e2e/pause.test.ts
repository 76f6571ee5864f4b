/** Pausing the queue from the screen: new jobs wait, and run once it resumes. */
import { describe, expect, inject, test } from 'vitest'
import { useServedPage } from './fixtures/session'
import { JobsPage } from './pages/jobs-page'

const chromiumPath = inject('chromiumPath')

describe.skipIf(!chromiumPath && process.env.CI !== 'true')('pause and resume', () => {
  const session = useServedPage(chromiumPath!)

  test('jobs enqueued while paused stay queued until Resume', async () => {
    const jobs = new JobsPage(session.page)
    await jobs.open(session.served.url)
    const before = await session.served.call('enqueueJobs', { jobs: [{ prompt: 'runs before the pause' }] })
    await jobs.waitForJobs(before.jobIds, 'completed')

    await jobs.paused(false).click()
    await jobs.paused(true).waitFor()
    expect((await session.served.call('queueStats', {})).paused).toBe(true)

    const held = await session.served.call('enqueueJobs', { jobs: Array.from({ length: 5 }, (_, i) => ({ prompt: `held prompt ${i}` })) })
    await jobs.waitForJobs(held.jobIds, 'queued')
    await jobs.count('queued', 5).waitFor()
    // By now a running queue would have claimed them (a claim follows an enqueue at once, and
    // the page only hears of new jobs on the next event tick): nothing may have moved.
    const stats = await session.served.call('queueStats', {})
    expect(stats.counts).toMatchObject({ queued: 5, active: 0, completed: 1 })
    for (const id of held.jobIds) expect((await session.served.call('getJob', { id })).attemptsMade).toBe(0)

    await jobs.paused(true).click()
    await jobs.paused(false).waitFor()
    await jobs.waitForJobs(held.jobIds, 'completed')
    await jobs.count('completed', 6).waitFor()
    await jobs.count('queued', 0).waitFor()
    expect(session.problems).toEqual([])
  })

  test('a pause made elsewhere shows on the screen', async () => {
    const jobs = new JobsPage(session.page)
    await jobs.open(session.served.url)
    await session.served.call('pauseQueue', {})
    await jobs.paused(true).waitFor()
    await session.served.call('resumeQueue', {})
    await jobs.paused(false).waitFor()
  })
})
