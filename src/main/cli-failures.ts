/**
 * `genops dlq|failures|regressions`: the dead-letter queue by category, provider and batch;
 * the groups failures fall into; and the regression set pinned from them, run again as a
 * batch by an engine in this process (or, with --server, by the server's).
 */
import { type Command, InvalidArgumentError } from 'commander'
import { ERROR_CATEGORIES, isErrorCategory, type ErrorCategory } from '../shared/errors'
import type { DeadFilter, DeadJob, DeadSelection, DeadStats, FailureGroup, RegressionCase, RegressionRun } from '../shared/failures'
import { table, time } from './cli-format'
import { CliError, common, duration, integer, jobId, print, printJson, withQueue, type Common } from './cli-support'
import { remoteHandlers } from './cli-remote'
import type { Engine } from './engine'
import type { Handlers } from './operations'

interface FilterOptions extends Common {
  category?: ErrorCategory
  provider?: string
  batch?: number
}

function category(text: string): ErrorCategory {
  const name = text.trim().toUpperCase()
  if (!isErrorCategory(name)) throw new InvalidArgumentError(`--category must be one of ${Object.keys(ERROR_CATEGORIES).join(', ')}`)
  return name
}

function withFilters(command: Command): Command {
  return command
    .option('--category <category>', `only dead jobs of this error category (${Object.keys(ERROR_CATEGORIES).join(', ')})`, category)
    .option('--provider <name>', 'only dead jobs of this provider or profile')
    .option('--batch <id>', 'only dead jobs of this batch', integer('--batch', 1))
}

function filterOf(options: FilterOptions): DeadFilter {
  return { category: options.category, provider: options.provider, batchId: options.batch }
}

/** Exactly one of: a job ID, --all, or filters (which combine). */
function selectionOf(id: number | undefined, options: FilterOptions & { all?: boolean }): DeadSelection {
  const filter = filterOf(options)
  const filtered = Object.values(filter).some((value) => value !== undefined)
  const ways = [id !== undefined, options.all === true, filtered].filter(Boolean).length
  if (ways !== 1) {
    throw new CliError(`give one of: a job ID, --all, or filters (--category, --provider, --batch)${ways > 1 ? ', not several of these' : ''}`, 2)
  }
  if (id !== undefined) return { id }
  return options.all ? { all: true } : filter
}

const oneLine = (text: string | null, width: number): string => {
  const line = (text ?? '').replace(/\s+/g, ' ').trim()
  return line.length > width ? `${line.slice(0, width - 1)}…` : line
}

export function formatDeadJobs(jobs: DeadJob[]): string {
  if (jobs.length === 0) return 'no dead jobs'
  return table([
    ['ID', 'CATEGORY', 'PROVIDER', 'BATCH', 'ATTEMPTS', 'DIED', 'LAST ERROR'],
    ...jobs.map((job) => [
      String(job.id),
      job.errorCategory ?? '-',
      job.model ? `${job.provider}/${job.model}` : job.provider,
      job.batchId === null ? '-' : String(job.batchId),
      `${job.attemptsMade}/${job.maxAttempts}`,
      time(job.finishedAt),
      oneLine(job.lastError, 100),
    ]),
  ])
}

export function formatDeadStats(stats: DeadStats): string {
  if (stats.total === 0) return 'no dead jobs'
  const lines = [`${stats.total} dead job${stats.total === 1 ? '' : 's'}`, '', 'by category:']
  lines.push(indent(table(stats.byCategory.map((row) => [row.category ?? '(none)', String(row.count)]))))
  lines.push('', 'by provider:', indent(table(stats.byProvider.map((row) => [row.provider, String(row.count)]))))
  return lines.join('\n')
}

const flagOf = (group: FailureGroup): string => (group.pinnedAt !== null ? 'pinned' : group.flagged ? 'FLAGGED' : '-')

export function formatGroups(groups: FailureGroup[]): string {
  if (groups.length === 0) return 'no failures recorded'
  return table([
    ['FINGERPRINT', 'CATEGORY', 'COUNT', 'FIRST SEEN', 'LAST SEEN', 'FLAG', 'SAMPLE JOBS', 'PATTERN'],
    ...groups.map((group) => [
      group.fingerprint,
      group.category,
      String(group.count),
      time(group.firstSeen),
      time(group.lastSeen),
      flagOf(group),
      group.sampleJobIds.join(',') || '-',
      group.pattern,
    ]),
  ])
}

const resultOf = (c: RegressionCase): string => (c.spec === null ? 'unreadable' : (c.lastRun?.outcome ?? 'never run'))

export function formatRegressions(cases: RegressionCase[]): string {
  if (cases.length === 0) return 'no regression cases: pin a flagged failure group with `genops failures pin FINGERPRINT`'
  return table([
    ['CASE', 'GROUP', 'CATEGORY', 'PROVIDER', 'FROM JOB', 'LAST RUN', 'RESULT', 'PROMPT'],
    ...cases.map((c) => [
      String(c.id),
      c.fingerprint,
      c.category ?? '-',
      c.spec ? (c.spec.model ? `${c.spec.provider ?? 'sim'}/${c.spec.model}` : (c.spec.provider ?? 'sim')) : '-',
      c.sourceJobId === null ? '-' : String(c.sourceJobId),
      time(c.lastRun?.at ?? null),
      resultOf(c),
      c.spec ? oneLine(c.spec.prompt, 60) : (c.problem ?? ''),
    ]),
  ])
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')

export function addFailureCommands(program: Command): void {
  addDeadLetterCommands(program)
  addFailureGroupCommands(program)
  addRegressionCommands(program)
}

function addDeadLetterCommands(program: Command): void {
  const dlq = program.command('dlq').description('the dead-letter queue: jobs out of attempts or not retryable')

  withFilters(common(dlq.command('list').description('dead jobs, newest first, with the category and error they died of'), true))
    .option('--before <id>', 'only jobs with an id below this one (the next page)', jobId)
    .option('--limit <n>', 'how many', integer('--limit', 1, 500), 50)
    .action(async (options: FilterOptions & { before?: number; limit: number }) => {
      const { jobs } = await withQueue(options, (h) => h.listDead({ ...filterOf(options), beforeId: options.before, limit: options.limit }))
      if (options.json) printJson(jobs)
      else print(formatDeadJobs(jobs))
    })

  common(dlq.command('stats').description('dead jobs by error category and by provider'), true).action(async (options: Common) => {
    const stats = await withQueue(options, (h) => h.deadStats({}))
    if (options.json) printJson(stats)
    else print(formatDeadStats(stats))
  })

  withFilters(common(dlq.command('retry').description('send dead jobs back to the queue with fresh attempts: one, --all, or those the filters match'), true))
    .argument('[id]', 'one dead job', jobId)
    .option('--all', 'every dead job')
    .action(async (id: number | undefined, options: FilterOptions & { all?: boolean }) => {
      const selection = selectionOf(id, options)
      const result = await withQueue(options, (h) => h.retryDead(selection))
      if (options.json) printJson(result)
      else print(`retried ${result.retried} dead job${result.retried === 1 ? '' : 's'}`)
    })

  withFilters(common(dlq.command('purge').description('delete dead jobs: one, --all, or those the filters match (their failure groups stay)'), true))
    .argument('[id]', 'one dead job', jobId)
    .option('--all', 'every dead job')
    .action(async (id: number | undefined, options: FilterOptions & { all?: boolean }) => {
      const selection = selectionOf(id, options)
      const result = await withQueue(options, (h) => h.purgeDead(selection))
      if (options.json) printJson(result)
      else print(`purged ${result.removed} dead job${result.removed === 1 ? '' : 's'}`)
    })
}

function addFailureGroupCommands(program: Command): void {
  const failures = program.command('failures').description('failures grouped by category and message; a group seen 3 times is flagged')

  common(failures.command('list').description('failure groups, most recently seen first'), true)
    .option('--flagged', 'only groups seen often enough to be flagged')
    .option('--limit <n>', 'how many', integer('--limit', 1, 500), 50)
    .action(async (options: Common & { flagged?: boolean; limit: number }) => {
      const { groups } = await withQueue(options, (h) => h.listFailureGroups({ limit: options.limit, flagged: options.flagged }))
      if (options.json) printJson(groups)
      else print(formatGroups(groups))
    })

  common(failures.command('pin').description("copy a flagged group's failing jobs into the regression set"), true)
    .argument('<fingerprint>', 'the group, as `genops failures list` shows it')
    .action(async (fingerprint: string, options: Common) => {
      const result = await withQueue(options, (h) => h.pinFailureGroup({ fingerprint }))
      if (options.json) printJson(result)
      else print(`failure group ${fingerprint} pinned: ${result.added} new regression case${result.added === 1 ? '' : 's'}, ${result.group.cases} in all`)
    })
}

interface RunOptions extends Common {
  group?: string
  timeout?: number
}

function addRegressionCommands(program: Command): void {
  const regressions = program.command('regressions').description('the regression set: failing jobs pinned from failure groups, to run again')

  common(regressions.command('list').description('regression cases with the result of their latest run'), true)
    .option('--group <fingerprint>', 'only the cases of this failure group')
    .action(async (options: RunOptions) => {
      const { cases } = await withQueue(options, (h) => h.listRegressions({ fingerprint: options.group }))
      if (options.json) printJson(cases)
      else print(formatRegressions(cases))
    })

  common(
    regressions
      .command('run')
      .description('enqueue the regression cases as one batch, process the queue until they finish, and say which pass (exit 1 if any does not)'),
    true,
  )
    .option('--group <fingerprint>', 'only the cases of this failure group')
    .option('--timeout <duration>', 'stop waiting after this long, like 10m (cases still running count as not passing)', duration)
    .action(async (options: RunOptions) => {
      const report = options.server ? await runAndWait(remoteHandlers(options.server), options) : await runHere(options)
      if (options.json) printJson(report)
      else print(formatRegressionReport(report))
      if (report.failing > 0) process.exitCode = 1
    })
}

interface RegressionReport extends Pick<RegressionRun, 'batchId' | 'skipped'> {
  cases: {
    caseId: number
    jobId: number
    fingerprint: string
    outcome: 'running' | 'passed' | 'failed' | 'removed'
    errorCategory: string | null
    error: string | null
  }[]
  passed: number
  /** Failed, removed, still running at the timeout, or skipped: everything that did not pass. */
  failing: number
}

/** The run by an engine in this process, closed after (the engine is imported here: no other failures command loads it). */
async function runHere(options: RunOptions): Promise<RegressionReport> {
  const [{ createEngine }, { storeTarget }] = await Promise.all([import('./engine'), import('./cli-store')])
  // On the store the other commands open: a team's, when one is named.
  const { dataDir: dir, url } = await storeTarget(options.dataDir, options.store)
  const engine = await createEngine({ dataDir: dir, ...(url === undefined ? {} : { store: url }) })
  const stop = closeOnSignal(engine)
  try {
    return await runAndWait(
      { runRegressions: (input) => engine.call('runRegressions', input), listRegressions: (input) => engine.call('listRegressions', input) },
      options,
    )
  } finally {
    stop()
    await engine.close()
  }
}

/**
 * Enqueues the cases and polls them until none is still queued, delayed or running (or the
 * timeout passes): on an engine in this process, or a server's (--server), whose engine runs them.
 */
async function runAndWait(engine: Pick<Handlers, 'runRegressions' | 'listRegressions'>, { group, timeout }: RunOptions): Promise<RegressionReport> {
  const run = await engine.runRegressions({ fingerprint: group })
  const deadline = timeout === undefined ? Infinity : Date.now() + timeout
  const jobOf = new Map(run.runs.map((r) => [r.caseId, r.jobId]))
  for (;;) {
    const { cases } = await engine.listRegressions({ fingerprint: group })
    // A case another run has taken since is left out of this report, and counts as not passing.
    const mine = cases.filter((c) => c.lastRun !== null && jobOf.get(c.id) === c.lastRun.jobId)
    if (mine.every((c) => c.lastRun!.outcome !== 'running') || Date.now() > deadline) {
      const rows = mine.map((c) => ({
        caseId: c.id,
        jobId: c.lastRun!.jobId,
        fingerprint: c.fingerprint,
        outcome: c.lastRun!.outcome,
        errorCategory: c.lastRun!.errorCategory,
        error: c.lastRun!.error,
      }))
      const passed = rows.filter((r) => r.outcome === 'passed').length
      return { batchId: run.batchId, cases: rows, skipped: run.skipped, passed, failing: run.runs.length - passed + run.skipped.length }
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

export function formatRegressionReport(report: RegressionReport): string {
  const lines = [`regression batch ${report.batchId}:`]
  lines.push(
    indent(
      table([
        ['CASE', 'JOB', 'GROUP', 'RESULT', 'ERROR'],
        ...report.cases.map((c) => [
          String(c.caseId),
          String(c.jobId),
          c.fingerprint,
          c.outcome === 'running' ? 'still running' : c.outcome,
          c.error ? oneLine(`${c.errorCategory ?? ''}: ${c.error}`, 120) : '',
        ]),
      ]),
    ),
  )
  for (const s of report.skipped) lines.push(`  case ${s.caseId} not run: ${s.problem}`)
  lines.push(`${report.passed} passed, ${report.failing} still failing`)
  // An empty last column leaves the padding of the one before it.
  return lines.join('\n').replace(/ +$/gm, '')
}

/** Ctrl-C or SIGTERM closes the engine (running attempts finish or are stopped) before exiting. */
function closeOnSignal(engine: Engine): () => void {
  const handler = () => {
    engine.close().then(
      () => process.exit(130),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', handler)
  process.once('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}
