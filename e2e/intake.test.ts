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
import { bad, BAD_ERRORS, FIXTURES, good, GOOD_JOBS } from '../test/intake/fixtures'
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
