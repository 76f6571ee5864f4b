/**
 * `npm run bench [-- --quick] [-- --local]`: the benchmarks, printed. --quick runs smaller N
 * as a smoke test of the bench itself; its figures are not the ones to compare. --local runs
 * only the local provider's bench (GGUF generation through the pipeline beside direct).
 */
import { runLocalBench } from './local'
import { runQueueBench } from './queue'

const args = process.argv.slice(2)
const known = new Set(['--quick', '--local'])
const unknown = args.filter((arg) => !known.has(arg))
if (unknown.length > 0) {
  console.error(`bench: unknown option ${unknown.join(' ')} (known: ${[...known].join(' ')})`)
  process.exit(2)
}

const command =
  process.env.npm_lifecycle_event === 'bench' ? `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}` : `tsx bench/run.ts ${args.join(' ')}`.trim()

try {
  const quick = args.includes('--quick')
  if (args.includes('--local')) await runLocalBench({ quick, command })
  else await runQueueBench({ quick, command })
} catch (error) {
  console.error('bench failed:', error)
  process.exitCode = 1
}
