/** How the CLI prints jobs and figures for a person (with --json it prints the contract's shapes instead). */
import type { JobDetail, JobSummary, QueueStats } from '../shared/jobs'
import { JOB_STATES } from '../shared/jobs'

export const time = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19))

/** Columns padded to their widest cell; the last column is left ragged. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n')
}

export function formatJobs(jobs: JobSummary[]): string {
  if (jobs.length === 0) return 'no jobs'
  return table([
    ['ID', 'STATE', 'PRIORITY', 'PROVIDER', 'ATTEMPTS', 'CREATED', 'PROMPT'],
    ...jobs.map((job) => [
      String(job.id),
      job.state,
      job.priority,
      job.model ? `${job.provider}/${job.model}` : job.provider,
      `${job.attemptsMade}/${job.maxAttempts}`,
      time(job.createdAt),
      job.promptPreview.replace(/\s+/g, ' ').slice(0, 60),
    ]),
  ])
}

export function formatJob(job: JobDetail): string {
  const lines = [
    `job ${job.id}: ${job.state}`,
    `  provider   ${job.provider}${job.model ? ` / ${job.model}` : ''}`,
    `  priority   ${job.priority}`,
    `  batch      ${job.batchId ?? '-'}`,
    `  attempts   ${job.attemptsMade} of ${job.maxAttempts}${job.stalledCount ? ` (stalled ${job.stalledCount})` : ''}`,
    `  created    ${time(job.createdAt)}`,
    `  run at     ${time(job.runAt)}`,
    `  finished   ${time(job.finishedAt)}`,
  ]
  if (job.tags.length) lines.push(`  tags       ${job.tags.join(', ')}`)
  if (job.idempotencyKey) lines.push(`  key        ${job.idempotencyKey}`)
  if (job.lastError) lines.push(`  last error ${job.lastError}`)
  if (job.artifact) lines.push(`  artifact   ${job.artifact}`)
  const sent = job.providerBatch
  if (sent)
    lines.push(
      `  provider batch ${sent.remoteId ?? `#${sent.id} (not sent yet)`}: ${sent.state}${sent.remoteStatus ? ` (${sent.remoteStatus} at the provider)` : ''}`,
    )
  lines.push('', 'prompt:', indent(job.prompt))
  if (job.output !== null) lines.push('', 'output:', indent(job.output))
  if (job.attempts.length) {
    lines.push('', 'attempts:')
    for (const a of job.attempts) {
      const cache = [a.cachedInputTokens && `${a.cachedInputTokens} cached`, a.cacheWriteTokens && `${a.cacheWriteTokens} written to the cache`].filter(Boolean)
      const tokens = a.outputTokens === null ? '' : `, ${a.inputTokens ?? 0} in${cache.length ? ` (+ ${cache.join(', ')})` : ''} / ${a.outputTokens} out tokens`
      const error = a.error ? `: ${a.errorCategory} ${a.error}` : ''
      lines.push(`  #${a.number} ${a.outcome}${a.cached ? ' from the response cache' : ''} in ${a.endedAt - a.startedAt} ms${tokens}${error}`)
    }
  }
  lines.push('', 'events:', `  ${time(job.createdAt)}  created`)
  for (const e of job.events) lines.push(`  ${time(e.at)}  ${e.from} -> ${e.to}${e.detail ? `  (${e.detail})` : ''}`)
  return lines.join('\n')
}

export function formatStats(stats: QueueStats): string {
  return [`queue ${stats.paused ? 'PAUSED' : 'running'}`, ...JOB_STATES.map((state) => `  ${state.padEnd(10)} ${stats.counts[state]}`)].join('\n')
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')
