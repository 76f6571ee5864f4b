/** Pausing the queue from the screen: new jobs wait, and run once it resumes. */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, test } from 'vitest'
import { launchChromium, watchProblems } from './fixtures/browser'
import { startServe, type Served } from './fixtures/serve'
import { JobsPage } from './pages/jobs-page'

const chromiumPath = inject('chromiumPath')

describe.skipIf(!chromiumPath)('pause and resume', () => {
  let browser: Browser
  let served: Served
  let context: BrowserContext
  let page: Page
  let problems: string[]

  beforeAll(async () => {
    browser = await launchChromium(chromiumPath!)
  })
  afterAll(async () => {
    await browser?.close()
  })
  beforeEach(async () => {
    served = await startServe()
    context = await browser.newContext()
    page = await context.newPage()
    problems = watchProblems(page)
  })
  afterEach(async () => {
    await context?.close()
    await served?.stop()
  })

  test('jobs enqueued while paused stay queued until Resume', async () => {
    const jobs = new JobsPage(page)
    await jobs.open(served.url)
    const before = await served.call('enqueueJobs', { jobs: [{ prompt: 'runs before the pause' }] })
    await jobs.waitForJobs(before.jobIds, 'completed')

    await jobs.paused(false).click()
    await jobs.paused(true).waitFor()
    expect((await served.call('queueStats', {})).paused).toBe(true)

    const held = await served.call('enqueueJobs', { jobs: Array.from({ length: 5 }, (_, i) => ({ prompt: `held prompt ${i}` })) })
    await jobs.waitForJobs(held.jobIds, 'queued')
    await jobs.count('queued', 5).waitFor()
    // By now a running queue would have claimed them (a claim follows an enqueue at once, and
    // the page only hears of new jobs on the next event tick): nothing may have moved.
    const stats = await served.call('queueStats', {})
    expect(stats.counts).toMatchObject({ queued: 5, active: 0, completed: 1 })
    for (const id of held.jobIds) expect((await served.call('getJob', { id })).attemptsMade).toBe(0)

    await jobs.paused(true).click()
    await jobs.paused(false).waitFor()
    await jobs.waitForJobs(held.jobIds, 'completed')
    await jobs.count('completed', 6).waitFor()
    await jobs.count('queued', 0).waitFor()
    expect(problems).toEqual([])
  })

  test('a pause made elsewhere shows on the screen', async () => {
    const jobs = new JobsPage(page)
    await jobs.open(served.url)
    await served.call('pauseQueue', {})
    await jobs.paused(true).waitFor()
    await served.call('resumeQueue', {})
    await jobs.paused(false).waitFor()
  })
})
