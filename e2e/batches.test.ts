/**
 * The batches screen in Chromium against one `genops serve` for the file: a dropped CSV's
 * progress moving while it runs, its results exported from the window and read back, the
 * batch run again with another seed, and the two real runs compared row by row.
 */
import { readFile } from 'node:fs/promises'
import { parse } from 'csv-parse/sync'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { launchChromium, STATE_TIMEOUT_MS, watchProblems } from './fixtures/browser'
import { saveScreenshots } from './fixtures/screenshots'
import { startServe, type Served } from './fixtures/serve'
import { openScreen } from './pages/screens'

const chromiumPath = inject('chromiumPath')

const JOBS = 16
/** Slow enough, two at a time, that the run takes a few of the screen's refreshes. */
const CSV = ['sku,prompt,config', ...Array.from({ length: JOBS }, (_, i) => `S${i + 1},Describe product ${i + 1},"{""latencyMs"": 400}"`)].join('\n')

/** The open batch's finished count, as the panel announces it. */
const doneOf = (page: Page) => page.locator('[data-batch]').getAttribute('data-batch-done').then(Number)

describe.skipIf(!chromiumPath && process.env.CI !== 'true')('the batches screen', () => {
  let served: Served
  let browser: Browser
  let page: Page
  let problems: string[]

  beforeAll(async () => {
    ;[served, browser] = await Promise.all([startServe(), launchChromium(chromiumPath!)])
    page = await (await browser.newContext({ acceptDownloads: true })).newPage()
    page.setDefaultTimeout(STATE_TIMEOUT_MS)
    problems = watchProblems(page)
  })
  afterAll(async () => {
    await browser?.close()
    await served?.stop()
  })

  test('shows a batch moving, exports it, runs it again and compares the two runs', { timeout: 90_000 }, async () => {
    // Held until the screen is open, so the whole run is watched.
    await served.call('pauseQueue', {})
    const preview = await served.call('previewIntake', { files: [{ name: 'products.csv', contentBase64: Buffer.from(CSV).toString('base64') }] })
    const { batchId } = await served.call('commitIntake', { intakeId: preview.intakeId, defaults: {}, maxConcurrency: 2 })

    await openScreen(page, `${served.url}`.replace(/#.*$/, ''), 'batches')
    await page.locator(`[data-batch-row="${batchId}"] a`).click()
    await page.locator(`[data-batch="${batchId}"][data-batch-state="running"]`).waitFor()
    expect(await doneOf(page)).toBe(0)
    await expect(page.locator('[data-batch]').textContent()).resolves.toContain('the queue is paused')

    await served.call('resumeQueue', {})
    // Part of the way: the bar moved and the batch is not done yet.
    await page.waitForFunction((total) => {
      // The page's own document (this file is type-checked for Node, which has none).
      const { document } = globalThis as unknown as { document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null } }
      const done = Number(document.querySelector('[data-batch]')?.getAttribute('data-batch-done'))
      return done > 0 && done < total
    }, JOBS)
    await page.locator(`[data-batch="${batchId}"][data-batch-state="finished"][data-batch-done="${JOBS}"]`).waitFor()

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('button[data-export="csv"]').click()])
    expect(download.suggestedFilename()).toMatch(new RegExp(`^batch-${batchId}-\\d+-products\\.results\\.csv$`))
    const rows = parse(await readFile(await download.path(), 'utf8'), { columns: true }) as Record<string, string>[]
    expect(rows.map((row) => row.sku)).toEqual(Array.from({ length: JOBS }, (_, i) => `S${i + 1}`))
    expect(rows.every((row) => row.state === 'completed' && row.output!.length > 0 && row.file === 'products.csv')).toBe(true)
    await page.locator('[data-batches-notice="info"]').waitFor()

    const rerun = page.locator('form[data-rerun-form]')
    await rerun.locator('[name="config"]').fill('{"seed": 5, "latencyMs": 5}')
    await rerun.locator('button[data-rerun="estimate"]').click()
    await rerun.locator('[data-rerun-estimate="0"]').waitFor()
    await rerun.locator('button[data-rerun="run"]').click()
    await page.locator('[data-batches-notice="info"]', { hasText: 'runs again as batch' }).waitFor()
    const second = batchId + 1
    await page.locator(`[data-batch-row="${second}"]`).waitFor()
    // The comparison reads finished runs: wait for the second to finish, as its row announces.
    await page.locator(`[data-batch-row="${second}"] [data-batch-done="${JOBS}"]`).waitFor()

    const compare = page.locator('form[data-compare-form]')
    await expect(compare.locator('[name="a"]').inputValue()).resolves.toBe(String(batchId))
    await expect(compare.locator('[name="b"]').inputValue()).resolves.toBe(String(second))
    await compare.locator('button[type="submit"]').click()
    const compared = page.locator(`[data-compared-rows="${JOBS}"][data-matched-by="input row"]`)
    await compared.waitFor()
    await expect(page.locator('[data-compare-row="products.csv:2"] .diff-added').count()).resolves.toBeGreaterThan(0)
    await saveScreenshots(page, 'batches')

    const differ = await page.locator('[data-compare-row][data-same="false"]').count()
    await compare.locator('[name="different"]').check()
    const [answer] = await Promise.all([
      page.waitForResponse(
        (response) => response.url().endsWith('/api/compareBatches') && (response.request().postData() ?? '').includes('"onlyDifferent":true'),
      ),
      compare.locator('button[type="submit"]').click(),
    ])
    expect(((await answer.json()) as { rows: unknown[] }).rows).toHaveLength(differ)
    await page.locator(`[data-compare-state="done"] [data-compared-rows="${differ}"]`).waitFor()
    expect(await page.locator('[data-compare-row][data-same="true"]').count()).toBe(0)
    expect(problems).toEqual([])
  })
})
