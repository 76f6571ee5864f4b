/** A large file loaded while parsed and refused at its last line: what these tests hold still. */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadPromptFile, type StreamedFile } from '../../../src/main/intake/stream'
import { SqliteQueueStore } from '../../../src/main/store/sqlite/queue'
import type { JobDefaults } from '../../../src/shared/jobs'
import { tempDir } from '../../support/temp'

export const DEFAULTS: JobDefaults = { provider: 'sim', priority: 'normal' }

/** `lines` jobs, the one at line 10 with `key10` as its key when given, the last line refused (its prompt is not text). */
export function lateRefusal(lines: number, key10?: string): string {
  return Array.from({ length: lines }, (_, i) => {
    if (i === lines - 1) return '{"prompt": 7}'
    return JSON.stringify({ prompt: `Say ${i}.`, ...(i === 9 && key10 ? { idempotency_key: key10 } : {}) })
  }).join('\n')
}

/**
 * A fresh data directory, and a 20,000-line file of it refused late, loaded with `onLoading`
 * called at each step (the batch loading then); answers the refusal.
 */
export async function loadRefusedFile(onLoading: (dir: string, loader: SqliteQueueStore) => void, defaults = DEFAULTS): Promise<StreamedFile> {
  const dir = tempDir()
  const file = join(dir, 'big.jsonl')
  writeFileSync(file, lateRefusal(20_000))
  const loader = SqliteQueueStore.open(join(dir, 'genops.db'))
  try {
    return await loadPromptFile(loader, file, { defaults, profiles: new Map(), onProgress: () => onLoading(dir, loader) })
  } finally {
    loader.close()
  }
}
