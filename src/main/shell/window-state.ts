/**
 * The window opens where the operator left it: its size, position and maximised state are
 * kept in <dataDir>/window-state.json. What is read back is checked (a hand-edited or
 * truncated file gives the default, never a crash) and fitted onto a display that exists
 * now, so a window last seen on an unplugged monitor does not open off screen.
 * Pure: no electron; the shell passes the displays in.
 */
import { readFileSync } from 'node:fs'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'

export const WINDOW_STATE_FILE = 'window-state.json'

export const MIN_WIDTH = 860
export const MIN_HEIGHT = 520
const DEFAULT_WIDTH = 1280
const DEFAULT_HEIGHT = 820
/** How much of the window's top must show on some display to count as visible: enough to grab and drag. */
const GRAB_MARGIN = 48

const size = z.number().int().min(100).max(100_000)
const coordinate = z.number().int().min(-100_000).max(100_000)

export const WindowState = z.object({
  x: coordinate.optional(),
  y: coordinate.optional(),
  width: size,
  height: size,
  maximized: z.boolean().default(false),
})
export type WindowState = z.infer<typeof WindowState>

export interface Rectangle {
  x: number
  y: number
  width: number
  height: number
}

/** A display as the shell sees it: the part windows may use (no task bar, no menu bar). */
export interface Display {
  workArea: Rectangle
}

export const DEFAULT_WINDOW_STATE: WindowState = { width: DEFAULT_WIDTH, height: DEFAULT_HEIGHT, maximized: false }

/** The kept state, or the default when there is none or it does not parse. */
export function loadWindowState(dataDir: string): WindowState {
  try {
    const parsed = WindowState.safeParse(JSON.parse(readFileSync(join(dataDir, WINDOW_STATE_FILE), 'utf8')))
    return parsed.success ? parsed.data : DEFAULT_WINDOW_STATE
  } catch {
    return DEFAULT_WINDOW_STATE
  }
}

function overlap(a: Rectangle, b: Rectangle): Rectangle | null {
  const x = Math.max(a.x, b.x)
  const y = Math.max(a.y, b.y)
  const right = Math.min(a.x + a.width, b.x + b.width)
  const bottom = Math.min(a.y + a.height, b.y + b.height)
  return right > x && bottom > y ? { x, y, width: right - x, height: bottom - y } : null
}

/**
 * `state` fitted to `displays` (the first is the primary): never larger than the display
 * it lands on, and placed so its title bar can be grabbed. A window whose top strip shows
 * on no display is centred on the primary one.
 */
export function fitToDisplays(state: WindowState, displays: readonly Display[]): WindowState {
  const primary = displays[0]?.workArea
  if (!primary) return state
  const strip = state.x === undefined || state.y === undefined ? null : { x: state.x, y: state.y, width: state.width, height: GRAB_MARGIN }
  const home = strip
    ? displays.map((display) => display.workArea).find((area) => (overlap(strip, area)?.width ?? 0) >= Math.min(GRAB_MARGIN * 2, state.width))
    : undefined
  const area = home ?? primary
  const width = Math.max(Math.min(state.width, area.width), Math.min(MIN_WIDTH, area.width))
  const height = Math.max(Math.min(state.height, area.height), Math.min(MIN_HEIGHT, area.height))
  if (!home) {
    return { ...state, width, height, x: Math.round(area.x + (area.width - width) / 2), y: Math.round(area.y + (area.height - height) / 2) }
  }
  // On a display already: only pull it in so none of it hangs past the edges.
  const x = Math.min(Math.max(state.x!, area.x), area.x + area.width - width)
  const y = Math.min(Math.max(state.y!, area.y), area.y + area.height - height)
  return { ...state, width, height, x, y }
}

export interface WindowStateKeeperOptions {
  /** How long the window must keep still before its state is written. Default 500 ms: a drag moves it many times a second. */
  delayMs?: number
  setTimer?: (run: () => void, ms: number) => unknown
  clearTimer?: (timer: unknown) => void
  /** Writes the file; tests count calls. Default: a temp file renamed over the old one, so a crash leaves the old state. */
  write?: (file: string, text: string) => Promise<void>
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`
  await writeFile(temp, text)
  await rename(temp, file)
}

/** Keeps the window's state on disk, writing at most once per pause in moving and resizing. */
export class WindowStateKeeper {
  private readonly file: string
  private readonly delayMs: number
  private readonly setTimer: (run: () => void, ms: number) => unknown
  private readonly clearTimer: (timer: unknown) => void
  private readonly write: (file: string, text: string) => Promise<void>
  private timer: unknown = null
  private latest: WindowState | null = null
  private writing: Promise<void> = Promise.resolve()

  constructor(dataDir: string, options: WindowStateKeeperOptions = {}) {
    this.file = join(dataDir, WINDOW_STATE_FILE)
    this.delayMs = options.delayMs ?? 500
    this.setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms))
    this.clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as NodeJS.Timeout))
    this.write = options.write ?? writeAtomically
  }

  /** The window moved or changed size: keep this state once it stays still for a moment. */
  update(state: WindowState): void {
    this.latest = state
    if (this.timer !== null) this.clearTimer(this.timer)
    this.timer = this.setTimer(() => void this.flush(), this.delayMs)
  }

  /** Writes the latest state now (the window is closing); resolves once it is on disk. */
  flush(): Promise<void> {
    if (this.timer !== null) this.clearTimer(this.timer)
    this.timer = null
    const state = this.latest
    this.latest = null
    if (state) {
      this.writing = this.writing
        .then(() => this.write(this.file, `${JSON.stringify(state, null, 2)}\n`))
        .catch((error: unknown) => console.error('genops: could not keep the window state:', error))
    }
    return this.writing
  }
}
