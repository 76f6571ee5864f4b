/**
 * Alerts and the diagnostic bundle with a big database: a million jobs queued (a few
 * thousand settled into an hour of per-second rollups, every provider), then
 *  - one evaluation of the default rules (signals read, states and transitions written),
 *    timed p50/p99 over repeated evaluations: the engine runs one every 15 s;
 *  - a diagnostic bundle of that data directory: its time, size, and the main thread's
 *    event-loop delay meanwhile (integrity_check and the zip's deflate run off it).
 * Prints figures; asserts nothing.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { evaluateRules } from '../src/main/alerts/evaluate'
import { defaultRules } from '../src/main/alerts/rules'
import { readSignals } from '../src/main/alerts/signals'
import type { StoredAlertState } from '../src/main/alerts/store'
import { createHandlers, toNewJob } from '../src/main/operations'
import { SqliteQueueStore } from '../src/main/store/sqlite/queue'
import type { AttemptResult } from '../src/main/queue/store'
import { formatNumber, lagMonitor, machine, table, tempDir } from './support'

export interface AlertsBenchOptions {
  quick: boolean
  command: string
}

const SIZES = { full: { jobs: 1_000_000, settled: 36_000, evaluations: 200 }, quick: { jobs: 100_000, settled: 3_600, evaluations: 30 } }
const PROVIDERS = ['openai', 'anthropic', 'ollama', 'sim'] as const
const HOUR = 3_600_000

function seed(store: SqliteQueueStore, jobs: number, settled: number, now: number): void {
  for (let from = 0; from < jobs; from += 100_000) {
    const count = Math.min(100_000, jobs - from)
    const specs = Array.from({ length: count }, (_, k) =>
      toNewJob({ prompt: `job ${from + k}`, provider: PROVIDERS[(from + k) % PROVIDERS.length]! }, {}, now - HOUR),
    )
    store.enqueue(specs, `batch ${from / 100_000}`, now - HOUR)
  }
  // Settled across the last hour, ten a claim, so every second's rollup bucket has rows.
  for (let i = 0; i < settled; i += 10) {
    const at = now - HOUR + Math.round((i / settled) * HOUR)
    const { jobs: claimed } = store.claim({ owner: 'bench', limit: 10, now: at, leaseMs: HOUR })
    const results: AttemptResult[] = claimed.map((job, k) =>
      (i + k) % 7 === 0
        ? { id: job.id, outcome: 'error', endedAt: at + 400, category: 'TIMEOUT', message: 'timed out', retryable: false, retryAt: at }
        : { id: job.id, outcome: 'ok', endedAt: at + 200 + ((i + k) % 13) * 50, output: 'x', inputTokens: 100, outputTokens: 300 },
    )
    store.settle(results, 'bench')
  }
}

export async function runAlertsBench({ quick, command }: AlertsBenchOptions): Promise<void> {
  const sizes = quick ? SIZES.quick : SIZES.full
  const dir = tempDir('alerts')
  const store = SqliteQueueStore.open(join(dir.path, 'genops.db'))
  try {
    const m = machine()
    console.log(`alerts and the diagnostic bundle: ${command}`)
    console.log(`  ${m.cpu}, ${m.cores} cores, ${m.memoryGb.toFixed(0)} GB, Node ${m.node}${quick ? ' (quick: smaller N, not the figures to compare)' : ''}`)
    const now = Date.now()
    const seeded = performance.now()
    seed(store, sizes.jobs, sizes.settled, now)
    const dbBytes = statSync(join(dir.path, 'genops.db')).size
    console.log(
      `  ${formatNumber(sizes.jobs)} jobs, ${formatNumber(sizes.settled)} settled over the last hour; database ${formatNumber(dbBytes / 2 ** 20, 1)} MiB (seeded in ${formatNumber((performance.now() - seeded) / 1000, 1)} s)\n`,
    )

    const rules = defaultRules()
    const sources = {
      alerts: store.alerts,
      queueStats: (at: number) => store.stats(at),
      breakers: () => [],
      budgets: (at: number) => store.costs.budgets(at),
      dataDir: dir.path,
    }
    let previous = new Map<string, StoredAlertState>()
    const times: number[] = []
    let transitions = 0
    for (let i = 0; i <= sizes.evaluations; i++) {
      const started = performance.now()
      const at = now + i * 15_000
      const values = await readSignals(rules, sources, at)
      const evaluation = evaluateRules(rules, previous, values, at)
      store.alerts.record(evaluation.states, evaluation.transitions)
      previous = new Map(evaluation.states.map((s) => [s.name, s]))
      transitions += evaluation.transitions.length
      // The first evaluation prepares the statements: an engine pays that once.
      if (i > 0) times.push(performance.now() - started)
    }
    times.sort((a, b) => a - b)
    const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!
    console.log(
      table(
        ['evaluation of the default rules', 'p50', 'p99', 'transitions'],
        [[`${rules.length} rules, ${sizes.evaluations} evaluations`, `${formatNumber(at(0.5), 2)} ms`, `${formatNumber(at(0.99), 2)} ms`, String(transitions)]],
      ),
    )

    const handlers = createHandlers(store)
    const lag = lagMonitor()
    const started = performance.now()
    const bundle = await handlers.exportBundle({})
    const ms = performance.now() - started
    const delay = lag.stop()
    console.log('')
    console.log(
      table(
        ['diagnostic bundle', 'time', 'zip size', 'files', 'loop delay p99', 'max'],
        [
          [
            `of this data directory`,
            `${formatNumber(ms / 1000, 2)} s`,
            `${formatNumber(bundle.bytes / 1024, 0)} KiB`,
            String(bundle.files),
            `${formatNumber(delay.p99Ms, 1)} ms`,
            `${formatNumber(delay.maxMs, 1)} ms`,
          ],
        ],
      ),
    )
    if (bundle.problems.length > 0) console.log(`  problems: ${bundle.problems.join('; ')}`)
  } finally {
    store.close()
    dir.remove()
  }
}
