/**
 * Prompt files' intake in a process of its own, so its peak RSS is its own: `tsx
 * bench/intake-child.ts stream|whole|drop DB THREAD FILE...` takes the files one of three ways
 * (stream: loaded while the intake thread parses them, as `genops enqueue` takes them; whole:
 * parsed whole on the thread, then the enqueue operation, as `genops enqueue` took several
 * files before; drop: the window's previewIntake and commitIntake, the files sent as base64)
 * and prints {ms, firstProgressMs, jobs, peakRssMb, lag} as JSON. Asserts nothing.
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { createHandlers } from '../src/main/operations'
import { readPromptFiles } from '../src/main/intake/read'
import type { ParsedFile } from '../src/main/intake/problems'
import { sourcesOf } from '../src/main/intake/sources'
import { loadPromptFiles } from '../src/main/intake/stream'
import { SqliteQueueStore } from '../src/main/store/sqlite/queue'
import type { JobDefaults } from '../src/shared/jobs'
import { lagMonitor } from './support'

const [way, db, threadFile, ...files] = process.argv.slice(2) as [string, string, string, ...string[]]
const store = SqliteQueueStore.open(db)
const defaults: JobDefaults = {}
const lag = lagMonitor()
const started = performance.now()
let firstProgressMs: number | null = null
const progressed = () => (firstProgressMs ??= performance.now() - started)
let jobs: number
if (way === 'stream') {
  const answer = await loadPromptFiles(store, files, { defaults, profiles: new Map(), threadFile, onProgress: progressed })
  if (!answer.enqueued || answer.files.some((file) => !file.ok)) throw new Error('a file was refused')
  jobs = answer.enqueued.jobIds.length
} else if (way === 'drop') {
  const quiet = () => {}
  const handlers = createHandlers(store, {
    jobsChanged: quiet,
    countsMayChange: quiet,
    abort: quiet,
    paused: quiet,
    kick: quiet,
    profilesChanged: async () => {},
    loadProgress: progressed,
  })
  const dropped = files.map((file) => ({ name: basename(file), contentBase64: readFileSync(file).toString('base64') }))
  const { intakeId } = await handlers.previewIntake({ files: dropped })
  jobs = (await handlers.commitIntake({ intakeId, defaults: {} })).jobIds.length
} else {
  const parsed = await readPromptFiles(files, { threadFile, context: { profiles: new Map(), defaults } })
  const taken = parsed.filter((file): file is Extract<ParsedFile, { ok: true }> => file.ok)
  if (taken.length < files.length) throw new Error('a file was refused')
  store.loadProgress = progressed
  const result = await createHandlers(store).enqueueJobs({ jobs: taken.flatMap((file) => file.jobs), defaults, batchName: 'big', ...sourcesOf(taken) })
  jobs = result.jobIds.length
}
const ms = performance.now() - started
store.close()
// maxRSS is in kilobytes: the most this process ever held, both threads included.
process.stdout.write(`${JSON.stringify({ ms, firstProgressMs, jobs, peakRssMb: process.resourceUsage().maxRSS / 1024, lag: lag.stop() })}\n`)
