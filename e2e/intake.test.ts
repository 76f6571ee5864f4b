/**
 * Drag-in end to end in Chromium against `genops serve`: the shared good and bad prompt
 * fixtures dropped on the window, every bad file's errors shown with their lines and
 * nothing enqueued from it, the good ones enqueued as one batch with the dialog's choices,
 * and watched to completion on the jobs screen.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, test } from 'vitest'
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base'
import { bad, BAD_ERRORS, FIXTURES, good, GOOD_JOBS } from '../test/intake/fixtures'
import { describeBlocking, runAxe } from './fixtures/axe'
import { saveScreenshots } from './fixtures/screenshots'
import { useServedPage } from './fixtures/session'
import { IntakePage } from './pages/intake-page'
import { JobsPage } from './pages/jobs-page'
import { openScreen } from './pages/screens'

const chromiumPath = inject('chromiumPath')
const goodFiles = readdirSync(join(FIXTURES, 'good')).sort()
const badFiles = readdirSync(join(FIXTURES, 'bad')).sort()
const goodJobs = goodFiles.reduce((sum, name) => sum + GOOD_JOBS[name]!.length, 0)
const scratch = mkdtempSync(join(tmpdir(), 'genops-e2e-intake-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe.skipIf(!chromiumPath && process.env.CI !== 'true')('drag-in', () => {
  const session = useServedPage(chromiumPath!, { viewport: { width: 1280, height: 900 } })

  test('shows the bad files with their lines, enqueues only the good ones, and they complete', async () => {
    const { page, served } = session
    const jobs = new JobsPage(page)
    const intake = new IntakePage(page)
    // Files can be dropped on any screen.
    await openScreen(page, served.url, 'failures')
    await intake.until('idle')

    const transfer = await intake.dataTransfer([...goodFiles.map(good), ...badFiles.map(bad)])
    await intake.dragOver(transfer)
    await saveScreenshots(page, 'drop-overlay')
    await intake.drop(transfer)
    await intake.until('preview')

    for (const name of goodFiles)
      await intake
        .file(name, true)
        .and(page.locator(`[data-jobs="${GOOD_JOBS[name]!.length}"]`))
        .waitFor()
    for (const name of badFiles) {
      await intake.file(name, false).waitFor()
      const errors = await intake.errorsOf(name)
      expect(errors).toHaveLength(BAD_ERRORS[name]!.length)
      BAD_ERRORS[name]!.forEach((expected, i) => (typeof expected === 'string' ? expect(errors[i]).toBe(expected) : expect(errors[i]).toMatch(expected)))
    }
    expect(await intake.totalJobs()).toBe(goodJobs)
    await page.locator('[data-refused-note]').waitFor()
    expect(await intake.enqueue().textContent()).toBe(`Enqueue ${goodJobs} jobs`)
    // Previewing enqueues nothing.
    expect((await served.call('queueStats', {})).counts).toMatchObject({ queued: 0, active: 0, completed: 0 })
    await saveScreenshots(page, 'drop-summary')

    await intake.field('priority').selectOption('high')
    await intake.field('tags').fill('e2e, drag-in')
    await intake.field('maxConcurrency').fill('4')
    await intake.enqueue().click()
    await intake.until('done')
    const batchId = await intake.batchId()
    await saveScreenshots(page, 'drop-done')

    const { jobs: listed } = await served.call('listJobs', { batchId, limit: 500 })
    expect(listed).toHaveLength(goodJobs)
    const all = await served.call('listJobs', { limit: 500 })
    expect(all.jobs).toHaveLength(goodJobs)
    // Nothing from a bad file: their prompts ("prompt 0" of broken-line.jsonl, "ok" of wrong-types.json) are nowhere.
    expect(all.jobs.map((job) => job.promptPreview)).not.toContain('prompt 0')
    expect(all.jobs.map((job) => job.promptPreview)).not.toContain('ok')
    const detail = await served.call('getJob', { id: listed.at(-1)!.id })
    expect(detail.tags).toEqual(expect.arrayContaining(['e2e', 'drag-in']))

    await page.getByRole('button', { name: 'Show jobs' }).click()
    await intake.until('idle')
    await jobs.count('completed', goodJobs).waitFor()
    expect(session.problems).toEqual([])
  })

  test('chosen files are checked before upload, and Cancel enqueues nothing', async () => {
    const { page, served } = session
    const intake = new IntakePage(page)
    await openScreen(page, served.url, 'settings')
    const notPrompts = join(scratch, 'holiday.mp4')
    writeFileSync(notPrompts, 'not a video, but named like one')
    await intake.choose([good('one-prompt.txt'), notPrompts])
    await intake.until('preview')
    await intake.file('one-prompt.txt', true).waitFor()
    expect(await intake.errorsOf('holiday.mp4')).toEqual(['holiday.mp4: unknown file type ".mp4": use .txt, .md, .jsonl, .json, .csv'])
    expect(await intake.totalJobs()).toBe(1)

    await intake.cancel().click()
    await intake.until('idle')
    expect((await served.call('listJobs', { limit: 10 })).jobs).toEqual([])
    expect(session.problems).toEqual([])
  })

  test('estimates before Enqueue, offers batch only where the provider has a batch API, names a budget it would cross, and carries the choices', async () => {
    const { page, served } = session
    const intake = new IntakePage(page)
    await served.call('saveProvider', { name: 'work', provider: 'openai', model: 'gpt-4o-mini' })
    await served.call('setBudget', { scope: 'day', unit: 'usd', limit: 0.001, action: 'alert' })
    const prompts = ['Name three rivers.', 'Name three mountains.', 'Name three lakes.']
    const file = join(scratch, 'estimate.jsonl')
    writeFileSync(file, prompts.map((prompt) => JSON.stringify({ prompt, config: { maxTokens: 1000 } })).join('\n'))
    await openScreen(page, served.url, 'jobs')
    await intake.choose([file])
    await intake.until('preview')

    // Each job's own provider, the simulator: estimated, free, and no batch lane.
    await intake.estimateReady()
    expect(await intake.figure('input').getAttribute('data-estimate-input')).toBe(String(prompts.reduce((sum, p) => sum + Math.ceil(p.length / 4), 0)))
    expect(await intake.figure('realtime').getAttribute('data-estimate-realtime')).toBe('0')
    expect(await intake.lane('batch').count()).toBe(0)

    // The openai profile: counted by gpt-4o-mini's tokenizer, batch offered, and the day budget named before Enqueue.
    await intake.field('provider').selectOption('work')
    const counted = prompts.reduce((sum, prompt) => sum + countTokens(prompt), 0)
    await page.locator(`.intake-estimate[data-estimate-state="ready"] [data-estimate-input="${counted}"]`).waitFor()
    const alert = page.locator('.intake-estimate [role="alert"][data-budget-crossed="1"]')
    await alert.waitFor()
    expect(await alert.locator('li').textContent()).toMatch(/^The day budget of \$0\.0010 has \$0\.0010 left; this estimate is \$0\.0018\.$/)
    const blocking = describeBlocking('drop dialog with an estimate', await runAxe(page, '.intake-dialog'))
    expect(blocking).toEqual([])
    await saveScreenshots(page, 'drop-estimate')

    // Batch: half the price, which fits what is left of the budget.
    await intake.lane('batch').check()
    await page.locator('.intake-estimate[data-estimate-state="ready"] [data-estimate-batch][data-chosen="true"]').waitFor()
    await alert.waitFor({ state: 'detached' })
    const realtime = Number(await intake.figure('realtime').getAttribute('data-estimate-realtime'))
    expect(Number(await intake.figure('batch').getAttribute('data-estimate-batch'))).toBeCloseTo(realtime / 2, 12)

    // Back to each job's own (the simulator): the batch lane goes with the provider that had it.
    await intake.field('provider').selectOption('')
    await page.locator('.intake-lane[data-batch-offered="false"]').waitFor()
    expect(await intake.lane('realtime').isChecked()).toBe(true)
    await intake.field('noCache').check()
    await intake.estimateReady()
    await intake.enqueue().click()
    await intake.until('done')
    const { jobs } = await served.call('listJobs', { batchId: await intake.batchId(), limit: 10 })
    expect(jobs).toHaveLength(3)
    expect((await served.call('getJob', { id: jobs[0]!.id })).config).toMatchObject({ cache: false, maxTokens: 1000 })
    expect(session.problems).toEqual([])
  })

  test("shows a big drop's load into the queue as a progress bar that reaches its end, and says so", async () => {
    const { page, served } = session
    const intake = new IntakePage(page)
    const file = join(scratch, 'twenty-thousand.jsonl')
    // An hour's delay: the jobs wait in the queue, so the engine's work does not crowd the page's.
    writeFileSync(file, Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ prompt: `prompt ${i}`, delayMs: 3_600_000 })).join('\n'))
    await openScreen(page, served.url, 'jobs')
    await intake.choose([file])
    await intake.until('preview')
    expect(await intake.totalJobs()).toBe(20_000)
    await intake.estimateReady()
    // Every value the bar takes, as the page shows it (the engine tells the load a few times a second).
    await page.evaluate(`(() => {
      const seen = (window.__loadSeen = [])
      new MutationObserver(() => {
        const bar = document.querySelector('[role="progressbar"][aria-label="Loading the jobs into the queue"]')
        const value = bar && bar.getAttribute('aria-valuenow')
        if (value !== null && value !== undefined && seen.at(-1) !== value) seen.push(value)
      }).observe(document.body, { subtree: true, childList: true, attributes: true })
    })()`)
    await intake.enqueue().click()
    await intake.until('done')
    await page.locator('[data-load-state="done"][data-load-total="20000"]').waitFor()
    expect(await intake.loadBar().getAttribute('aria-valuenow')).toBe('100')
    expect(await page.locator('[data-load-announcement]').textContent()).toBe('All 20,000 jobs loaded.')
    const seen = (await page.evaluate('window.__loadSeen')) as string[]
    // It showed the load under way before it showed it whole.
    expect(seen.some((value) => Number(value) < 100)).toBe(true)
    expect(seen.at(-1)).toBe('100')
    expect(describeBlocking('drop dialog after a big load', await runAxe(page, '.intake-dialog'))).toEqual([])
    expect((await served.call('queueStats', {})).counts.delayed).toBe(20_000)
    expect(session.problems).toEqual([])
  })

  test('a drop of only bad files offers nothing to enqueue', async () => {
    const { page, served } = session
    const intake = new IntakePage(page)
    await openScreen(page, served.url, 'failures')
    await intake.drop(await intake.dataTransfer(badFiles.map(bad)))
    await intake.until('preview')
    expect(await intake.totalJobs()).toBe(0)
    expect(await intake.enqueue().isDisabled()).toBe(true)
    expect(await intake.enqueue().textContent()).toBe('Nothing to enqueue')
    await page.keyboard.press('Escape')
    await intake.until('idle')
    expect(session.problems).toEqual([])
  })
})
