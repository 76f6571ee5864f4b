/**
 * `npm run bench -- --export`: a batch's results out, and the batches screen.
 * - export: a batch of 1,000,000 completed jobs (a CSV's row each: sku, name, prompt; a
 *   ~200-character output; one attempt with tokens and cost) written as CSV, JSON lines and
 *   Parquet, each in a process of its own: rows a second, file size, and peak RSS (its
 *   baseline, the process with the store open, beside it);
 * - the batches screen with 1,000 batches in headless Chromium: first render, from the start
 *   of navigation to every batch's row on screen.
 */
import { execFileSync, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { chromium } from 'playwright-core'
import { CHROMIUM_ARGS } from '../e2e/fixtures/browser'
import { CLI_FILE } from '../e2e/fixtures/paths'
import { databaseFile } from '../src/main/paths'
import { SqliteQueueStore } from '../src/main/store/sqlite/queue'
import { formatNumber, machine, onExit, table, tempDir } from './support'

export interface ExportBenchOptions {
  quick: boolean
  command: string
}

const SIZES = { full: 1_000_000, quick: 50_000 }
const BATCHES = { full: 1000, quick: 100 }
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** One batch of `count` completed jobs, written by SQL in one statement each (the store's own enqueue would take minutes). */
function fillOneBatch(file: string, count: number): void {
  const store = SqliteQueueStore.open(file)
  const now = Date.now()
  const db = store.db
  db.transaction(() => {
    db.prepare(
      `INSERT INTO batches (id, name, created_at, job_count, attempts, input_tokens, output_tokens, cost_usd) VALUES (1, 'products.csv', ?, ?, ?, ?, ?, ?)`,
    ).run(now, count, count, count * 40, count * 60, count * 0.0001)
    db.prepare(
      `INSERT INTO batch_sources (batch_id, file_index, name, format, jobs, columns) VALUES (1, 0, 'products.csv', 'csv', ?, '["sku","name","prompt"]')`,
    ).run(count)
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
      INSERT INTO jobs (id, state, priority, run_at, created_at, updated_at, started_at, finished_at, batch_id, provider, model, prompt, max_attempts,
        attempts_made, output, artifact, source_file, source_row, input)
      SELECT i, 'completed', 1, @now, @now, @now, @now - 900, @now, 1, 'work', 'gpt-4o-mini', 'Describe product ' || i || ' for the catalogue.', 3, 1,
        'A sturdy product number ' || i || ', ' || substr('made to last, easy to clean, quiet in use, and priced for a family kitchen; it ships with a two-year warranty and spare parts for ten years, said in plain words.', 1, 180),
        '/data/artifacts/1/' || i || '.txt', 0, i + 1,
        json_object('sku', 'SKU-' || i, 'name', 'Product ' || i, 'prompt', 'Describe product ' || i || ' for the catalogue.')
      FROM n`,
    ).run(count, { now })
    db.prepare(
      `INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome, input_tokens, output_tokens, provider, provider_kind, model, cost_usd)
      SELECT id, 1, started_at, finished_at, 'ok', 40, 60, 'work', 'openai', 'gpt-4o-mini', 0.0001 FROM jobs WHERE batch_id = 1`,
    ).run()
    db.prepare(`INSERT INTO batch_counts (batch_id, state, n) VALUES (1, 'completed', ?)`).run(count)
  })()
  store.close()
}

/** Batches of a few jobs each, some running, some paused: what the list's first render reads. */
function fillManyBatches(file: string, batches: number): void {
  const store = SqliteQueueStore.open(file)
  const now = Date.now()
  for (let b = 0; b < batches; b++) {
    store.enqueue(
      Array.from({ length: 10 }, (_, i) => ({
        prompt: `prompt ${i}`,
        provider: 'sim',
        model: null,
        priority: 1,
        runAt: now,
        maxAttempts: 3,
        idempotencyKey: null,
        tags: null,
        config: null,
        origin: { file: 0, row: i + 2, input: JSON.stringify({ prompt: `prompt ${i}` }) },
      })),
      `file-${b}.csv`,
      now,
      null,
      { sources: [{ name: `file-${b}.csv`, format: 'csv', jobs: 10, columns: ['prompt'] }] },
    )
  }
  store.setPaused(true)
  store.close()
}

interface ChildFigures {
  ms: number
  rows: number
  bytes: number
  baseRssMb: number
  peakRssMb: number
}

function exportInChild(file: string, format: string, out: string): ChildFigures {
  const text = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'export-child.ts'), file, '1', format, out], { encoding: 'utf8' })
  return JSON.parse(text.trim().split('\n').at(-1)!) as ChildFigures
}

async function firstRender(dir: string, batches: number): Promise<number[]> {
  const child = spawn(process.execPath, [CLI_FILE, 'serve', '--port', '0', '--no-metrics', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  const release = onExit(() => child.kill('SIGKILL'))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const match = /^GenOps listening on (http:\/\/\S+)$/.exec(line.trim())
        if (match) resolve(match[1]!)
      })
      child.once('exit', (code) => reject(new Error(`genops serve exited (${code}) before it was ready`)))
    })
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
    try {
      const times: number[] = []
      for (let run = 0; run < 3; run++) {
        const page = await browser.newPage()
        await page.goto(`${url}#/batches`)
        await page.locator(`[data-batch-count="${batches}"]`).waitFor({ timeout: 60_000 })
        times.push(await page.evaluate('performance.now()'))
        await page.close()
      }
      return times
    } finally {
      await browser.close()
    }
  } finally {
    release()
    child.kill('SIGTERM')
    await exited
  }
}

export async function runExportBench({ quick, command }: ExportBenchOptions): Promise<void> {
  const count = quick ? SIZES.quick : SIZES.full
  const m = machine()
  console.log(`export bench: ${command}`)
  console.log(`machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb.toFixed(0)} GiB, Node ${m.node}`)
  const dir = tempDir('export')
  try {
    const file = databaseFile(dir.path)
    const filling = performance.now()
    fillOneBatch(file, count)
    console.log(`filled one batch of ${formatNumber(count)} completed jobs in ${formatNumber((performance.now() - filling) / 1000, 1)} s`)
    const rows: string[][] = []
    for (const format of ['csv', 'jsonl', 'parquet']) {
      const figures = exportInChild(file, format, join(dir.path, `products.results.${format}`))
      rows.push([
        format,
        formatNumber(figures.rows),
        formatNumber(figures.ms / 1000, 1),
        formatNumber((figures.rows * 1000) / figures.ms),
        formatNumber(figures.bytes / 2 ** 20, 0),
        formatNumber(figures.baseRssMb, 0),
        formatNumber(figures.peakRssMb, 0),
      ])
    }
    console.log(table(['format', 'rows', 'seconds', 'rows/s', 'file MiB', 'base RSS MiB', 'peak RSS MiB'], rows))
  } finally {
    dir.remove()
  }

  const batches = quick ? BATCHES.quick : BATCHES.full
  const screen = tempDir('batches-screen')
  try {
    fillManyBatches(databaseFile(screen.path), batches)
    const times = await firstRender(screen.path, batches)
    console.log(
      `batches screen, ${formatNumber(batches)} batches, first render (navigation start to every row): ${times.map((ms) => `${formatNumber(ms)} ms`).join(', ')}`,
    )
  } finally {
    screen.remove()
  }
}
