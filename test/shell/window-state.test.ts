/** The window opens where it was left, on a display that exists now, and its state is written once it stops moving. */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_WINDOW_STATE,
  fitToDisplays,
  loadWindowState,
  MIN_WIDTH,
  WINDOW_STATE_FILE,
  WindowStateKeeper,
  type Display,
} from '../../src/main/shell/window-state'
import { tempDir } from '../support/temp'

const laptop: Display = { workArea: { x: 0, y: 25, width: 1440, height: 875 } }
const monitorRight: Display = { workArea: { x: 1440, y: 0, width: 2560, height: 1440 } }

describe('loadWindowState', () => {
  it('gives the default without a file, or with one that does not parse', () => {
    const dir = tempDir()
    expect(loadWindowState(dir)).toEqual(DEFAULT_WINDOW_STATE)
    writeFileSync(join(dir, WINDOW_STATE_FILE), '{"width": "wide"')
    expect(loadWindowState(dir)).toEqual(DEFAULT_WINDOW_STATE)
    writeFileSync(join(dir, WINDOW_STATE_FILE), JSON.stringify({ width: 'wide', height: 700 }))
    expect(loadWindowState(dir)).toEqual(DEFAULT_WINDOW_STATE)
  })

  it('reads back what was kept', () => {
    const dir = tempDir()
    writeFileSync(join(dir, WINDOW_STATE_FILE), JSON.stringify({ x: 100, y: 80, width: 1000, height: 700, maximized: true }))
    expect(loadWindowState(dir)).toEqual({ x: 100, y: 80, width: 1000, height: 700, maximized: true })
  })
})

describe('fitToDisplays', () => {
  it('keeps a window that shows on a display where it is', () => {
    const state = { x: 2000, y: 100, width: 1200, height: 900, maximized: false }
    expect(fitToDisplays(state, [laptop, monitorRight])).toEqual(state)
  })

  it('centres a window on the primary display when its monitor is gone', () => {
    const fitted = fitToDisplays({ x: 2000, y: 100, width: 1200, height: 800, maximized: false }, [laptop])
    expect(fitted).toEqual({ x: 120, y: 63, width: 1200, height: 800, maximized: false })
  })

  it('shrinks a window larger than its display, but not below the minimum the display allows', () => {
    expect(fitToDisplays({ x: 0, y: 25, width: 3000, height: 2000, maximized: false }, [laptop])).toMatchObject({ x: 0, y: 25, width: 1440, height: 875 })
    const small: Display = { workArea: { x: 0, y: 0, width: 800, height: 600 } }
    expect(fitToDisplays({ width: 300, height: 200, maximized: false }, [small])).toMatchObject({ width: 800, height: 520 })
    expect(fitToDisplays({ width: 300, height: 200, maximized: false }, [laptop]).width).toBe(MIN_WIDTH)
  })

  it('pulls a window hanging off an edge back in', () => {
    expect(fitToDisplays({ x: 1300, y: 300, width: 1000, height: 700, maximized: false }, [laptop])).toMatchObject({ x: 440, y: 200 })
  })

  it('treats a window whose title bar is above every display as lost', () => {
    expect(fitToDisplays({ x: 100, y: -60, width: 1000, height: 700, maximized: false }, [laptop])).toMatchObject({ x: 220, y: 113 })
  })

  it('places a state with no position in the middle', () => {
    expect(fitToDisplays(DEFAULT_WINDOW_STATE, [laptop])).toEqual({ ...DEFAULT_WINDOW_STATE, x: 80, y: 53 })
  })

  it('leaves the state alone when no display is known', () => {
    expect(fitToDisplays(DEFAULT_WINDOW_STATE, [])).toEqual(DEFAULT_WINDOW_STATE)
  })
})

describe('WindowStateKeeper', () => {
  function manualTimers() {
    let pending: { run: () => void } | null = null
    return {
      setTimer: (run: () => void) => (pending = { run }),
      clearTimer: (timer: unknown) => {
        if (timer === pending) pending = null
      },
      fire: () => {
        const due = pending
        pending = null
        due?.run()
      },
      get pending() {
        return pending !== null
      },
    }
  }

  it('writes once after a burst of moves, with the last state', async () => {
    const timers = manualTimers()
    const writes: string[] = []
    const keeper = new WindowStateKeeper('/nowhere', { ...timers, write: async (_file, text) => void writes.push(text) })
    for (let x = 0; x < 50; x++) keeper.update({ x, y: 10, width: 1000, height: 700, maximized: false })
    expect(writes).toEqual([])
    timers.fire()
    await keeper.flush()
    expect(writes.map((text) => JSON.parse(text) as unknown)).toEqual([{ x: 49, y: 10, width: 1000, height: 700, maximized: false }])
  })

  it('writes at once on flush (the window closing), then not again', async () => {
    const timers = manualTimers()
    const writes: string[] = []
    const keeper = new WindowStateKeeper('/nowhere', { ...timers, write: async (_file, text) => void writes.push(text) })
    keeper.update({ x: 5, y: 5, width: 900, height: 600, maximized: true })
    await keeper.flush()
    expect(timers.pending).toBe(false)
    await keeper.flush()
    expect(writes).toHaveLength(1)
  })

  it('round-trips through the file on disk', async () => {
    const dir = tempDir()
    const keeper = new WindowStateKeeper(dir, { delayMs: 1 })
    keeper.update({ x: 300, y: 200, width: 1100, height: 760, maximized: false })
    await keeper.flush()
    expect(JSON.parse(readFileSync(join(dir, WINDOW_STATE_FILE), 'utf8'))).toEqual({ x: 300, y: 200, width: 1100, height: 760, maximized: false })
    expect(loadWindowState(dir)).toEqual({ x: 300, y: 200, width: 1100, height: 760, maximized: false })
  })
})
