/**
 * `genops workers`: the engines working this queue (the desktop app, `genops serve`, `genops
 * run`), each with its host and process, version, state, last beat and the jobs it holds;
 * the Workers panel's table. Through the contract, so `--server` lists a team's engines.
 */
import type { Command } from 'commander'
import type { WorkerInfo } from '../shared/workers'
import { table } from './cli-format'
import { common, print, printJson, withQueue, type Common } from './cli-support'

const ago = (ms: number) => (ms < 1000 ? 'now' : ms < 120_000 ? `${Math.round(ms / 1000)} s ago` : `${Math.round(ms / 60_000)} min ago`)

export function formatWorkers(workers: readonly WorkerInfo[], now = Date.now()): string {
  if (workers.length === 0) return 'no engine has worked this queue yet: start one with `genops serve` or `genops run`, or open the app'
  return table([
    ['WORKER', 'VERSION', 'STATE', 'CLAIMS', 'LAST BEAT', 'STARTED'],
    ...workers.map((worker) => [
      `${worker.host}:${worker.pid}${worker.self ? ' (this one)' : ''}`,
      worker.version,
      worker.state,
      String(worker.claims),
      ago(now - worker.heartbeatAt),
      new Date(worker.startedAt).toISOString(),
    ]),
  ])
}

export function addWorkerCommands(program: Command): void {
  common(program.command('workers').description('the engines working this queue: state, last heartbeat, the jobs each holds'), true).action(
    async (options: Common) => {
      const { workers } = await withQueue(options, (h) => h.listWorkers({}))
      if (options.json) printJson(workers)
      else print(formatWorkers(workers))
    },
  )
}
