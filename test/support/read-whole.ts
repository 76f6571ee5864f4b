/**
 * Prompt files read whole and their good files enqueued in one call, as `genops enqueue` took
 * several files before they were loaded while parsed: what a load while parsed must equal
 * (intake/stream.ts), file by file and row by row.
 */
import { batchName } from '../../src/main/intake/batch'
import type { ParsedFile } from '../../src/main/intake/problems'
import { readPromptFiles } from '../../src/main/intake/read'
import { sourcesOf } from '../../src/main/intake/sources'
import { createHandlers } from '../../src/main/operations'
import type { QueueStore } from '../../src/main/queue/store'
import type { JobDefaults } from '../../src/shared/jobs'

export async function enqueueReadWhole(store: QueueStore, paths: readonly string[], defaults: JobDefaults) {
  const parsed = await readPromptFiles(paths, { context: { profiles: new Map(), defaults } })
  const taken = parsed.filter((file): file is Extract<ParsedFile, { ok: true }> => file.ok)
  const result = await createHandlers(store).enqueueJobs({
    jobs: taken.flatMap((file) => file.jobs),
    defaults,
    batchName: batchName(taken.map((file) => file.file)),
    ...sourcesOf(taken),
  })
  // Each file's answer as loadPromptFiles gives it.
  const files = parsed.map((file) => (file.ok ? { ok: true, file: file.file, jobs: file.jobs.length } : file))
  return { result, files }
}
