/**
 * The discovery file: a running engine (the desktop app, `genops serve`, `genops run`)
 * says where it answers in `<dataDir>/engine.json`, so `genops health` beside it asks that
 * engine instead of guessing. Mode 0600: it holds the API's token. Removed when the engine
 * closes cleanly; one left by a process that is gone (kill -9, a crash) is stale and ignored,
 * and the next engine replaces it.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { z } from 'zod'
import { PRIVATE_FILE_MODE } from './paths'

export const DISCOVERY_FILE = 'engine.json'
export const discoveryFile = (dataDir: string): string => join(dataDir, DISCOVERY_FILE)

export const Discovery = z.object({
  pid: z.number().int().positive(),
  startedAt: z.number().int(),
  /** The metrics exporter, whose /health answers on loopback without a token unless it was given one. */
  metrics: z.object({ url: z.string(), token: z.string().optional() }).nullable(),
  /** Headless mode's API: its origin and token. */
  api: z.object({ url: z.string(), token: z.string() }).nullable(),
})
export type Discovery = z.infer<typeof Discovery>

/** True while a process with this id exists (EPERM: it does, run by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The running engine's discovery file; null when there is none, it does not parse, or its process is gone. */
export function readDiscovery(dataDir: string): Discovery | null {
  let text: string
  try {
    text = readFileSync(discoveryFile(dataDir), 'utf8')
  } catch {
    return null
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return null
  }
  const found = Discovery.safeParse(parsed)
  if (!found.success || !processAlive(found.data.pid)) return null
  return found.data
}

/**
 * Writes this process's entry, merged with what it wrote before (the engine writes the
 * exporter, `serve` adds its API once it listens). Any other process's entry is replaced:
 * a stale one is of no use, and of two live engines on one directory the newest answers.
 */
export function announceEngine(dataDir: string, entry: Partial<Pick<Discovery, 'metrics' | 'api'>>): void {
  const own = readDiscovery(dataDir)
  const previous = own?.pid === process.pid ? own : null
  const next: Discovery = {
    pid: process.pid,
    startedAt: previous?.startedAt ?? Date.now(),
    metrics: entry.metrics !== undefined ? entry.metrics : (previous?.metrics ?? null),
    api: entry.api !== undefined ? entry.api : (previous?.api ?? null),
  }
  const file = discoveryFile(dataDir)
  const partial = `${file}.${process.pid}.tmp`
  // Renamed into place: a reader never sees half a file.
  try {
    writeFileSync(partial, `${JSON.stringify(next, null, 2)}\n`, { mode: PRIVATE_FILE_MODE })
    renameSync(partial, file)
  } catch (error) {
    rmSync(partial, { force: true })
    throw error
  }
}

/** Removes the file when this process wrote it; another live engine's entry stays. */
export function withdrawEngine(dataDir: string): void {
  let text: string
  try {
    text = readFileSync(discoveryFile(dataDir), 'utf8')
  } catch {
    return
  }
  try {
    if ((JSON.parse(text) as { pid?: unknown }).pid !== process.pid) return
  } catch {
    // Unreadable: ours or not, it tells nobody anything.
  }
  rmSync(discoveryFile(dataDir), { force: true })
}
