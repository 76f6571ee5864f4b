/**
 * Accessibility end to end, against one `genops serve` holding a busy queue (thousands of
 * jobs waiting, dead ones, a firing alert): axe-core on every screen the navigation lists,
 * the job detail and every dialog, in the light and the dark scheme, failing on any critical
 * or serious violation; the same places at 200% zoom of a 1280-pixel window, where nothing
 * may scroll sideways or be cut off; and reduced motion honoured. One server and one browser
 * for the file; schemes, motion and width are switched on the same page.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { countByImpact, describeBlocking, runAxe, type AxeViolation, type ImpactCounts } from './fixtures/axe'
import { launchChromium, STATE_TIMEOUT_MS, watchProblems } from './fixtures/browser'
import { fillBusyQueue, type BusyQueue } from './fixtures/busy-queue'
import { motionProblems, reflowProblems } from './fixtures/layout-checks'
import { SCREENSHOTS_DIR } from './fixtures/screenshots'
import { startServe, type Served } from './fixtures/serve'
import { detailAndDialogs, goToScreen, navScreens, type View } from './pages/views'

const chromiumPath = inject('chromiumPath')
const SCHEMES = ['light', 'dark'] as const
const WINDOW = { width: 1280, height: 900 }
/** The same window at 200% zoom: half as many CSS pixels each way. */
const ZOOMED = { width: WINDOW.width / 2, height: WINDOW.height / 2 }
const scratch = mkdtempSync(join(tmpdir(), 'genops-e2e-a11y-'))
const promptFile = join(scratch, 'prompts.jsonl')
writeFileSync(promptFile, ['{"prompt":"Name three rivers."}', '{"prompt":"Name three mountains."}'].join('\n'))

interface Finding {
  where: string
  scheme: (typeof SCHEMES)[number]
  counts: ImpactCounts
  violations: AxeViolation[]
}

/** Waits for transitions a scheme switch starts (a colour mid-fade is no colour to judge); endless animations are left running. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(
    'Promise.all(document.getAnimations().filter((a) => a.effect?.getTiming().iterations !== Infinity).map((a) => a.finished.catch(() => null)))',
  )
}

async function checkBothSchemes(page: Page, where: string, scope: string | undefined, findings: Finding[]): Promise<void> {
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme })
    await settle(page)
    const violations = await runAxe(page, scope)
    findings.push({ where, scheme, counts: countByImpact(violations), violations })
  }
}

/** One line per place and scheme, for the log and the issue notes. */
function report(findings: readonly Finding[]): string {
  const lines = findings.map(({ where, scheme, counts, violations }) => {
    const rules = violations.map((v) => `${v.rule}:${v.nodes.length}`).join(' ')
    return `${where.padEnd(16)} ${scheme.padEnd(5)} critical ${counts.critical} serious ${counts.serious} moderate ${counts.moderate} minor ${counts.minor}  ${rules}`
  })
  return ['axe-core violations (nodes) by place and scheme:', ...lines].join('\n')
}

describe.skipIf(!chromiumPath && process.env.CI !== 'true')('accessibility', () => {
  let served: Served
  let busy: BusyQueue
  let browser: Browser
  let page: Page
  let problems: string[]

  beforeAll(async () => {
    ;[served, browser] = await Promise.all([startServe(), launchChromium(chromiumPath!)])
    busy = await fillBusyQueue(served)
    const context = await browser.newContext({ viewport: WINDOW })
    page = await context.newPage()
    page.setDefaultTimeout(STATE_TIMEOUT_MS)
    problems = watchProblems(page)
    await page.goto(served.url)
    await page.locator('[data-app-state="ready"]').waitFor()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await served?.stop()
    rmSync(scratch, { recursive: true, force: true })
  })

  test('every screen, the job detail and every dialog pass axe-core in both schemes', { timeout: 180_000 }, async () => {
    const findings: Finding[] = []
    const screens = await navScreens(page)
    for (const screen of screens) {
      await goToScreen(page, screen)
      await checkBothSchemes(page, screen, undefined, findings)
    }
    const views: View[] = detailAndDialogs(page, { deadJobId: busy.deadJobId, promptFile })
    for (const view of views) {
      await view.open()
      await checkBothSchemes(page, view.name, view.scope, findings)
      await view.close?.()
    }
    await page.emulateMedia({ colorScheme: null })

    const text = report(findings)
    console.log(text)
    mkdirSync(SCREENSHOTS_DIR, { recursive: true })
    writeFileSync(join(SCREENSHOTS_DIR, '..', 'axe.json'), JSON.stringify(findings, null, 2))
    expect(screens.length).toBeGreaterThanOrEqual(6)
    expect(findings.flatMap(({ where, scheme, violations }) => describeBlocking(`${where} (${scheme})`, violations))).toEqual([])
    expect(problems).toEqual([])
  })

  test('at 200% zoom of a 1280-pixel window nothing scrolls sideways or is cut off, on any screen or dialog', async () => {
    await page.setViewportSize(ZOOMED)
    const found: string[] = []
    for (const screen of await navScreens(page)) {
      await goToScreen(page, screen)
      found.push(...(await reflowProblems(page)).map((problem) => `${screen}: ${problem}`))
    }
    for (const view of detailAndDialogs(page, { deadJobId: busy.deadJobId, promptFile })) {
      await view.open()
      found.push(...(await reflowProblems(page)).map((problem) => `${view.name}: ${problem}`))
      await view.close?.()
    }
    await page.setViewportSize(WINDOW)
    expect(found).toEqual([])
    expect(problems).toEqual([])
  })

  test('with reduced motion asked for, nothing on a screen animates or slides', async () => {
    await page.emulateMedia({ reducedMotion: 'reduce' })
    const found: string[] = []
    // The alerts screen has switches that slide; the jobs screen, progress that sweeps.
    for (const screen of ['alerts', 'jobs']) {
      await goToScreen(page, screen)
      found.push(...(await motionProblems(page)).map((problem) => `${screen}: ${problem}`))
    }
    await page.emulateMedia({ reducedMotion: null })
    expect(found).toEqual([])
  })
})
