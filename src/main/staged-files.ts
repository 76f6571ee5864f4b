/**
 * The window's exports and diagnostic bundles are staged in <dataDir>/exports and
 * <dataDir>/bundles, fetched by the window (or `genops bundle --server`) and saved where the
 * operator chose: the staged copy is done with once fetched. A running engine keeps each a
 * day, for a second download, and then removes it, at start and hourly; a partial file whose
 * writer died (kill -9 mid-export) goes at once. Nothing else in those folders is touched.
 */
import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { exportsDir } from './batches/operations'
import { bundlesDir } from './diagnostics/bundle-writer'
import { removeAbandonedPartials } from './partial-files'

const HOUR = 3_600_000
/** How long a staged export or bundle is kept: a day. */
export const STAGED_KEEP_MS = 24 * HOUR

export interface StagedFileSweep {
  stop(): void
}

/** Removes the staged files older than `keepMs` and the abandoned partials; answers how many went. */
export async function sweepStagedFiles(dataDir: string, now: number, keepMs = STAGED_KEEP_MS): Promise<number> {
  let removed = 0
  for (const dir of [exportsDir(dataDir), bundlesDir(dataDir)]) {
    removed += await removeAbandonedPartials(dir)
    let names: string[]
    try {
      names = await readdir(dir)
    } catch {
      continue
    }
    for (const name of names) {
      // Hidden names are partials still being written (or another program's): never a staged file.
      if (name.startsWith('.')) continue
      const path = join(dir, name)
      const info = await stat(path).catch(() => null)
      if (info?.isFile() && now - info.mtimeMs > keepMs) {
        await rm(path, { force: true })
        removed++
      }
    }
  }
  return removed
}

export function startStagedFileSweep(dataDir: string, onError: (error: unknown) => void, keepMs = STAGED_KEEP_MS): StagedFileSweep {
  const sweep = () => void sweepStagedFiles(dataDir, Date.now(), keepMs).catch(onError)
  sweep()
  const timer = setInterval(sweep, HOUR)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
