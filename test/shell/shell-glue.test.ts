/**
 * The built shell (out/main/index.js) started in Node on a fake Electron
 * (test/shell/fake-electron) with a real engine: Electron's binary cannot run everywhere the
 * tests do, and the glue between the pure modules and Electron's API still has to hold.
 * What Electron itself does (drawing, the OS) is e2e/electron.test.ts's, where it runs.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src/shared/contract'
import type { MenuItem } from '../../src/main/shell/menu-template'
import { databaseFile } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { driveShell, shellBuilt } from '../support/desktop-shell'
import { tempDir } from '../support/temp'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

type Shown = [string, ...unknown[]]

async function drive(dataDir: string, first: string, second: string): Promise<Shown[]> {
  return (await driveShell<Shown[]>('drive.mjs', [dataDir, first, second])).printed
}

describe.runIf(shellBuilt)('the built shell on a fake Electron', () => {
  it('opens the locked window, menu and tray, takes handed files, and does what the menu says', async () => {
    const dataDir = tempDir()
    const first = join(dataDir, 'first.jsonl')
    const second = join(dataDir, 'second.md')
    writeFileSync(first, '{"prompt":"one"}\n{"prompt":"two"}\n')
    writeFileSync(second, '# Write a limerick about leases')
    // A rule that fires as soon as the engine first evaluates, for the tray and a notification.
    const store = SqliteQueueStore.open(databaseFile(dataDir))
    store.alerts.saveRule(
      'ShellAlwaysFiring',
      { name: 'ShellAlwaysFiring', signal: 'jobs_waiting', op: '>=', threshold: 0, severity: 'critical', summary: 'fires at once' },
      Date.now(),
    )
    store.close()
    const shown = await drive(dataDir, first, second)
    const all = (kind: string) => shown.filter((entry) => entry[0] === kind)
    const events = all('send').map((entry) => entry[2] as EngineEvent)

    const [window] = all('window')
    expect(window![1]).toMatchObject({
      webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, preload: join(ROOT, 'out/preload/index.cjs') },
    })
    expect(all('load')[0]![1]).toBe(`file://${join(ROOT, 'out/renderer/index.html')}`)
    expect(all('tray')[0]![1]).toBe(join(ROOT, 'resources/icons/tray-ok.png'))
    expect(all('tooltip').at(-1)![1]).toMatch(/^GenOps: /)

    // The file given at start, then the second start's: each its own preview; the missing one a notice.
    const opened = events.filter((event) => event.type === 'filesOpened').map((event) => event.data.files.map((file) => [file.name, file.ok, file.jobs]))
    expect(opened).toEqual([[['first.jsonl', true, 2]], [['second.md', true, 1]]])
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'notice', data: expect.objectContaining({ message: 'Could not open missing.csv: no such file' }) }),
    )

    // File › Pause queue paused it, and the menu and the tray then offered to resume.
    const labels = (menu: MenuItem[]): string[] => menu.flatMap((item) => [item.label ?? '', ...labels(item.submenu ?? [])])
    expect(labels(all('menu').at(-1)![1] as MenuItem[])).toContain('Resume queue')
    expect(labels(all('tray-menu').at(-1)![1] as MenuItem[])).toContain('Resume queue')
    // View › Alerts asked the window to show them; Export wrote a bundle and showed it.
    expect(events).toContainEqual({ type: 'show', data: { route: '#/alerts' } })
    expect(all('show-item')[0]![1]).toMatch(new RegExp(`^${dataDir}/bundles/.+\\.zip$`))
    // The alert fired: a notification naming it, the tray alerting; clicking it showed that alert.
    expect(all('notification')[0]![1]).toEqual({ title: 'ShellAlwaysFiring firing (critical)', body: 'fires at once' })
    expect(all('tray-image').at(-1)![1]).toBe(join(ROOT, 'resources/icons/tray-alerting.png'))
    expect(events).toContainEqual({ type: 'show', data: { route: '#/alerts/ShellAlwaysFiring' } })
    // Closing the window left the app running in the tray, and said so once; the tray's Quit ended it.
    expect(all('notification').map((entry) => (entry[1] as { title: string }).title)).toContain('GenOps is still running')
    // Quitting waited for the engine to close, then quit (the window's closing did not).
    expect(shown.map((entry) => entry[0]).filter((kind) => kind.startsWith('quit'))).toEqual(['quit', 'quit-delayed', 'quit'])
    expect(all('error-box')).toEqual([])
  })
})
