/**
 * The whole app from the keyboard alone, in Chromium against `genops serve`: open a prompt
 * file with the picker, enqueue it, select a range in the virtualised job list and keep the
 * focus while it scrolls, find the failed job, retry it from its detail, and pause the
 * queue. Along the way: the skip link, the drop dialog keeping and returning the focus, and
 * what the live regions say (the alert that fired, the drop enqueued, the batch finished).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, test } from 'vitest'
import { STATE_TIMEOUT_MS } from './fixtures/browser'
import { useServedPage } from './fixtures/session'
import { JobsPage } from './pages/jobs-page'
import { focusIsOn, focusIsVisible, hasFocus, openPickerWithEnter, tabTo } from './pages/keyboard'

const chromiumPath = inject('chromiumPath')
const scratch = mkdtempSync(join(tmpdir(), 'genops-e2e-keyboard-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))
/** Older jobs, waiting an hour: enough that the list is virtualised and pages in more as it is scrolled. */
const WAITING = 300

const prompts = join(scratch, 'prompts.jsonl')
writeFileSync(
  prompts,
  [
    { prompt: 'Name three rivers.' },
    { prompt: 'Name three mountains.' },
    // Fails its one attempt: the dead job the operator finds and retries.
    { prompt: 'Name three deserts.', attempts: 1, config: { failAttempts: 1 } },
  ]
    .map((job) => JSON.stringify(job))
    .join('\n'),
)

describe.skipIf(!chromiumPath && process.env.CI !== 'true')('the keyboard alone', () => {
  const session = useServedPage(chromiumPath!, { viewport: { width: 1280, height: 900 } })

  test('opens a file with the picker, enqueues it, finds the failed job, retries it and pauses the queue', async () => {
    const { page, served } = session
    const jobs = new JobsPage(page)
    await served.call('enqueueJobs', { jobs: Array.from({ length: WAITING }, (_, i) => ({ prompt: `later ${i}`, delayMs: 3_600_000 })) })
    await jobs.open(served.url)
    const polite = page.locator('[data-announcer="polite"]')
    const assertive = page.locator('[data-announcer="assertive"]')

    // A critical alert firing is said at once, whatever has the focus.
    await served.call('saveAlertRule', { name: 'KeyboardWaiting', signal: 'jobs_waiting', op: '>=', threshold: 0, severity: 'critical', summary: 'Jobs wait' })
    await assertive.getByText('Alert KeyboardWaiting firing (critical): Jobs wait').waitFor({ state: 'attached' })

    // The first Tab shows the skip link; past it, the top bar's "Choose files…" opens the system's file picker.
    await page.keyboard.press('Tab')
    await focusIsOn(page, '.skip-link')
    expect(await focusIsVisible(page)).toBe(true)
    await tabTo(page, 'button[data-choose-files]')
    const chooser = await openPickerWithEnter(page, 'button[data-choose-files]')
    await chooser.setFiles(prompts)

    // The drop dialog takes the focus to Enqueue, and Tab stays inside it.
    await page.locator('[data-intake-state="preview"]').waitFor({ state: 'attached' })
    await focusIsOn(page, 'button[data-intake-enqueue]')
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab')
      expect(await hasFocus(page, '.intake-dialog *')).toBe(true)
    }
    await tabTo(page, 'button[data-intake-enqueue]')
    await page.keyboard.press('Enter')
    await page.locator('[data-intake-state="done"]').waitFor({ state: 'attached' })
    const batchId = Number(await page.locator('[data-batch-id]').getAttribute('data-batch-id'))
    await polite.getByText(`Enqueued 3 jobs as batch ${batchId}, prompts.jsonl.`).waitFor({ state: 'attached' })
    await focusIsOn(page, '.intake-dialog button.button-primary')
    await page.keyboard.press('Enter')
    // "Show jobs": the dialog closes and gives the focus back to the button that opened it.
    await page.locator('.intake-dialog').waitFor({ state: 'detached' })
    await focusIsOn(page, 'button[data-choose-files]')
    await polite.getByText(`Batch ${batchId}, prompts.jsonl, finished: 2 jobs completed, 1 dead.`).waitFor({ state: 'attached' })
    const { jobs: dropped } = await served.call('listJobs', { batchId })
    const dead = dropped.find((job) => job.state === 'dead')!
    expect(dead).toBeDefined()

    // The list is one Tab stop; End goes to the last job loaded, Shift+↑ ticks a range upwards.
    await tabTo(page, '[role="row"][data-job-id]')
    await page.keyboard.press('End')
    await jobs.loaded(WAITING + 3).waitFor()
    const last = await page.evaluate('document.activeElement.dataset.jobId')
    await page.keyboard.press('Shift+ArrowUp')
    await page.keyboard.press('Shift+ArrowUp')
    await jobs.selected(3).waitFor()
    const current = await page.evaluate('document.activeElement.dataset.jobId')
    expect(current).not.toBe(last)
    // Scrolled back to the top (the wheel, the scroll bar), the row keeps the focus: the list keeps it in the page.
    await page.locator('.list-scroll').evaluate((list) => list.scrollTo({ top: 0 }))
    await page.waitForFunction(`document.querySelector('.list-scroll').scrollTop === 0`)
    await focusIsOn(page, `[role="row"][data-job-id="${current}"]`)
    await page.keyboard.press('Space')
    await jobs.selected(2).waitFor()
    await tabTo(page, '.selection-bar button.button-quiet', { back: true })
    await page.keyboard.press('Enter')
    await page.locator('[data-selected]').waitFor({ state: 'detached' })

    // The dead job: its state tab filters the list, Enter on its row opens the detail with the focus in it.
    await tabTo(page, 'button[data-count-state="dead"]', { back: true })
    await page.keyboard.press('Enter')
    await jobs.showing({ state: 'dead' })
    const row = `[role="row"][data-job-id="${dead.id}"]`
    await tabTo(page, row)
    await page.keyboard.press('Enter')
    await jobs.detail(dead.id, 'dead').waitFor()
    await focusIsOn(page, '[data-detail-job] h2')
    // Escape closes the detail and the focus goes back to the job's row; Enter opens it again.
    await page.keyboard.press('Escape')
    await page.locator('[data-detail-job]').waitFor({ state: 'detached' })
    await focusIsOn(page, row)
    await page.keyboard.press('Enter')
    await jobs.detail(dead.id, 'dead').waitFor()
    await tabTo(page, '[data-detail-job] button[data-action="retry"]')
    expect(await focusIsVisible(page)).toBe(true)
    await page.keyboard.press('Enter')
    await expect
      .poll(async () => (await served.call('getJob', { id: dead.id })).events.some((event) => event.from === 'dead' && event.to === 'queued'), {
        timeout: STATE_TIMEOUT_MS,
      })
      .toBe(true)

    // And the queue pauses from its button in the top bar.
    await tabTo(page, 'button[data-paused="false"]', { back: true })
    await page.keyboard.press('Enter')
    await jobs.paused(true).waitFor()
    await polite.getByText('Queue paused: running attempts finish, queued jobs wait.').waitFor({ state: 'attached' })
    expect((await served.call('queueStats', {})).paused).toBe(true)
    expect(session.problems).toEqual([])
  })
})
