/** The desktop app itself, where an Electron binary is installed (it is not downloaded in CI). */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { _electron, type ElectronApplication } from 'playwright-core'
import { afterEach, describe, expect, inject, test } from 'vitest'
import type { Bridge } from '../src/shared/bridge'
import { OPERATION_NAMES } from '../src/shared/contract'
import { ELECTRON_MAIN_FILE } from './fixtures/paths'
import { JobsPage } from './pages/jobs-page'

const electronPath = inject('electronPath')
/** The page's window, typed here where there is no DOM library. Functions passed to evaluate run in the page: no closures. */
type PageGlobals = { api?: Bridge }

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
})
