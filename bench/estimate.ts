/**
 * The estimate before launch on a big drop: 100,000 jobs (or the count given) estimated as
 * the drop dialog and `genops enqueue --estimate` estimate them, for a simulator job (input
 * estimated at 4 characters a token) and an OpenAI profile (counted by gpt-4o-mini's tokenizer
 * on the token-count thread), with the main thread's event-loop lag meanwhile. Prints figures;
 * asserts nothing. `npx tsx bench/estimate.ts [jobs]`
 */
import { join } from 'node:path'
import { estimateJobs } from '../src/main/costs/estimate'
import { loadPriceList, PriceBook } from '../src/main/costs/pricing'
import { toNewJob } from '../src/main/queue/new-job'
import { SqliteQueueStore } from '../src/main/store/sqlite/queue'
import { lagMonitor, machine, table, tempDir } from './support'

const count = Number(process.argv[2] ?? 100_000)
const dir = tempDir('estimate')
const store = SqliteQueueStore.open(join(dir.path, 'genops.db'))
store.saveProfile({ name: 'work', provider: 'openai', model: 'gpt-4o-mini' }, Date.now())
const prices = new PriceBook(loadPriceList())

const rows: string[][] = []
for (const provider of ['sim', 'work']) {
  const jobs = Array.from({ length: count }, (_, i) =>
    toNewJob({ prompt: `Summarise customer ticket #${i}: the printer on floor ${i % 7} jams when it prints double-sided reports.`, provider }, {}, Date.now()),
  )
  const lag = lagMonitor()
  const started = performance.now()
  const estimate = await estimateJobs(jobs, store, prices, { lane: 'realtime', now: Date.now() })
  const ms = performance.now() - started
  const { p99Ms, maxMs } = lag.stop()
  const counting = estimate.groups[0]!.inputCounting
  rows.push([
    provider === 'sim' ? 'sim (estimated)' : `openai gpt-4o-mini (${counting.method === 'tokenizer' ? counting.encoding : 'estimated'})`,
    count.toLocaleString('en-US'),
    `${(ms / 1000).toFixed(2)} s`,
    `${((ms * 1000) / count).toFixed(1)} µs`,
    `${p99Ms.toFixed(0)} ms`,
    `${maxMs.toFixed(0)} ms`,
  ])
}
store.close()
dir.remove()
const { cpu, cores, node } = machine()
console.log(`estimate before launch · ${cpu}, ${cores} cores, Node ${node}`)
console.log(table(['jobs of', 'jobs', 'time', 'per job', 'lag p99', 'lag max'], rows))
