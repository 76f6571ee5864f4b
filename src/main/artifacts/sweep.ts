/**
 * Temporary artifact files left by a crash: an attempt writes `<name>.tmp-<uuid>` and
 * renames it, so one that is still there a while later belongs to an attempt that died
 * mid-write (a kill -9, a full disk). They are removed when an engine starts, in the
 * background, a folder at a time: the artifacts folder may hold a million files. Only
 * files older than a few minutes go, since another engine on the same data directory (the
 * CLI's `run` beside the app) may be writing its own right now.
 */
import { opendir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'

const TEMPORARY = /\.tmp-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** A write takes milliseconds; a temporary file this old was left behind. */
export const STALE_AFTER_MS = 5 * 60_000

/** Removes the stale temporary files under `<artifacts>/<batch>/`; resolves to how many went. */
export async function sweepTemporaries(artifactsDir: string, now = Date.now(), staleAfterMs = STALE_AFTER_MS): Promise<number> {
  let removed = 0
  let batches
  try {
    batches = await opendir(artifactsDir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw error
  }
  for await (const batch of batches) {
    if (!batch.isDirectory()) continue
    const folder = join(artifactsDir, batch.name)
    for await (const entry of await opendir(folder)) {
      if (!entry.isFile() || !TEMPORARY.test(entry.name)) continue
      const path = join(folder, entry.name)
      try {
        if (now - (await stat(path)).mtimeMs < staleAfterMs) continue
        await rm(path, { force: true })
        removed++
      } catch {
        // Renamed or removed by its writer meanwhile: nothing left to sweep.
      }
    }
  }
  return removed
}
