/**
 * One file's intake in a process of its own, so its peak RSS is its own: `tsx
 * bench/intake-child.ts stream|whole|drop FILE DB THREAD` takes FILE one of three ways
 * (stream: loaded while the intake thread parses it, as `genops enqueue` takes one file;
 * whole: parsed whole on the thread, then the enqueue operation, as several files go; drop:
 * the window's previewIntake and commitIntake, the file sent as base64) and prints {ms,
 * firstProgressMs, jobs, peakRssMb, lag} as JSON. Asserts nothing.
 */
import { readFileSync } from 'node:fs'
import { createHandlers } from '../src/main/operations'
import { readPromptFiles } from '../src/main/intake/read'
import { sourcesOf } from '../src/main/intake/sources'
import { loadPromptFile } from '../src/main/intake/stream'
import { SqliteQueueStore } from '../src/main/store/sqlite/queue'
import type { JobDefaults } from '../src/shared/jobs'
import { lagMonitor } from './support'

const [way, file, db, threadFile] = process.argv.slice(2) as [string, string, string, string]
const store = SqliteQueueStore.open(db)
const defaults: JobDefaults = {}
const lag = lagMonitor()
const started = performance.now()
let firstProgressMs: number | null = null
const progressed = () => (firstProgressMs ??= performance.now() - started)
let jobs: number
if (way === 'stream') {
  const answer = await loadPromptFile(store, file, { defaults, profiles: new Map(), batchName: 'big.jsonl', threadFile, onProgress: progressed })
  if (!answer.ok) throw new Error(answer.errors.join('\n'))
  jobs = answer.jobs
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
  const files = [{ name: 'big.jsonl', contentBase64: readFileSync(file).toString('base64') }]
  const { intakeId } = await handlers.previewIntake({ files })
  jobs = (await handlers.commitIntake({ intakeId, defaults: {} })).jobIds.length
} else {
  const [parsed] = await readPromptFiles([file], { threadFile, context: { profiles: new Map(), defaults } })
  if (!parsed?.ok) throw new Error('the file was refused')
  store.loadProgress = progressed
  const result = await createHandlers(store).enqueueJobs({ jobs: parsed.jobs, defaults, batchName: 'big.jsonl', ...sourcesOf([parsed]) })
  jobs = result.jobIds.length
}
const ms = performance.now() - started
store.close()
// maxRSS is in kilobytes: the most this process ever held, both threads included.
process.stdout.write(`${JSON.stringify({ ms, firstProgressMs, jobs, peakRssMb: process.resourceUsage().maxRSS / 1024, lag: lag.stop() })}\n`)
