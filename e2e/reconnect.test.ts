/** The browser's event stream outlives a server restart: it reconnects and catches up. */
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest'
import { launchChromium, watchProblems } from './fixtures/browser'
import { startServe, type Served } from './fixtures/serve'
import { JobsPage } from './pages/jobs-page'

const chromiumPath = inject('chromiumPath')

describe.skipIf(!chromiumPath && process.env.CI !== 'true')('event stream', () => {
  let browser: Browser
  let context: BrowserContext | undefined
  let served: Served | undefined

  beforeAll(async () => {
    browser = await launchChromium(chromiumPath!)
  })
  afterAll(async () => {
    await browser?.close()
  })
  afterEach(async () => {
    await context?.close()
    await served?.stop()
  })

  test('reconnects after the server restarts and shows what happened meanwhile', async () => {
    const first = await startServe()
    served = first
    context = await browser.newContext()
    const jobs = new JobsPage(await context.newPage())
    const problems = watchProblems(jobs.page)
    await jobs.open(first.url)
    await jobs.connection('live').waitFor()
    const before = await first.call('enqueueJobs', { jobs: [{ prompt: 'before the restart' }] })
    await jobs.waitForJobs(before.jobIds, 'completed')

    await first.stop({ keepData: true })
    await jobs.connection('reconnecting').waitFor()
    served = await startServe({ again: first })
    // Jobs that ran while the page was not listening still show once it is back.
    const after = await served.call('enqueueJobs', { jobs: [{ prompt: 'after the restart' }, { prompt: 'and another' }] })
    await jobs.connection('live').waitFor()
    await jobs.waitForJobs(after.jobIds, 'completed')
    await jobs.count('completed', 3).waitFor()
    // While the server was down, the browser logged its refused connections; nothing else may go wrong.
    expect(problems.filter((problem) => !problem.includes('ERR_CONNECTION_REFUSED'))).toEqual([])
  })
})
