/** `genops breakers list|reset|open` and `genops batches limit|pause|resume`: the resilience layer from the command line. */
import type { Command } from 'commander'
import type { BreakerInfo } from '../shared/resilience'
import { table, time } from './cli-format'
import { CliError, common, integer, print, printJson, withQueue, type Common } from './cli-support'

function describeState(breaker: BreakerInfo, now = Date.now()): string {
  if (breaker.state !== 'open') return breaker.state
  const until = breaker.openUntil ?? now
  return until > now ? `open until ${time(until)}` : 'open, probe due'
}

export function formatBreakers(breakers: BreakerInfo[]): string {
  if (breakers.length === 0) return 'no breakers yet: one appears for each provider and model once its jobs run'
  return table([
    ['BREAKER', 'STATE', 'SINCE', 'OK 5M', 'FAILED 5M', 'REASON'],
    ...breakers.map((breaker) => [
      breaker.name,
      describeState(breaker),
      time(breaker.since),
      String(breaker.recent?.ok ?? 0),
      String(breaker.recent?.failed ?? 0),
      breaker.reason ?? '',
    ]),
  ])
}

export function addBreakerCommands(program: Command): void {
  const breakers = program.command('breakers').description('circuit breakers: one per provider and model; while one is open its jobs wait and burn no attempts')

  common(breakers.command('list').description('every breaker, its state and why; with --history its recent transitions'), true)
    .option('--history', "also print each breaker's recent transitions")
    .action(async (options: Common & { history?: boolean }) => {
      const { breakers: list } = await withQueue(options, (h) => h.listBreakers({}))
      if (options.json) {
        printJson(list)
        return
      }
      print(formatBreakers(list))
      if (!options.history) return
      for (const breaker of list) {
        print(`\n${breaker.name}`)
        for (const t of breaker.transitions) print(`  ${time(t.at)}  ${t.from} -> ${t.to}${t.reason ? `  ${t.reason}` : ''}`)
      }
    })

  common(breakers.command('reset').description('close a breaker now: its jobs are claimed again (a running app applies it within a poll)'))
    .argument('<name>', 'breaker name, as `breakers list` shows it')
    .action(async (name: string, options: Common) => {
      await withQueue(options, (h) => h.resetBreaker({ name }))
      print(`${name}: reset to closed`)
    })

  common(breakers.command('open').description('hold a breaker open until it is reset: for a provider you know is down'))
    .argument('<name>', 'breaker name, as `breakers list` shows it')
    .action(async (name: string, options: Common) => {
      await withQueue(options, (h) => h.openBreaker({ name }))
      print(`${name}: held open until \`genops breakers reset ${name}\``)
    })

  const batches = program.command('batches').description('batches: the jobs of one enqueue or drop')
  common(batches.command('limit').description('cap how many of a batch\'s jobs run at once ("none" lifts the cap)'))
    .argument('<batch>', 'batch id', integer('batch', 1))
    .argument('<max>', 'most jobs at once, or "none"')
    .action(async (batchId: number, max: string, options: Common) => {
      const maxConcurrency = max === 'none' ? null : Number(max)
      if (maxConcurrency !== null && !(Number.isInteger(maxConcurrency) && maxConcurrency > 0))
        throw new CliError('max must be a positive integer or "none"', 2)
      await withQueue(options, (h) => h.setBatchLimit({ batchId, maxConcurrency }))
      print(maxConcurrency === null ? `batch ${batchId}: no cap` : `batch ${batchId}: at most ${maxConcurrency} at once`)
    })

  common(batches.command('pause').description("hold a batch's queued jobs (running ones finish) until it is resumed"))
    .argument('<batch>', 'batch id', integer('batch', 1))
    .option('--reason <text>', 'why, as held jobs will show it')
    .action(async (batchId: number, options: Common & { reason?: string }) => {
      await withQueue(options, (h) => h.pauseBatch({ batchId, reason: options.reason }))
      print(`batch ${batchId}: paused; \`genops batches resume ${batchId}\` starts its jobs again`)
    })

  common(batches.command('resume').description('start the jobs of a paused batch again (paused by you, or by its budget)'))
    .argument('<batch>', 'batch id', integer('batch', 1))
    .action(async (batchId: number, options: Common) => {
      const { resumed } = await withQueue(options, (h) => h.resumeBatch({ batchId }))
      if (!resumed) throw new CliError(`batch ${batchId} is not paused`)
      print(`batch ${batchId}: resumed`)
    })
}
