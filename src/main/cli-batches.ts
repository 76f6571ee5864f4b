/**
 * `genops batches list|view|cancel|retry|rerun`, `genops export` and `genops compare`: a
 * batch's progress, its results beside its inputs, and two runs of one input side by side.
 * (`batches limit|pause|resume` are in cli-breakers.ts, with the other gates.)
 */
import { resolve } from 'node:path'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { EXPORT_FORMATS, ExportFormat, formatEta, RerunChanges, type BatchComparison, type BatchDetail, type BatchSummary } from '../shared/batches'
import { describeZodError } from '../shared/contract'
import { usd } from '../shared/costs'
import { toCsv, roundUsd, type CsvValue } from '../shared/csv'
import { table, time } from './cli-format'
import { download, remoteHandlers, type RemoteServer } from './cli-remote'
import { CliError, common, integer, print, printJson, withQueue, withStore, type Common } from './cli-support'

const batchId = integer('batch', 1)
const count = (n: number) => new Intl.NumberFormat('en').format(n)

function progressLine(batch: BatchSummary): string {
  const { counts } = batch
  const parts = [`${count(batch.finished)} of ${count(batch.total)} done`]
  if (counts.dead) parts.push(`${count(counts.dead)} dead`)
  if (counts.cancelled) parts.push(`${count(counts.cancelled)} cancelled`)
  parts.push(`${usd(batch.costUsd)} so far`)
  if (batch.held) parts.push(batch.held)
  else if (batch.etaMs) parts.push(`about ${formatEta(batch.etaMs)} left`)
  return parts.join(', ')
}

function formatBatches(batches: BatchSummary[]): string {
  if (batches.length === 0) return 'no batches: `genops enqueue FILE` makes one'
  return table([
    ['ID', 'NAME', 'DONE', 'ACTIVE', 'QUEUED', 'DEAD', 'RATE/MIN', 'ETA', 'COST', 'CREATED'],
    ...batches.map((b) => [
      String(b.id),
      b.name.slice(0, 40),
      `${count(b.finished)}/${count(b.total)}`,
      count(b.counts.active),
      count(b.counts.queued),
      count(b.counts.dead),
      b.ratePerMinute === null ? '-' : b.ratePerMinute.toFixed(1),
      b.held ? 'held' : formatEta(b.etaMs),
      usd(b.costUsd),
      time(b.createdAt),
    ]),
  ])
}

function formatBatch(batch: BatchDetail): string {
  const lines = [`batch ${batch.id}: ${batch.name}`, `  ${progressLine(batch)}`]
  for (const source of batch.sources)
    lines.push(`  source     ${source.name} (${source.format}, ${count(source.jobs)} jobs${source.columns.length ? `: ${source.columns.join(', ')}` : ''})`)
  lines.push(
    `  states     ${Object.entries(batch.counts)
      .map(([state, n]) => `${state} ${count(n)}`)
      .join(', ')}`,
  )
  lines.push(
    `  rate       ${batch.ratePerMinute === null ? '-' : `${batch.ratePerMinute.toFixed(1)} a minute`}; ETA ${batch.held ? `none while held (${batch.held})` : formatEta(batch.etaMs)}`,
  )
  const estimate = batch.estimatedTotalUsd === null ? '' : `, about ${usd(batch.estimatedTotalUsd)} in all`
  lines.push(`  cost       ${usd(batch.costUsd)} so far${estimate}${batch.unpricedAttempts ? ` (+ ${batch.unpricedAttempts} unpriced attempts)` : ''}`)
  lines.push(`  tokens     ${count(batch.inputTokens)} in, ${count(batch.outputTokens)} out over ${count(batch.attempts)} attempts`)
  lines.push(`  latency    p50 ${batch.p50LatencyMs ?? '-'} ms, p95 ${batch.p95LatencyMs ?? '-'} ms`)
  if (batch.failures.length) lines.push(`  failures   ${batch.failures.map((f) => `${f.category} ${count(f.count)}`).join(', ')}`)
  if (batch.pause) lines.push(`  paused     since ${time(batch.pause.at)}: ${batch.pause.reason}`)
  if (batch.maxConcurrency !== null) lines.push(`  cap        ${batch.maxConcurrency} at once${batch.cappedBy ? `, set by ${batch.cappedBy}` : ''}`)
  if (batch.rerunOf !== null) lines.push(`  re-run of  batch ${batch.rerunOf}${batch.rerunChanges ? ` with ${JSON.stringify(batch.rerunChanges)}` : ''}`)
  if (batch.reruns.length) lines.push(`  re-runs    ${batch.reruns.map((id) => `batch ${id}`).join(', ')}`)
  lines.push(`  created    ${time(batch.createdAt)}`)
  return lines.join('\n')
}

function exportFormat(text: string): ExportFormat {
  const parsed = ExportFormat.safeParse(text)
  if (!parsed.success) throw new InvalidArgumentError(`"${text}" is not a format: use ${EXPORT_FORMATS.join(', ')}`)
  return parsed.data
}

function jsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>
  } catch {
    // Said below, in the operator's words.
  }
  throw new InvalidArgumentError(`--config takes a JSON object, like '{"temperature": 0.2}'`)
}

/** Every row of a comparison, page after page: for --csv and --json. */
async function wholeComparison(options: Common, a: number, b: number, onlyDifferent: boolean): Promise<BatchComparison> {
  return withQueue(options, async (h) => {
    const first = await h.compareBatches({ a, b, onlyDifferent, after: 0, limit: 500 })
    for (let next = first.next; next !== null;) {
      const page = await h.compareBatches({ a, b, onlyDifferent, after: next, limit: 500 })
      first.rows.push(...page.rows)
      next = page.next
    }
    return first
  })
}

/**
 * `genops --server URL export`: the server writes the export into its exports folder (as
 * for the window), then it is copied here, named as a local export would be.
 */
async function exportFromServer(server: RemoteServer, batchId: number, options: { format: ExportFormat; out?: string }) {
  const { file, rows, notFinished, bytes } = await remoteHandlers(server).exportBatch({ batchId, format: options.format })
  // The server's name is batch-<id>-<time>-<the local default name>.
  const path = resolve(options.out ?? file.replace(/^batch-\d+-\d+-/, ''))
  await download(server, 'exports', file, path)
  return { path, written: { rows, notFinished, bytes } }
}

function comparisonCsv(comparison: BatchComparison): string {
  const side = (job: BatchComparison['rows'][number]['a']): CsvValue[] =>
    job === null
      ? [null, null, null, null, null, null, null]
      : [job.state, job.output, job.validation, job.inputTokens, job.outputTokens, job.costUsd === null ? null : roundUsd(job.costUsd), job.latencyMs]
  const names = ['state', 'output', 'validation', 'input_tokens', 'output_tokens', 'cost_usd', 'latency_ms']
  return toCsv([
    ['row', ...names.map((name) => `a_${name}`), ...names.map((name) => `b_${name}`), 'same'],
    ...comparison.rows.map((row) => [row.key, ...side(row.a), ...side(row.b), row.same ? 'yes' : 'no']),
  ])
}

function formatTotals(comparison: BatchComparison): string {
  const { a, b } = comparison
  const diff = (x: number | null, y: number | null, format: (n: number) => string) =>
    x === null || y === null ? '-' : `${y - x >= 0 ? '+' : ''}${format(y - x)}`
  const pct = (n: number) => `${(n * 100).toFixed(1)}%`
  const ms = (n: number) => `${Math.round(n)} ms`
  const rows: [string, number | null, number | null, (n: number) => string][] = [
    ['cost', a.costUsd, b.costUsd, (n) => usd(n)],
    ['p50 latency', a.p50LatencyMs, b.p50LatencyMs, ms],
    ['p95 latency', a.p95LatencyMs, b.p95LatencyMs, ms],
    ['failure rate', a.failureRate, b.failureRate, pct],
    ['output chars', a.meanOutputChars, b.meanOutputChars, (n) => n.toFixed(0)],
  ]
  return table([
    ['', `A: batch ${a.batchId}`, `B: batch ${b.batchId}`, 'B - A'],
    ...rows.map(([name, x, y, format]) => [name, x === null ? '-' : format(x), y === null ? '-' : format(y), diff(x, y, format)]),
  ])
}

export function addBatchCommands(program: Command): void {
  const batches = program.commands.find((command) => command.name() === 'batches') ?? program.command('batches')

  common(batches.command('list').description('batches newest first: progress, rate, ETA and cost'), true)
    .option('--limit <n>', 'how many', integer('--limit', 1, 1000), 50)
    .action(async (options: Common & { limit: number }) => {
      const { batches: list } = await withQueue(options, (h) => h.listBatches({ limit: options.limit }))
      if (options.json) printJson(list)
      else print(formatBatches(list))
    })

  common(batches.command('view').description('one batch: sources, states, rate and ETA, cost, latency, failures, pause and cap'), true)
    .argument('<batch>', 'batch id', batchId)
    .action(async (id: number, options: Common) => {
      const batch = await withQueue(options, (h) => h.getBatch({ batchId: id }))
      if (options.json) printJson(batch)
      else print(formatBatch(batch))
    })

  common(batches.command('cancel').description('cancel every queued and running job of a batch'))
    .argument('<batch>', 'batch id', batchId)
    .action(async (id: number, options: Common) => {
      const { cancelled } = await withQueue(options, (h) => h.cancelBatch({ batchId: id }))
      print(`batch ${id}: ${cancelled} jobs cancelled`)
    })

  common(batches.command('retry').description("send a batch's dead jobs back to the queue with fresh attempts"))
    .argument('<batch>', 'batch id', batchId)
    .action(async (id: number, options: Common) => {
      const { retried } = await withQueue(options, async (h) => {
        await h.getBatch({ batchId: id })
        return h.retryDead({ batchId: id })
      })
      print(`batch ${id}: ${retried} dead jobs sent back to the queue`)
    })

  common(batches.command('rerun').description('run a batch again with another provider, model or config, as a new batch linked to it'), true)
    .argument('<batch>', 'batch id', batchId)
    .option('--provider <name>', 'provider or profile to run on')
    .option('--model <model>', 'model to run')
    .option('--config <json>', "config keys laid over each job's, as a JSON object", jsonObject)
    .option('--estimate', 'only say what it would cost; enqueue nothing')
    .action(async (id: number, options: Common & { provider?: string; model?: string; config?: Record<string, unknown>; estimate?: boolean }) => {
      const changes = RerunChanges.safeParse({ provider: options.provider, model: options.model, config: options.config })
      if (!changes.success) throw new CliError(describeZodError(changes.error), 2)
      if (Object.values(changes.data).every((value) => value === undefined)) throw new CliError('say what changes: --provider, --model or --config', 2)
      const result = await withQueue(options, (h) => h.rerunBatch({ batchId: id, changes: changes.data, estimateOnly: options.estimate ?? false }))
      if (options.json) return void printJson(result)
      print(`estimate: ${result.estimate.basis}`)
      if (result.batchId !== null)
        print(`batch ${id}: re-run as batch ${result.batchId} (${result.estimate.jobs} jobs); \`genops compare ${id} ${result.batchId}\``)
    })

  // A wrong format or path is said in one line, without the help after it.
  common(
    program.command('export').description("write a batch's results beside its inputs: one row per job, in the input's order").showHelpAfterError(false),
    true,
  )
    .argument('<batch>', 'batch id', batchId)
    .addOption(new Option('--format <format>', `${EXPORT_FORMATS.join(', ')}`).argParser(exportFormat).default('csv'))
    .option('--out <file>', 'where to write (default: <input name>.results.<format> here)')
    .action(async (id: number, options: Common & { format: ExportFormat; out?: string }) => {
      const { path, written } = await (options.server
        ? exportFromServer(options.server, id, options)
        : withStore(options, async (store) => {
            const sources = await store.batches.sources(id)
            if (sources === null) throw new CliError(`batch ${id} does not exist`)
            // The writers (Parquet's library among them) are loaded by an export made here, not by every start.
            const { defaultExportName, writeBatchExport } = await import('./batches/export/write-export')
            const path = resolve(
              options.out ??
                defaultExportName(
                  id,
                  sources.map((source) => source.name),
                  options.format,
                ),
            )
            return { path, written: await writeBatchExport(store.batches, { batchId: id, format: options.format, path }) }
          }))
      if (options.json) return void printJson({ batchId: id, format: options.format, path, ...written })
      const left = written.notFinished ? `; ${count(written.notFinished)} jobs not finished yet are not in it` : ''
      print(`${path}: ${count(written.rows)} rows (${options.format})${left}`)
    })

  common(program.command('compare').description('two runs of one input side by side, matched by input row'), true)
    .argument('<a>', 'first batch id', batchId)
    .argument('<b>', 'second batch id', batchId)
    .option('--csv', 'every row as CSV: both outputs, states, tokens, cost and latency')
    .option('--different', 'only the rows whose state or output differ')
    .action(async (a: number, b: number, options: Common & { csv?: boolean; different?: boolean }) => {
      if (a === b) throw new CliError('compare two different batches', 2)
      if (options.csv && options.json) throw new CliError('give --csv or --json, not both', 2)
      const comparison = await wholeComparison(options, a, b, options.different ?? false)
      if (options.json) return void printJson(comparison)
      if (options.csv) return void process.stdout.write(comparisonCsv(comparison))
      const differ = comparison.rows.filter((row) => !row.same).length
      print(formatTotals(comparison))
      print(`\n${count(comparison.rows.length)} rows matched by ${comparison.matchedBy}; ${count(differ)} differ`)
    })
}
