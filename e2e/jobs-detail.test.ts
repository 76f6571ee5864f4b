/** A job's detail beside the list: attempts, output, the trace as a waterfall, and cancelling a running job from it. */
import { describe, expect, inject, test } from 'vitest'
import { saveScreenshots } from './fixtures/screenshots'
import { useServedPage } from './fixtures/session'
import { JobsPage } from './pages/jobs-page'

const chromiumPath = inject('chromiumPath')

describe.skipIf(!chromiumPath && process.env.CI !== 'true')('job detail', () => {
  const session = useServedPage(chromiumPath!, { viewport: { width: 1400, height: 900 } })

  test('shows a job that failed once then completed: both attempts, its JSON output, its waterfall and its events', async () => {
    const { page, served } = session
    const jobs = new JobsPage(page)
    await jobs.open(served.url)
    const { jobIds } = await served.call('enqueueJobs', {
      jobs: [{ prompt: 'Answer in JSON: what is a queue?', config: { failAttempts: 1, latencyMs: 300, output: 'json' }, tags: ['demo'] }],
    })
    const id = jobIds[0]!
    await jobs.waitForJobs([id], 'completed')

    const detail = await jobs.openJob(id)
    expect(page.url()).toContain(`#/jobs/${id}`)
    await jobs.detail(id, 'completed').waitFor()
    const attempts = detail.locator('[data-attempt]')
    expect(await attempts.count()).toBe(2)
    expect(await attempts.nth(0).getAttribute('data-outcome')).toBe('error')
    expect(await attempts.nth(0).textContent()).toContain('SERVICE_UNAVAILABLE')
    expect(await attempts.nth(0).locator('.attempt-error').textContent()).toBe('simulated SERVICE_UNAVAILABLE on attempt 1 of the first 1')
    expect(await attempts.nth(1).getAttribute('data-outcome')).toBe('ok')
    expect(await attempts.nth(1).textContent()).toMatch(/\d+ in · \d+ out tokens/)

    // JSON output, pretty and foldable; the parameters as they were given.
    await detail.locator('[data-output="json"] .json-key', { hasText: '"text"' }).waitFor()
    expect(JSON.parse((await detail.locator('[data-section="config"] pre').textContent())!)).toEqual({ failAttempts: 1, latencyMs: 300, output: 'json' })
    expect(await detail.locator('[data-artifact]').textContent()).toMatch(/\.json$/)

    // One waterfall per attempt; the provider call nested under the attempt, with its first token.
    await detail.locator('[data-waterfall="2"]').waitFor()
    const second = detail.locator('.waterfall').nth(1)
    expect(await second.locator('[data-span]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-span')))).toEqual(
      expect.arrayContaining(['attempt', 'queue wait', 'provider call']),
    )
    await second.locator('[data-span="provider call"] [data-event="first token"]').waitFor()
    expect(await detail.locator('.waterfall').nth(0).locator('[data-span="attempt"]').getAttribute('data-span-status')).toBe('error')

    expect(await detail.locator('[data-event-to]').evaluateAll((items) => items.map((item) => item.getAttribute('data-event-to')))).toEqual([
      'active',
      'queued',
      'active',
      'completed',
    ])
    // The failed attempt's warning from the engine's log, with its line.
    await detail.locator('[data-section="log"] [data-log-lines]').waitFor()
    expect(await detail.locator('[data-section="log"]').textContent()).toMatch(/attempt 1 of job \d+ failed: SERVICE_UNAVAILABLE/)
    await saveScreenshots(page, 'job-detail')
    await detail.locator('[data-section="attempts"]').scrollIntoViewIfNeeded()
    await saveScreenshots(page, 'job-detail-attempts')

    // Esc closes it.
    await page.keyboard.press('Escape')
    await page.locator('[data-detail-job]').waitFor({ state: 'detached' })
    expect(session.problems).toEqual([])
  })

  test('shows the model each attempt ran, the severity of a failure and where an unknown error was thrown', async () => {
    const { page, served } = session
    const jobs = new JobsPage(page)
    await jobs.open(served.url)
    await served.call('saveProvider', { name: 'mini', provider: 'sim', model: 'sim-mini' })
    // The job names no model: its profile's default runs.
    const { jobIds } = await served.call('enqueueJobs', {
      jobs: [{ prompt: 'Fail oddly once.', provider: 'mini', config: { failAttempts: 1, failCategory: 'UNKNOWN' } }],
    })
    const id = jobIds[0]!
    await jobs.waitForJobs([id], 'completed')

    const detail = await jobs.openJob(id)
    await jobs.detail(id, 'completed').waitFor()
    expect(await detail.locator('.job-facts > div', { hasText: 'Model' }).locator('dd').textContent()).toBe('sim-mini (the profile’s default)')
    const first = detail.locator('[data-attempt="1"]')
    expect(await first.locator('[data-severity]').getAttribute('data-severity')).toBe('warning')
    expect(await first.locator('[data-attempt-model]').textContent()).toBe('sim-mini')
    await first.locator('[data-stack] summary').click()
    expect(await first.locator('[data-stack] pre').textContent()).toMatch(/^AttemptError: simulated UNKNOWN on attempt 1[\s\S]*\n\s+at /)
    const second = detail.locator('[data-attempt="2"]')
    expect(await second.locator('[data-attempt-model]').textContent()).toBe('sim-mini')
    expect(await second.locator('[data-severity], [data-stack]').count()).toBe(0)
    await saveScreenshots(page, 'job-detail-triage')
    expect(session.problems).toEqual([])
  })

  test('cancels a running job from its detail', async () => {
    const { page, served } = session
    const jobs = new JobsPage(page)
    const { jobIds } = await served.call('enqueueJobs', { jobs: [{ prompt: 'Write slowly.', config: { latencyMs: 20_000 } }] })
    const id = jobIds[0]!
    // Straight to the job by its address.
    await page.goto(`${served.url}#/jobs/${id}`)
    const detail = jobs.detail(id, 'active')
    await detail.waitFor()
    await detail.locator('[role="progressbar"][aria-valuenow]').waitFor()

    await jobs.detailAction('cancel')
    await jobs.detail(id, 'cancelled').waitFor()
    await jobs.row(id, 'cancelled').waitFor()
    const attempt = page.locator('[data-detail-job] [data-attempt="1"]')
    expect(await attempt.getAttribute('data-outcome')).toBe('cancelled')
    // The attempt was stopped, not left to run: nothing comes back after the cancel.
    const job = await served.call('getJob', { id })
    expect(job.output).toBeNull()
    expect(job.attempts).toHaveLength(1)

    // Cancelled jobs can be retried or deleted from here; a deleted one closes its detail.
    expect(await page.locator('[data-detail-job] [data-action]').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('data-action')))).toEqual([
      'retry',
      'delete',
    ])
    await jobs.detailAction('delete')
    await jobs.detailAction('delete')
    await page.locator('[data-detail-job]').waitFor({ state: 'detached' })
    await jobs.row(id).waitFor({ state: 'detached' })
    expect(session.problems).toEqual([])
  })
})
