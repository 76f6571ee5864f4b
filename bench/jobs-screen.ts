/**
 * The jobs screen with 100,000 jobs: `genops serve` (the built app) on a data directory
 * filled beforehand, the page in headless Chromium. Measured in the page's own clock, so
 * Playwright's round trips are not in the figures:
 *
 * - first render: from the start of navigation to the first rows on screen;
 * - filter: from the click (or the change of a select, or Enter in the tag field) to the
 *   list announcing the new query ready (`data-list-state="ready"` with its `data-query`);
 * - search: from the keystroke to ready; the 250 ms pause the search box waits for the next
 *   key is part of what the operator feels, so it is in the first column and out of the second;
 * - paging in and scrolling: the next 500 rows after a scroll to the end, and frame times
 *   while the list is scrolled through fast.
 *
 * The queue is paused, so the engine runs nothing meanwhile. Prints figures; asserts nothing.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { loadavg } from 'node:os'
import { createInterface } from 'node:readline'
import { chromium, type Page } from 'playwright-core'
import { CHROMIUM_ARGS } from '../e2e/fixtures/browser'
import { CLI_FILE, RENDERER_INDEX } from '../e2e/fixtures/paths'
import { toNewJob } from '../src/main/operations'
import { databaseFile } from '../src/main/paths'
import { SqliteQueueStore } from '../src/main/store/sqlite/queue'
import { queryKey, type JobFilters, type JobSort } from '../src/shared/job-list'
import { formatNumber, machine, onExit, quietMachine, table, tempDir } from './support'

export interface JobsScreenBenchOptions {
  quick: boolean
  /** How the bench was started, printed as is. */
  command: string
}

const SIZES = { full: 100_000, quick: 10_000 }
const RUNS = { full: 5, quick: 2 }
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const COMPONENTS = ['a todo app', 'a weather widget', 'a pricing table', 'a login form', 'an FAQ accordion']
/** One job in this many carries the rare tag. */
const RARE_EVERY = 5000

/** Jobs like an operator's, in every state: mostly completed, some dead and cancelled, the rest queued or delayed. */
function fill(dir: string, count: number): void {
  const store = SqliteQueueStore.open(databaseFile(dir))
  try {
    store.setPaused(true)
    const now = Date.now()
    for (let start = 0; start < count; start += 20_000) {
      const jobs = Array.from({ length: Math.min(20_000, count - start) }, (_, k) => {
        const i = start + k
        const provider = i % 20 === 0 ? 'anthropic' : i % 10 === 0 ? 'openai' : 'sim'
        return toNewJob(
          {
            prompt: `Generate a React component for ${COMPONENTS[i % COMPONENTS.length]}. Variant ${i}. Keep it accessible and small.`,
            provider,
            ...(provider === 'openai' ? { model: 'gpt-4o-mini' } : provider === 'anthropic' ? { model: 'claude-haiku' } : {}),
            priority: (['normal', 'normal', 'high', 'low'] as const)[i % 4],
            tags: ['ui', `group-${i % 50}`, ...(i % RARE_EVERY === 0 ? ['rare'] : [])],
            ...(i % 20 === 7 ? { delayMs: 3_600_000 } : {}),
          },
          {},
          now,
        )
      })
      store.enqueue(jobs, `prompts-${start / 20_000 + 1}.jsonl`, now)
    }
    // The oldest 60 % ran: one in thirty died, the rest completed.
    const owner = 'bench:1:fill'
    for (let ran = 0; ran < count * 0.6;) {
      const { jobs } = store.claim({ owner, limit: 1000, now, leaseMs: 60_000 })
      if (jobs.length === 0) break
      store.settle(
        jobs.map((job) =>
          job.id % 30 === 0
            ? {
                id: job.id,
                outcome: 'error' as const,
                endedAt: now,
                category: 'VALIDATION',
                message: 'output is not valid JSON',
                retryable: false,
                retryAt: now,
              }
            : { id: job.id, outcome: 'ok' as const, endedAt: now, output: 'export function Component() {}', inputTokens: 20, outputTokens: 60 },
        ),
        owner,
      )
      ran += jobs.length
    }
    for (let id = 3; id <= count; id += 97) {
      try {
        store.cancel(id, now)
      } catch {
        // Already finished: left as it is.
      }
    }
  } finally {
    store.close()
  }
}

interface Served {
  url: string
  pid: number
  stop(): Promise<void>
}

/** `genops serve` on the filled directory, stopped on exit whatever happens. */
async function serve(dir: string): Promise<Served> {
  const child = spawn(process.execPath, [CLI_FILE, 'serve', '--port', '0', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-5000)))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const release = onExit(() => child.kill('SIGKILL'))
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /^GenOps listening on (http:\/\/\S+)$/.exec(line.trim())
      if (match) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`genops serve exited (${code}) before it was ready: ${stderr}`)))
  })
  return {
    url,
    pid: child.pid ?? 0,
    async stop() {
      release()
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** The few browser globals the in-page code uses: bench/ is type-checked for Node, without the DOM library. */
interface PageElement {
  getAttribute(name: string): string | null
  click(): void
  dispatchEvent(event: unknown): boolean
  scrollTo(options: { top: number }): void
  scrollTop: number
  scrollHeight: number
  clientHeight: number
}
interface PageGlobals {
  document: { querySelector(selector: string): PageElement | null }
  MutationObserver: new (callback: (records: unknown, observer: { disconnect(): void }) => void) => {
    observe(target: unknown, options: object): void
    disconnect(): void
  }
  HTMLSelectElement: { prototype: object }
  HTMLInputElement: { prototype: object }
  Event: new (type: string, init: object) => unknown
  KeyboardEvent: new (type: string, init: object) => unknown
  requestAnimationFrame(callback: (now: number) => void): number
  firstRows?: number
}

type Action =
  { kind: 'click'; selector: string } | { kind: 'select'; selector: string; value: string } | { kind: 'type'; selector: string; value: string; enter?: boolean }

/**
 * Does `action` in the page and returns, in the page's clock, the ms until the list shows
 * `query` ready, and until it first showed `query` at all (the search box's pause ends there).
 */
async function timed(page: Page, action: Action, query: JobFilters & { sort?: JobSort }): Promise<{ ready: number; applied: number; rows: number }> {
  const key = queryKey({ sort: 'newest', ...query })
  return page.evaluate(
    ({ action, key }) =>
      new Promise<{ ready: number; applied: number; rows: number }>((resolve, reject) => {
        const web = globalThis as unknown as PageGlobals
        const list = web.document.querySelector('section.list')
        const target = web.document.querySelector(action.selector)
        if (!list || !target) return reject(new Error(`nothing in the page matches ${action.selector}`))
        let applied = -1
        const started = performance.now()
        const check = () => {
          if (list.getAttribute('data-query') !== key) return false
          if (applied < 0) applied = performance.now() - started
          if (list.getAttribute('data-list-state') !== 'ready') return false
          observer.disconnect()
          resolve({ ready: performance.now() - started, applied, rows: Number(list.getAttribute('data-loaded')) })
          return true
        }
        const observer = new web.MutationObserver(check)
        observer.observe(list, { attributes: true, attributeFilter: ['data-query', 'data-list-state'] })
        if (action.kind === 'click') target.click()
        else {
          // As typing or picking does: React reads the value through its own setter.
          const prototype = action.kind === 'select' ? web.HTMLSelectElement.prototype : web.HTMLInputElement.prototype
          Object.getOwnPropertyDescriptor(prototype, 'value')!.set!.call(target, action.value)
          target.dispatchEvent(new web.Event(action.kind === 'select' ? 'change' : 'input', { bubbles: true }))
          if (action.kind === 'type' && action.enter) target.dispatchEvent(new web.KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
        }
        check()
      }),
    { action, key },
  )
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

interface Row {
  what: string
  ready: number[]
  work: number[] | null
  rows: number
}

export async function runJobsScreenBench({ quick, command }: JobsScreenBenchOptions): Promise<void> {
  const count = quick ? SIZES.quick : SIZES.full
  const runs = quick ? RUNS.quick : RUNS.full
  const host = machine()
  console.log('GenOps jobs screen benchmark' + (quick ? ' (--quick: smaller N, a smoke run; figures are not comparable)' : ''))
  console.log(`command: ${command}`)
  console.log(
    `machine: ${host.cpu}, ${host.cores} cores, ${formatNumber(host.memoryGb, 1)} GB, node ${host.node}, chromium ${CHROMIUM}, load average ${loadavg()
      .map((value) => formatNumber(value, 2))
      .join(' ')}`,
  )
  for (const file of [CLI_FILE, RENDERER_INDEX]) if (!existsSync(file)) throw new Error(`${file} is missing: run \`npx electron-vite build\` first`)
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: set CHROMIUM_PATH`)

  const dir = tempDir('jobs-screen')
  const fillStarted = performance.now()
  fill(dir.path, count)
  console.log(
    [
      'setup:',
      `  ${formatNumber(count)} jobs in ${formatNumber((performance.now() - fillStarted) / 1000, 1)} s: 60 % ran (1 in 30 died), 1 in 97 cancelled, the rest queued (1 in 20 delayed);`,
      `  providers sim, openai (1 in 10), anthropic (1 in 20); tags ui, group-0..49, and "rare" on 1 in ${formatNumber(RARE_EVERY)}. The queue is paused.`,
      '  the built app (`genops serve`, out/) and headless Chromium with the e2e flags, viewport 1400×900; figures in the page clock, median of each run.',
    ].join('\n'),
  )
  const served = await serve(dir.path)
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
  const release = onExit(() => void browser.close())
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } })
    // tsx compiles this file keeping function names through a helper, __name, that the page does not have.
    await context.addInitScript('globalThis.__name ??= (fn) => fn')
    // The moment the first rows are in the page, in its clock (0 is the start of navigation).
    await context.addInitScript(() => {
      const web = globalThis as unknown as PageGlobals
      new web.MutationObserver((_, observer) => {
        if (web.document.querySelector('[data-list-state="ready"] [data-job-id]')) {
          web.firstRows = performance.now()
          observer.disconnect()
        }
      }).observe(web.document, { subtree: true, childList: true, attributes: true })
    })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))

    // Other processes on a shared machine: wait a little for them to quiet down, not for ever.
    const settle = () => quietMachine(() => [served.pid], { threshold: 0.5, maxWaitMs: 3000 })
    const rows: Row[] = []
    const firstRender: number[] = []
    for (let run = 0; run < runs; run++) {
      await settle()
      await page.goto(run === 0 ? served.url : `${new URL(served.url).origin}/`)
      await page.locator('[data-list-state="ready"] [data-job-id]').first().waitFor({ timeout: 60_000 })
      firstRender.push(await page.evaluate(() => (globalThis as unknown as PageGlobals).firstRows ?? NaN))
    }
    rows.push({ what: 'first render (navigation to the first rows)', ready: firstRender, work: null, rows: 200 })

    const clear = async () => {
      await page.evaluate(() => (globalThis as unknown as PageGlobals).document.querySelector('[data-clear-filters]')?.click())
      await page.locator('select[data-filter="sort"]').selectOption('newest')
      await page.locator(`[data-list-state="ready"][data-query="${queryKey({ sort: 'newest' })}"]`).waitFor()
    }
    const cases: { what: string; action: Action; query: JobFilters & { sort?: JobSort }; search?: boolean }[] = [
      { what: 'filter: state completed (tab)', action: { kind: 'click', selector: '[data-count-state="completed"]' }, query: { state: 'completed' } },
      { what: 'filter: state dead (tab)', action: { kind: 'click', selector: '[data-count-state="dead"]' }, query: { state: 'dead' } },
      {
        what: 'filter: provider openai',
        action: { kind: 'select', selector: 'select[data-filter="provider"]', value: 'openai' },
        query: { provider: 'openai' },
      },
      {
        what: 'filter: tag group-7 (1 in 50)',
        action: { kind: 'type', selector: 'input[data-filter="tag"]', value: 'group-7', enter: true },
        query: { tag: 'group-7' },
      },
      {
        what: 'filter: tag rare (1 in 5,000)',
        action: { kind: 'type', selector: 'input[data-filter="tag"]', value: 'rare', enter: true },
        query: { tag: 'rare' },
      },
      { what: 'sort: priority', action: { kind: 'select', selector: 'select[data-filter="sort"]', value: 'priority' }, query: { sort: 'priority' } },
      { what: 'search: "weather" (1 in 5)', action: { kind: 'type', selector: '[data-search]', value: 'weather' }, query: { search: 'weather' }, search: true },
      {
        what: 'search: "Variant 7777" (11 matches)',
        action: { kind: 'type', selector: '[data-search]', value: 'Variant 7777' },
        query: { search: 'Variant 7777' },
        search: true,
      },
      {
        what: 'search: no match',
        action: { kind: 'type', selector: '[data-search]', value: 'no prompt says this' },
        query: { search: 'no prompt says this' },
        search: true,
      },
    ]
    for (const { what, action, query, search } of cases) {
      const row: Row = { what, ready: [], work: search ? [] : null, rows: 0 }
      for (let run = 0; run < runs; run++) {
        await clear()
        await settle()
        const result = await timed(page, action, query)
        row.ready.push(result.ready)
        row.work?.push(result.ready - result.applied)
        row.rows = result.rows
      }
      rows.push(row)
    }

    // Paging in: a scroll to the end of what is loaded brings the next page.
    await clear()
    const paging: number[] = []
    for (let run = 0; run < runs; run++) {
      const result = await page.evaluate(
        () =>
          new Promise<{ ms: number; rows: number }>((resolve) => {
            const web = globalThis as unknown as PageGlobals
            const list = web.document.querySelector('section.list')!
            const before = Number(list.getAttribute('data-loaded'))
            const started = performance.now()
            const observer = new web.MutationObserver(() => {
              const loaded = Number(list.getAttribute('data-loaded'))
              if (loaded > before) {
                observer.disconnect()
                resolve({ ms: performance.now() - started, rows: loaded })
              }
            })
            observer.observe(list, { attributes: true, attributeFilter: ['data-loaded'] })
            const scroller = web.document.querySelector('.list-scroll')!
            scroller.scrollTo({ top: scroller.scrollHeight })
          }),
      )
      paging.push(result.ms)
    }
    rows.push({
      what: 'page in the next 500 rows (scroll to the end)',
      ready: paging,
      work: null,
      rows: Number(await page.locator('section.list').getAttribute('data-loaded')),
    })

    // Smoothness: a fast fling, 1,000 px a frame through what is loaded, frame by frame.
    const frames = await page.evaluate(
      () =>
        new Promise<number[]>((resolve) => {
          const web = globalThis as unknown as PageGlobals
          const scroller = web.document.querySelector('.list-scroll')!
          scroller.scrollTo({ top: 0 })
          const times: number[] = []
          let last = performance.now()
          const step = (now: number) => {
            times.push(now - last)
            last = now
            if (times.length >= 120 || scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight) return resolve(times.slice(1))
            scroller.scrollTop += 1000
            web.requestAnimationFrame(step)
          }
          web.requestAnimationFrame(step)
        }),
    )
    const sorted = [...frames].sort((a, b) => a - b)
    const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0

    console.log('')
    console.log(
      table(
        ['what', 'ms (median)', 'ms (each run)', 'ms after the pause in typing', 'rows shown'],
        rows.map((row) => [
          row.what,
          formatNumber(median(row.ready), 1),
          row.ready.map((value) => formatNumber(value, 0)).join(' '),
          row.work ? formatNumber(median(row.work), 1) : '',
          formatNumber(row.rows),
        ]),
      ),
    )
    console.log('')
    console.log(
      `scrolling through the loaded rows, 1,000 px (about 23 rows) a frame: ${frames.length} frames, frame time p50 ${formatNumber(pick(0.5), 1)} ms, ` +
        `p95 ${formatNumber(pick(0.95), 1)} ms, max ${formatNumber(sorted.at(-1) ?? 0, 1)} ms (${formatNumber(
          await page.locator('[data-job-id]').count(),
        )} rows in the page at the end, of ${formatNumber(Number(await page.locator('section.list').getAttribute('data-loaded')))} loaded).`,
    )
    console.log('  a search types into the box: the list waits 250 ms for the next key before it asks; the last column leaves that pause out.')
    if (errors.length > 0) console.log(`page errors: ${errors.join('; ')}`)
  } finally {
    release()
    await browser.close()
    await served.stop()
    dir.remove()
  }
}
