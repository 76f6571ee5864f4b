/** The jobs screen in headless mode: jobs enqueued over the API show up, run, and complete live. */
import { describe, expect, inject, test } from 'vitest'
import { useServedPage } from './fixtures/session'
import { JobsPage } from './pages/jobs-page'

const chromiumPath = inject('chromiumPath')

describe.skipIf(!chromiumPath && process.env.CI !== 'true')('jobs screen', () => {
  const session = useServedPage(chromiumPath!, { viewport: { width: 1280, height: 800 } })

  test('shows enqueued jobs, their progress while active, and their completion', async () => {
    const jobs = new JobsPage(session.page)
    await jobs.open(session.served.url)
    await jobs.count('all', 0).waitFor()

    const prompts = Array.from({ length: 20 }, (_, i) => ({
      prompt: `Summarise chapter ${i + 1} of the operator handbook in three sentences.`,
      // Some take a while, so they are seen running with a progress bar.
      ...(i % 4 === 0 ? { config: { latencyMs: 400 } } : {}),
    }))
    // One runs long enough that its progress is certain to be reported while the page watches.
    prompts[19] = { prompt: 'Write a long answer slowly.', config: { latencyMs: 2_500 } }
    const { jobIds } = await session.served.call('enqueueJobs', { jobs: prompts })
    expect(jobIds).toHaveLength(20)

    await jobs.row(jobIds[0]!).waitFor()
    const slow = jobs.row(jobIds[19]!, 'active')
    await slow.locator('[role="progressbar"][aria-valuenow]').waitFor()
    expect(Number(await slow.locator('[role="progressbar"]').getAttribute('aria-valuenow'))).toBeGreaterThan(0)

    await jobs.waitForJobs(jobIds, 'completed')
    await jobs.count('completed', 20).waitFor()
    expect(await jobs.countOf('all')).toBe(20)
    expect(await jobs.rows().count()).toBe(20)
    // Finished jobs leave no progress bar behind.
    expect(await session.page.locator('[role="progressbar"]').count()).toBe(0)
    expect(session.problems).toEqual([])
  })

  test('filters the list by state', async () => {
    const jobs = new JobsPage(session.page)
    await jobs.open(session.served.url)
    const { jobIds } = await session.served.call('enqueueJobs', { jobs: [{ prompt: 'first' }, { prompt: 'second' }, { prompt: 'third', delayMs: 3_600_000 }] })
    await jobs.waitForJobs(jobIds.slice(0, 2), 'completed')
    await jobs.row(jobIds[2]!, 'delayed').waitFor()

    await jobs.filterBy('delayed')
    expect(await jobs.rows().count()).toBe(1)
    await jobs.row(jobIds[2]!, 'delayed').waitFor()

    await jobs.filterBy('completed')
    expect(await jobs.rows().count()).toBe(2)

    await jobs.filterBy('all')
    expect(await jobs.rows().count()).toBe(3)
    expect(session.problems).toEqual([])
  })
})
