/**
 * The intake benchmark: a generated 100,000-line .jsonl taken the ways the CLI and the
 * window take it (parsed whole on the intake thread, then enqueued as one batch, loaded in
 * short transactions; or, as `genops enqueue` takes one large file, loaded while it is
 * parsed), with the main thread's event-loop lag meanwhile. Parsing on the main thread is
 * measured beside it, to show what the thread saves. Then a million lines each way (one file,
 * four files, the window's drop), each in a process of its own for its peak memory
 * (intake-child.ts). Prints figures and the targets; asserts nothing.
 *
 * What ships is a bundled thread entry (out/main/intake-thread.js), not TypeScript loaded
 * through tsx: the bench bundles the entry with esbuild (tsx's own compiler) first, so the
 * thread starts as it would in the app.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { parsePromptFile } from '../src/main/intake/parse'
import type { ParsedFile } from '../src/main/intake/problems'
import { parseOnThread, readPromptFiles } from '../src/main/intake/read'
import { loadPromptFile } from '../src/main/intake/stream'
import { createHandlers } from '../src/main/operations'
import { databaseFile } from '../src/main/paths'
import { SqliteQueueStore } from '../src/main/store/sqlite/queue'
import type { JobSpec } from '../src/shared/jobs'
import { backgroundCpu, formatNumber, lagMonitor, machine, perSecond, quietMachine, sleep, table, tempDir, type Lag, type TempDir } from './support'

export interface IntakeBenchOptions {
  quick: boolean
  /** How the bench was started, printed as is. */
  command: string
}

const SIZES = { full: 100_000, quick: 10_000 }
const TARGET = { lagP99Ms: 20, lagMaxMs: 50, jobsPerSecond: 150_000 }

const COMPONENTS = ['a todo app', 'a weather widget', 'a pricing table', 'a login form', 'an FAQ accordion']

/** Lines like an operator's: a prompt, a priority, tags, and a config on some of them. */
function jsonl(lines: number): string {
  return Array.from({ length: lines }, (_, i) =>
    JSON.stringify({
      prompt: `Generate a React component for ${COMPONENTS[i % COMPONENTS.length]}. Variant ${i}.`,
      priority: (['low', 'normal', 'high'] as const)[i % 3],
      tags: ['ui', `batch-${i % 10}`],
      ...(i % 5 === 0 ? { config: { temperature: 0.2, maxTokens: 400 } } : {}),
    }),
  ).join('\n')
}

/** The intake thread's entry bundled into one .mjs, as electron-vite ships it beside the main bundle. */
async function bundleThread(): Promise<string> {
  // Inside the repository, as out/main is: modules loaded at run time (re2-wasm, through createRequire) resolve from node_modules.
  const outfile = join(import.meta.dirname, '../node_modules/.cache/genops-bench/intake-thread.mjs')
  await build({
    entryPoints: [join(import.meta.dirname, '../src/main/intake/intake-thread.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    logLevel: 'warning',
    // ajv is CommonJS: its require() calls need a require in an ES module.
    // Under a name of its own: a bundled module may import createRequire itself.
    banner: { js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);" },
  })
  return outfile
}

interface Row {
  label: string
  jobs: number
  ms: number
  lag: Lag
  background: number | null
}

/** One measured span: the clock, the main thread's lag, and how busy other processes kept the machine. */
async function measure(label: string, jobs: number, run: () => Promise<void> | void): Promise<Row> {
  await quietMachine(() => [])
  const background = backgroundCpu(() => [])
  const lag = lagMonitor()
  // The monitor's first tick only sets its baseline: a span that blocked from the start would read as no lag at all.
  await sleep(5)
  const started = performance.now()
  await run()
  const ms = performance.now() - started
  // The histogram records a blocked turn when the loop next comes round: let it, before reading it.
  await sleep(5)
  return { label, jobs, ms, lag: lag.stop(), background: background.stop() }
}

function jobsOf(parsed: ParsedFile): JobSpec[] {
  if (!parsed.ok) throw new Error(`the generated file was refused: ${parsed.errors.slice(0, 3).join('; ')}`)
  return parsed.jobs
}

async function enqueue(dir: TempDir, jobs: JobSpec[]): Promise<void> {
  const store = SqliteQueueStore.open(databaseFile(dir.path))
  try {
    await createHandlers(store).enqueueJobs({ jobs, batchName: 'prompts.jsonl' })
  } finally {
    store.close()
  }
}

export async function runIntakeBench({ quick, command }: IntakeBenchOptions): Promise<void> {
  const lines = quick ? SIZES.quick : SIZES.full
  const host = machine()
  console.log('GenOps intake benchmark' + (quick ? ' (--quick: smaller N, a smoke run; figures are not comparable)' : ''))
  console.log(`command: ${command}`)
  console.log(
    `machine: ${host.cpu}, ${host.cores} cores, ${formatNumber(host.memoryGb, 1)} GB, node ${host.node}, load average ${loadavg()
      .map((value) => formatNumber(value, 2))
      .join(' ')}`,
  )
  const work = tempDir('intake')
  try {
    const file = join(work.path, 'prompts.jsonl')
    writeFileSync(file, jsonl(lines))
    const tiny = join(work.path, 'one.txt')
    writeFileSync(tiny, 'Say hello.')
    const threadFile = await bundleThread()
    const size = readFileSync(file).byteLength
    console.log(
      [
        'setup:',
        `  a generated .jsonl of ${formatNumber(lines)} lines (${formatNumber(size / 2 ** 20, 1)} MiB): prompt, priority, tags, a config on one line in five.`,
        '  intake thread: readPromptFiles, which sends a file this size to the thread (read, decode, validate; jobs back 1,000 a message), its entry bundled by esbuild.',
        '  enqueue: the enqueueJobs operation on a fresh SQLite store (as `genops enqueue` calls it): from 5,000 jobs up it loads in ~10 ms transactions, out of sight until whole (store/sqlite/queue/load.ts).',
        '  lag: monitorEventLoopDelay({resolution: 1}) on the main thread over each span; an idle loop reads ~1.1 ms.',
      ].join('\n'),
    )

    // Warm-up: the same code paths once, so the figures are not the JIT's first pass.
    jobsOf(await parseOnThread({ path: file }, threadFile))
    jobsOf(parsePromptFile(file, readFileSync(file)))

    const rows: Row[] = []
    rows.push(await measure('thread start (a one-line .txt)', 1, async () => void jobsOf(await parseOnThread({ path: tiny }, threadFile))))
    rows.push(await measure('parse on the main thread (for comparison)', lines, () => void jobsOf(parsePromptFile(file, readFileSync(file)))))
    rows.push(await measure('parse on the intake thread', lines, async () => void jobsOf((await readPromptFiles([file], { threadFile }))[0]!)))
    const jobs = jobsOf(parsePromptFile(file, readFileSync(file)))
    const alone = tempDir('intake-db')
    rows.push(await measure('enqueue (loaded in slices)', lines, () => enqueue(alone, jobs)))
    alone.remove()
    const both = tempDir('intake-db')
    rows.push(
      await measure('intake, parsed whole then enqueued', lines, async () => enqueue(both, jobsOf((await readPromptFiles([file], { threadFile }))[0]!))),
    )
    both.remove()
    const streamed = tempDir('intake-db')
    rows.push(await measure('intake, loaded while parsed', lines, () => loadWhileParsed(streamed, file, threadFile)))
    streamed.remove()

    console.log('')
    console.log(
      table(
        ['span', 'jobs', 'ms', 'jobs/s', 'lag p50 ms', 'lag p99 ms', 'lag max ms', 'busy elsewhere'],
        rows.map((row) => [
          row.label,
          formatNumber(row.jobs),
          formatNumber(row.ms),
          row.jobs > 1 ? formatNumber(perSecond(row.jobs, row.ms)) : '',
          formatNumber(row.lag.p50Ms, 1),
          formatNumber(row.lag.p99Ms, 1),
          formatNumber(row.lag.maxMs, 1),
          row.background === null ? 'n/a' : `${formatNumber(row.background, 2)} cores`,
        ]),
      ),
    )
    const intake = rows.find((row) => row.label === 'intake, loaded while parsed')!
    const threadOnly = rows.find((row) => row.label === 'parse on the intake thread')!
    console.log('')
    console.log(
      `target: main-thread lag p99 ≤ ${TARGET.lagP99Ms} ms during intake: ${formatNumber(intake.lag.p99Ms, 1)} ms ` +
        `(${intake.lag.p99Ms <= TARGET.lagP99Ms ? 'met' : 'NOT met'}); while the thread parses alone, max ${formatNumber(threadOnly.lag.maxMs, 1)} ms.`,
    )
    console.log(
      `target: intake (loaded while parsed, as \`genops enqueue\` takes one file) ≥ ${formatNumber(TARGET.jobsPerSecond)} jobs/s, lag max ≤ ${TARGET.lagMaxMs} ms: ${formatNumber(perSecond(intake.jobs, intake.ms))} jobs/s, max ${formatNumber(intake.lag.maxMs, 1)} ms.`,
    )
    await millionLines(work, quick ? MILLION.quick : MILLION.full, threadFile)
  } finally {
    work.remove()
  }
}

const MILLION = { full: 1_000_000, quick: 50_000 }

/** One file as `genops enqueue` takes it: loaded while the intake thread parses it. */
async function loadWhileParsed(dir: TempDir, file: string, threadFile: string): Promise<void> {
  const store = SqliteQueueStore.open(databaseFile(dir.path))
  try {
    const answer = await loadPromptFile(store, file, { defaults: {}, profiles: new Map(), threadFile })
    if (!answer.ok) throw new Error(`the generated file was refused: ${answer.errors.slice(0, 3).join('; ')}`)
  } finally {
    store.close()
  }
}

/** The same lines, short enough that a million fit the 64 MiB a drop takes. */
const shortJsonl = (lines: number): string => Array.from({ length: lines }, (_, i) => JSON.stringify({ prompt: `Say ${i} in French.` })).join('\n')

/**
 * A million lines each way, in a process of its own (bench/intake-child.ts): the time,
 * when the first progress came, the peak memory of the process (both threads), the lag.
 */
async function millionLines(work: TempDir, lines: number, threadFile: string): Promise<void> {
  const file = join(work.path, 'million.jsonl')
  writeFileSync(file, jsonl(lines))
  // The same lines in four files, as an operator splits a big job list.
  const quarters = [1, 2, 3, 4].map((n) => join(work.path, `quarter-${n}.jsonl`))
  for (const quarter of quarters) writeFileSync(quarter, jsonl(lines / 4))
  const short = join(work.path, 'million-short.jsonl')
  writeFileSync(short, shortJsonl(lines))
  const mib = (paths: string[]) => formatNumber(paths.reduce((sum, path) => sum + readFileSync(path).byteLength, 0) / 2 ** 20, 1)
  console.log('')
  console.log(
    `${formatNumber(lines)} lines of .jsonl, each way in a process of its own (bench/intake-child.ts): the file above ` +
      `(${mib([file])} MiB) and the same lines in four files taken by \`genops enqueue\`, one of short lines (${mib([short])} MiB) dropped in the window.`,
  )
  const runs: { label: string; way: 'whole' | 'stream' | 'drop'; inputs: string[] }[] = [
    { label: 'one file parsed whole, then enqueued (before)', way: 'whole', inputs: [file] },
    { label: 'one file loaded while parsed (`genops enqueue`)', way: 'stream', inputs: [file] },
    { label: 'four files parsed whole, then enqueued (before)', way: 'whole', inputs: quarters },
    { label: 'four files loaded while parsed (`genops enqueue`)', way: 'stream', inputs: quarters },
    { label: "the window's drop: preview, then commit", way: 'drop', inputs: [short] },
  ]
  const results: string[][] = []
  for (const { label, way, inputs } of runs) {
    await quietMachine(() => [])
    const db = tempDir('intake-million')
    try {
      const child = join(import.meta.dirname, 'intake-child.ts')
      const text = execFileSync(process.execPath, ['--import', 'tsx', child, way, databaseFile(db.path), threadFile, ...inputs], {
        encoding: 'utf8',
        maxBuffer: 2 ** 20,
      })
      const figures = JSON.parse(text) as { ms: number; firstProgressMs: number | null; jobs: number; peakRssMb: number; lag: Lag }
      results.push([
        label,
        `${mib(inputs)} MiB`,
        formatNumber(figures.jobs),
        formatNumber(figures.ms),
        formatNumber(perSecond(figures.jobs, figures.ms)),
        figures.firstProgressMs === null ? '' : formatNumber(figures.firstProgressMs),
        formatNumber(figures.peakRssMb),
        formatNumber(figures.lag.maxMs, 1),
      ])
    } finally {
      db.remove()
    }
  }
  console.log(table(['way', 'file', 'jobs', 'ms', 'jobs/s', 'first progress ms', 'peak RSS MB', 'lag max ms'], results))
  console.log(`target: a ${formatNumber(lines)}-line file with progress, within 2 GiB (2,048 MB).`)
}
