/**
 * `genops enqueue <file...>`: prompt files into the queue, through the same intake as the
 * window. A file is all or nothing: every good file goes in, together, as one batch named
 * from the files, seen whole or not at all; a bad file is reported line by line and nothing
 * from it is enqueued, and the command exits 2. Large files are loaded while they are read
 * (intake/stream.ts); small ones, a call to a server and an estimate read them whole first.
 */
import { isAbsolute, resolve } from 'node:path'
import { type Command, Option } from 'commander'
import { MAX_JOBS_PER_CALL } from '../shared/contract'
import { MAX_ATTEMPTS, PRIORITIES, type JobDefaults, type JobSpec } from '../shared/jobs'
import { LANES, type Lane } from '../shared/job-config'
import type { ProviderProfile } from '../shared/providers'
import { printEstimate } from './cli-estimate'
import { CliError, common, duration, integer, print, printJson, withQueue, withStore, type Common } from './cli-support'
import type { Handlers } from './operations'
import { ownerIsGone } from './queue/lease-owner'
import { batchName } from './intake/batch'
import { SUPPORTED_EXTENSIONS } from './intake/parse'
import { fileLabel, type ParsedFile, type RefusedFile } from './intake/problems'
import { promptFileSize, readPromptFiles } from './intake/read'
import { loadPromptFiles, type StreamedFiles, type StreamLoadOptions } from './intake/stream'
import { THREAD_THRESHOLD_BYTES } from './intake/limits'
import type { EnqueueResult } from './queue/store'
import { sourcesOf } from './intake/sources'

interface EnqueueOptions extends Common {
  provider?: string
  model?: string
  baseUrl?: string
  priority?: JobDefaults['priority']
  delay?: number
  attempts?: number
  maxConcurrency?: number
  /** False with --no-cache. */
  cache: boolean
  /** Print what the jobs would use and cost; enqueue nothing. */
  estimate?: boolean
  /** --lane: the lane of jobs that do not choose one; --deadline: how long a batch-lane job may wait before it goes real-time. */
  lane?: Lane
  deadline?: number
}

const profileMap = ({ profiles }: { profiles: ProviderProfile[] }) => new Map(profiles.map((profile) => [profile.name, profile]))

const jobCount = (n: number) => `${n} job${n === 1 ? '' : 's'}`

const FORMATS_HELP = `
Formats:
  .txt, .md  the whole file is one prompt
  .jsonl     one job per line: {"prompt": "...", "priority": "high", "tags": ["a"], "config": {...}}
  .json      an array of such jobs
  .csv       a prompt column; columns named provider, profile, model, priority, attempts,
             delayMs, tags (a;b), idempotency_key, config, output or schema set those
             fields; every other column is a variable the prompt uses as {{column}}
A job may also give profile, vars, output ("text", "json") and schema (a JSON Schema).
A file with any problem is refused whole, its problems listed as file:line: reason;
the other files are still enqueued, and the command exits 2.`

export function addEnqueueCommand(program: Command): void {
  const formats = `${SUPPORTED_EXTENSIONS.slice(0, -1).join(', ')} or ${SUPPORTED_EXTENSIONS.at(-1)}`
  common(program.command('enqueue').description(`enqueue the prompts in ${formats} files (one batch per call, named from the files)`), true)
    .addHelpText('after', FORMATS_HELP)
    .argument('<file...>', 'prompt files')
    .option('--provider <name>', 'provider or profile for jobs that do not name one (default sim)')
    .option('--model <model>', 'model for jobs that do not name one (for local: the .gguf path)')
    .option('--base-url <url>', 'a server on this machine for openai or anthropic jobs, e.g. http://127.0.0.1:11434/v1 (another endpoint: a profile)')
    .addOption(new Option('--priority <priority>', 'priority for jobs that do not set one').choices(PRIORITIES))
    .option('--delay <duration>', 'start no sooner than this from now, like 30s or 5m', duration)
    .option('--attempts <n>', `attempts per job (1 to ${MAX_ATTEMPTS}, default 3)`, integer('--attempts', 1, MAX_ATTEMPTS))
    .option('--max-concurrency <n>', "most of this batch's jobs running at once, so it cannot starve other batches", integer('--max-concurrency', 1, 10_000))
    .addOption(
      new Option(
        '--lane <lane>',
        "lane for jobs that do not choose one: batch sends them through the provider's batch API (openai, anthropic) at half price, within 24 h",
      ).choices(LANES),
    )
    .option('--deadline <duration>', 'with --lane batch: a job not answered this long after it is enqueued (like 2h) moves to the real-time lane', duration)
    .option('--no-cache', 'every job of this call calls its provider: it neither reuses a cached answer nor leaves one (config.cache false)')
    .option(
      '--estimate',
      'enqueue nothing: print the tokens, the cost per lane, the cached share, the time the limits make it take and any budget it would cross',
    )
    .action(enqueueFiles)
}

/**
 * The enqueue of checked jobs: to a server (--server) through its API; here through the store,
 * after what an earlier enqueue left half loaded when its process died (the engine does the
 * same at start), telling a big file's progress.
 */
function withLoad<T>(options: EnqueueOptions, name: string, enqueue: (handlers: Handlers) => Promise<T>): Promise<T> {
  if (options.server) return withQueue(options, enqueue)
  return withStore(options, async (store) => {
    const { createHandlers } = await import('./operations')
    await store.removeAbandonedLoads?.(ownerIsGone)
    const progress = progressLine(name)
    store.loadProgress = ({ loaded, total }) => progress(`loaded ${loaded} of ${total} jobs`, loaded, total)
    return enqueue(createHandlers(store))
  })
}

/** A big file's load, told on stderr a line now and then and at its end (stdout stays the answer, for scripts and --json). */
function progressLine(name: string): (what: string, done: number, total: number, last?: boolean) => void {
  let lastAt = performance.now()
  return (what, done, total, last = done >= total) => {
    const now = performance.now()
    if (now - lastAt < PROGRESS_EVERY_MS && !last) return
    lastAt = now
    process.stderr.write(`${name}: ${what} (${Math.floor((done / total) * 100)}%)\n`)
  }
}

/** How often a big load says how far it got. */
const PROGRESS_EVERY_MS = 1000

/** The config the call's flags give every job that does not say otherwise; checked with each job at intake, so a refusal names its file:line. */
function callConfig({ baseUrl, lane, deadline }: EnqueueOptions): Record<string, unknown> | undefined {
  const config = {
    ...(baseUrl !== undefined && { baseUrl }),
    ...(lane !== undefined && { lane }),
    ...(deadline !== undefined && { deadlineMs: deadline }),
  }
  return Object.keys(config).length > 0 ? config : undefined
}

async function enqueueFiles(files: string[], options: EnqueueOptions): Promise<void> {
  const defaults: JobDefaults = {
    provider: options.provider,
    // A model file named on the command line is relative to where the command runs, not to the worker.
    model: options.provider === 'local' && options.model && !isAbsolute(options.model) ? resolve(options.model) : options.model,
    priority: options.priority,
    delayMs: options.delay,
    attempts: options.attempts,
    config: callConfig(options),
  }
  // Each job is checked for what it means on the provider it will run on: a file with a job that cannot run is refused whole.
  const profiles = await withQueue(options, (h) => h.listProviders({})).then(profileMap)
  // Over each job's own config: --no-cache is the operator's word for the whole call, whatever a line says.
  const withCallFlags = (job: JobSpec): JobSpec => (options.cache ? job : { ...job, config: { ...job.config, cache: false } })
  if (!options.server && !options.estimate) {
    const streamed = await streamFiles(files, options, { defaults, profiles, prepare: withCallFlags })
    if (streamed) {
      const refused = streamed.files.filter((file): file is RefusedFile => !file.ok)
      if (!streamed.enqueued) return printRefused(options, refused)
      printRefused(options, refused, { more: true })
      const taken = streamed.files.filter((file) => file.ok)
      return printEnqueued(options, batchName(taken.map((file) => file.file)), taken, streamed.enqueued)
    }
  }
  const parsed = await readPromptFiles(files, { context: { profiles, defaults } })
  const taken = parsed.filter((file): file is Extract<ParsedFile, { ok: true }> => file.ok)
  const refused = parsed.filter((file): file is RefusedFile => !file.ok)
  if (taken.length === 0) return printRefused(options, refused)
  printRefused(options, refused, { more: true })
  const parsedJobs = taken.length === 1 ? taken[0]!.jobs : taken.flatMap((file) => file.jobs)
  const jobs = options.cache ? parsedJobs : parsedJobs.map(withCallFlags)
  // A server takes a bounded request; here the store loads any number in slices, all or nothing.
  if (options.server && jobs.length > MAX_JOBS_PER_CALL)
    throw new CliError(`the files hold ${jobs.length} jobs, over the limit of ${MAX_JOBS_PER_CALL} a call to a server: enqueue them in several calls`, 2)
  if (options.estimate) return printEstimate(jobs, defaults, options)
  const name = batchName(taken.map((file) => file.file))
  const result = await withLoad(options, name, (handlers) =>
    handlers.enqueueJobs({ jobs, defaults, batchName: name, maxConcurrency: options.maxConcurrency, ...sourcesOf(taken) }),
  )
  printEnqueued(
    options,
    name,
    taken.map((file) => ({ file: file.file, jobs: file.jobs.length })),
    result,
  )
}

/**
 * Files on this machine's store, loaded while the intake thread parses them (intake/stream.ts);
 * null when they are not taken that way (small files: parsed in a few milliseconds, or a store
 * that loads only whole calls), and the call reads them whole.
 */
async function streamFiles(paths: string[], options: EnqueueOptions, load: Omit<StreamLoadOptions, 'onProgress'>): Promise<StreamedFiles | null> {
  const sizes = await Promise.all(paths.map(promptFileSize))
  if (sizes.reduce<number>((sum, size) => sum + (typeof size === 'number' ? size : 0), 0) < THREAD_THRESHOLD_BYTES) return null
  return withStore(options, async (store) => {
    if (!store.beginLoad) return null
    await store.removeAbandonedLoads?.(ownerIsGone)
    const progress = progressLine(batchName(paths.map(fileLabel)))
    const which = (file: string) => (paths.length > 1 ? `${file} ` : '')
    return loadPromptFiles({ beginLoad: store.beginLoad.bind(store) }, paths, {
      ...load,
      maxConcurrency: options.maxConcurrency,
      // Told at least once a second and at the end: every small file's end would be a line of its own.
      onProgress: ({ loaded, file, line, lines, last }) => progress(`loaded ${loaded} jobs, ${which(file)}line ${line} of ${lines}`, line, lines, last),
    })
  })
}

/** What a refused file has wrong, on stderr; the command exits 2. `more`: other files' batch is printed after. */
function printRefused(options: EnqueueOptions, refused: readonly RefusedFile[], { more = false } = {}): void {
  for (const file of refused) {
    for (const error of file.errors) process.stderr.write(`${error}\n`)
    if (file.moreErrors) process.stderr.write(`${file.file}: ... and ${file.moreErrors} more problems\n`)
    process.stderr.write(`${file.file}: nothing enqueued from this file\n`)
  }
  if (refused.length) process.exitCode = 2
  // A list of the batches made: none when every file was refused.
  if (!more && options.json) printJson([])
}

/** The batch made, with each file's jobs; a list of one under --json. */
function printEnqueued(options: EnqueueOptions, name: string, files: readonly { file: string; jobs: number }[], result: EnqueueAnswer): void {
  const fileCounts = files.map(({ file, jobs }) => ({ file, jobs }))
  if (options.json) {
    printJson([{ batchName: name, files: fileCounts, batchId: result.batchId, jobIds: result.jobIds, duplicates: result.duplicates }])
    return
  }
  if (files.length > 1) for (const { file, jobs: count } of fileCounts) print(`${file}: ${jobCount(count)}`)
  const known = result.duplicates ? ` (${result.duplicates} already known by idempotency key)` : ''
  print(`${name}: enqueued ${jobCount(result.jobIds.length - result.duplicates)} as batch ${result.batchId}${known}`)
}

type EnqueueAnswer = Pick<EnqueueResult, 'batchId' | 'jobIds' | 'duplicates'>
