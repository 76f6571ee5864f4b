/** The application menu as data: every item an operator expects, with its shortcut, and no developer tools once packaged. */
import { describe, expect, it, vi } from 'vitest'
import { menuTemplate, PLACES, type MenuActions, type MenuItem } from '../../src/main/shell/menu-template'

function actions(): MenuActions {
  return { openPromptFiles: vi.fn(), exportBundle: vi.fn(), togglePaused: vi.fn(), show: vi.fn(), openDataFolder: vi.fn() }
}

/** Every item, submenus included. */
function flatten(items: MenuItem[]): MenuItem[] {
  return items.flatMap((item) => [item, ...flatten(item.submenu ?? [])])
}

const byLabel = (items: MenuItem[], label: string) => flatten(items).find((item) => item.label === label)
const roles = (items: MenuItem[]) => flatten(items).flatMap((item) => (item.role ? [item.role] : []))

describe('menuTemplate', () => {
  it('has the usual menus, in the usual order', () => {
    const linux = menuTemplate({ platform: 'linux', packaged: true, paused: false }, actions())
    expect(linux.map((item) => item.label ?? item.role)).toEqual(['File', 'editMenu', 'View', 'windowMenu', 'help'])
    const mac = menuTemplate({ platform: 'darwin', packaged: true, paused: false }, actions())
    expect(mac.map((item) => item.label ?? item.role)).toEqual(['appMenu', 'File', 'editMenu', 'View', 'windowMenu', 'help'])
    // Quitting lives in the app menu on a Mac, in File elsewhere.
    expect(roles(linux)).toContain('quit')
    expect(roles(mac)).not.toContain('quit')
    expect(roles(mac)).toContain('close')
  })

  it('gives File its items and shortcuts, each doing its action', () => {
    const done = actions()
    const template = menuTemplate({ platform: 'linux', packaged: true, paused: false }, done)
    const expected: [string, string, keyof MenuActions][] = [
      ['Open prompt files…', 'CmdOrCtrl+O', 'openPromptFiles'],
      ['Export diagnostic bundle', 'CmdOrCtrl+Shift+E', 'exportBundle'],
      ['Pause queue', 'CmdOrCtrl+Shift+P', 'togglePaused'],
    ]
    for (const [label, accelerator, action] of expected) {
      const item = byLabel(template, label)
      expect(item, label).toMatchObject({ accelerator })
      item!.click!()
      expect(done[action]).toHaveBeenCalledTimes(1)
    }
  })

  it('offers to resume a paused queue', () => {
    const template = menuTemplate({ platform: 'linux', packaged: true, paused: true }, actions())
    expect(byLabel(template, 'Resume queue')).toBeDefined()
    expect(byLabel(template, 'Pause queue')).toBeUndefined()
  })

  it("shows the seven screens from View, numbered as the window's own keys 1-7 are", () => {
    const done = actions()
    const view = menuTemplate({ platform: 'win32', packaged: true, paused: false }, done).find((item) => item.label === 'View')!
    const places = view.submenu!.filter((item) => item.accelerator?.startsWith('CmdOrCtrl+'))
    expect(places.map((item) => [item.label, item.accelerator])).toEqual([
      ['Dashboard', 'CmdOrCtrl+1'],
      ['Jobs', 'CmdOrCtrl+2'],
      ['Batches', 'CmdOrCtrl+3'],
      ['Failures', 'CmdOrCtrl+4'],
      ['Alerts', 'CmdOrCtrl+5'],
      ['Costs', 'CmdOrCtrl+6'],
      ['Settings', 'CmdOrCtrl+7'],
    ])
    places[4]!.click!()
    expect(done.show).toHaveBeenCalledWith('#/alerts')
    expect(PLACES.map((place) => place.route)).toEqual(['#/dashboard', '#/jobs', '#/batches', '#/failures', '#/alerts', '#/costs', '#/settings'])
  })

  it('has reload and developer tools in development only', () => {
    const developing = roles(menuTemplate({ platform: 'linux', packaged: false, paused: false }, actions()))
    expect(developing).toEqual(expect.arrayContaining(['reload', 'forceReload', 'toggleDevTools']))
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const packaged = roles(menuTemplate({ platform, packaged: true, paused: false }, actions()))
      expect(packaged).not.toContain('toggleDevTools')
      expect(packaged).not.toContain('reload')
      expect(packaged).not.toContain('forceReload')
    }
  })

  it('gives no two items the same shortcut', () => {
    const accelerators = flatten(menuTemplate({ platform: 'linux', packaged: false, paused: false }, actions())).flatMap((item) =>
      item.accelerator ? [item.accelerator] : [],
    )
    expect(new Set(accelerators).size).toBe(accelerators.length)
  })
})
