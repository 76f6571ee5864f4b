/** The desktop app itself, where an Electron binary is installed (it is not downloaded in CI). */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { _electron, type ElectronApplication } from 'playwright-core'
import { afterEach, describe, expect, inject, test } from 'vitest'
import type { Bridge } from '../src/shared/bridge'
import { OPERATION_NAMES, type EngineEvent } from '../src/shared/contract'
import { ELECTRON_MAIN_FILE } from './fixtures/paths'
import { JobsPage } from './pages/jobs-page'

const electronPath = inject('electronPath')
/** The page's window, typed here where there is no DOM library. Functions passed to evaluate run in the page: no closures. */
type PageGlobals = { api?: Bridge; require?: unknown; process?: unknown; module?: unknown; Buffer?: unknown; heard?: EngineEvent[] }

// Electron's binary cannot be downloaded on our machines and .ci/run cannot install it: the one skip CI keeps (CI=true included).
describe.skipIf(!electronPath)('desktop app', () => {
  let app: ElectronApplication | undefined
  let dataDir: string | undefined
  afterEach(async () => {
    await app?.close()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  test('opens the jobs screen and runs a job over IPC', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'genops-electron-'))
    app = await _electron.launch({ executablePath: electronPath!, args: [ELECTRON_MAIN_FILE, '--data-dir', dataDir] })
    const jobs = new JobsPage(await app.firstWindow())
    await jobs.app('ready').waitFor()

    // The bridge is the contract's operations and the event feed, nothing more.
    const exposed = await jobs.page.evaluate(() => Object.keys((globalThis as unknown as PageGlobals).api ?? {}).sort())
    expect(exposed).toEqual([...OPERATION_NAMES, 'onEvent'].sort())

    const { jobIds } = await jobs.page.evaluate(() => (globalThis as unknown as PageGlobals).api!.enqueueJobs({ jobs: [{ prompt: 'hello from the desktop' }] }))
    await jobs.waitForJobs(jobIds, 'completed')
    await jobs.count('completed', 1).waitFor()
  })

  test('the page has no Node and may not open windows', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'genops-electron-'))
    app = await _electron.launch({ executablePath: electronPath!, args: [ELECTRON_MAIN_FILE, '--data-dir', dataDir] })
    const page = await app.firstWindow()
    await new JobsPage(page).app('ready').waitFor()
    const globalsSeen = await page.evaluate(() => {
      const globals = globalThis as unknown as PageGlobals & { open(url: string): unknown }
      return {
        require: typeof globals.require,
        process: typeof globals.process,
        module: typeof globals.module,
        Buffer: typeof globals.Buffer,
        opened: globals.open('about:blank'),
      }
    })
    expect(globalsSeen).toEqual({ require: 'undefined', process: 'undefined', module: 'undefined', Buffer: 'undefined', opened: null })
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1)
  })

  test('a second start hands its prompt file to the first window and quits', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'genops-electron-'))
    const file = join(dataDir, 'handed.jsonl')
    writeFileSync(file, '{"prompt":"one"}\n{"prompt":"two"}\n')
    app = await _electron.launch({ executablePath: electronPath!, args: [ELECTRON_MAIN_FILE, '--data-dir', dataDir] })
    const jobs = new JobsPage(await app.firstWindow())
    await jobs.app('ready').waitFor()
    await jobs.page.evaluate(() => {
      const globals = globalThis as unknown as PageGlobals
      globals.heard = []
      globals.api!.onEvent((event) => globals.heard!.push(event))
    })

    const second = spawn(electronPath!, [ELECTRON_MAIN_FILE, '--data-dir', dataDir, file], { stdio: 'ignore' })
    const exitCode = await new Promise<number | null>((resolve) => second.on('exit', resolve))
    expect(exitCode).toBe(0)

    const opened = await jobs.page.waitForFunction(() => {
      const heard = (globalThis as unknown as PageGlobals).heard ?? []
      return heard.find((event) => event.type === 'filesOpened') ?? null
    })
    const event = (await opened.jsonValue()) as Extract<EngineEvent, { type: 'filesOpened' }>
    expect(event.data.files.map((entry) => [entry.name, entry.ok, entry.jobs])).toEqual([['handed.jsonl', true, 2]])
  })
})
