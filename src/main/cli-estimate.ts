/**
 * `genops enqueue --estimate FILE...`: what the files' jobs would use and cost, and how long
 * their profiles' limits make them take, before anything is enqueued (nothing is). The jobs
 * are the ones enqueue would send (files read and checked the same way, the same options over
 * them), estimated through the contract (estimateJobs) by the local queue or, with --server,
 * by the server's, with its cache, history and budgets: as the drop dialog shows it.
 */
import { formatEta } from '../shared/batches'
import { usd } from '../shared/costs'
import type { Estimate, EstimateGroup } from '../shared/estimate'
import type { JobDefaults, JobSpec } from '../shared/jobs'
import { print, printJson, withQueue, type Common } from './cli-support'

const count = (n: number) => n.toLocaleString('en-US')

const jobWord = (n: number) => `${count(n)} job${n === 1 ? '' : 's'}`

function counted(group: EstimateGroup): string {
  return group.inputCounting.method === 'tokenizer' ? `counted with ${group.inputCounting.encoding}` : 'estimated: about 4 characters a token'
}

function time(ms: number | null, words: string): string {
  if (ms !== null) return `at least ${formatEta(ms)} (${words})`
  // Attempts at once alone bound nothing that is known yet: how long each answer takes.
  return words === 'no limit set' ? words : `${words}: as long as the answers take`
}

function groupLines(group: EstimateGroup): string[] {
  const name = group.model === null ? group.provider : `${group.provider}/${group.model}`
  const kind = group.provider === group.kind ? '' : ` (${group.kind} profile)`
  const cached = group.cachedJobs > 0 ? `, ${count(group.cachedJobs)} answered from the cache (${usd(group.cachedUsd)} saved)` : ''
  return [
    `${name}${kind}: ${jobWord(group.jobs)}${cached}`,
    `  input ${count(group.inputTokens)} tokens (${counted(group)}); output ${count(group.outputTokens)} tokens (${group.outputWords})`,
    `  real-time ${usd(group.realtimeUsd)}; batch ${group.batchOffered ? usd(group.batchUsd) : `not offered (${group.kind} has no batch API)`}`,
    `  time: ${time(group.limitedMs, group.limitWords)}`,
  ]
}

/** The per-minute limits pace real-time calls; a provider batch is answered in its own time. */
function totalTime(estimate: Estimate): string {
  if (estimate.lane === 'batch') return 'within 24 hours on the batch lane'
  return estimate.limitedMs === null ? 'no per-minute limit set' : `at least ${formatEta(estimate.limitedMs)} in real time`
}

/** The estimate in words, a line each: groups, the total, budgets crossed, then what to know. */
export function estimateLines(estimate: Estimate): string[] {
  const lines = estimate.groups.flatMap(groupLines)
  const cached = estimate.cachedJobs > 0 ? `, ${count(estimate.cachedJobs)} from the cache` : ''
  const batch = estimate.batchOffered ? `; batch ${usd(estimate.batchUsd)}` : ''
  lines.push(
    `total: ${jobWord(estimate.jobs)}${cached}; input ${count(estimate.inputTokens)} tokens, output ${count(estimate.outputTokens)} tokens; ` +
      `real-time ${usd(estimate.realtimeUsd)}${batch}; time ${totalTime(estimate)}`,
  )
  for (const budget of estimate.budgets) lines.push(`over budget: ${budget.message}${budget.action === 'pause' ? ' (it pauses: jobs past it are held)' : ''}`)
  for (const note of estimate.notes) lines.push(`note: ${note}`)
  return lines
}

/** Estimates the jobs enqueue would send with these defaults, prints it, and enqueues nothing. */
export async function printEstimate(jobs: JobSpec[], defaults: JobDefaults, options: Common & { json?: boolean }): Promise<void> {
  const estimate = await withQueue(options, (handlers) => handlers.estimateJobs({ jobs, defaults }))
  if (options.json) printJson(estimate)
  else for (const line of [...estimateLines(estimate), 'nothing was enqueued (--estimate)']) print(line)
}
