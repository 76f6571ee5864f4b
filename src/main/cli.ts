/**
 * `genops`: the command line. Commands that only read or change the queue open the
 * database directly (a running app or `genops serve` notices within its poll interval);
 * `serve` and `run` start an engine.
 *
 * Every command is declared here at start, but the engine, the HTTP server and what only
 * some commands use are imported by the actions that need them: `genops jobs list` should
 * not pay for loading provider SDKs, the worker pool and telemetry on every start.
 */
import { randomBytes } from 'node:crypto'
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import { OperationError } from '../shared/contract'
import { JOB_STATES, type JobState } from '../shared/jobs'
import { allowedHostName, isLoopback } from './api/http-guards'
import { addAlertCommands } from './cli-alerts'
import { addBackupCommands } from './cli-backup'
import { addBatchCommands } from './cli-batches'
import { addCacheCommands } from './cli-cache'
import { addWorkerCommands } from './cli-workers'
import { addTeamKeyCommands } from './cli-team-key'
import { addEnqueueCommand } from './cli-enqueue'
import { addFailureCommands } from './cli-failures'
import { formatJob, formatJobs, formatStats } from './cli-format'
import { addHealthCommand } from './cli-health'
import { addBundleCommand } from './cli-bundle'
import { addBreakerCommands } from './cli-breakers'
import { addCostCommands } from './cli-costs'
import { addProviderCommands } from './cli-providers'
import { addServerOptions } from './cli-server-options'
import { addProcessSettingFlags, addSettingsCommands, processSettingsConfig } from './cli-settings'
import { CliError, common, duration, endQuietlyWhenStdoutCloses, integer, jobId, print, printJson, withQueue, type Common } from './cli-support'
import { DatabaseDamagedError } from './store/sqlite/db/damage'
import { SchemaError } from './store/sqlite/db/migrate'
import { StoreConnectError } from './store/connect-error'
import { ServerStoreError } from './store/server-error'
import type { EngineConfig } from './engine'
import { announceEngine, discoveryFile, withdrawEngine } from './engine-discovery'
import { diskFullCode } from '../shared/disk-full'
import { terminalSafe } from '../shared/names'
import { dataDir, RENDERER_DIR } from './paths'

/** Headless mode's API and UI: beside the metrics exporter's 9464, which `serve` also opens. */
const DEFAULT_API_PORT = 9465

interface EngineOptions {
  /** False with --no-metrics. */
  metrics: boolean
  alertWebhook?: string
  alertInterval?: number
}

/** What the commands that run an engine take: this process's settings (see cli-settings), the metrics exporter, and where alerts go. */
function engineOptions(command: Command): Command {
  return addProcessSettingFlags(command)
    .option('--no-metrics', 'no metrics exporter')
    .addOption(
      new Option('--alert-webhook <url>', 'POST alerts that fire or resolve to this URL (Slack-compatible JSON)')
        .env('GENOPS_ALERT_WEBHOOK')
        .argParser(httpUrl('--alert-webhook')),
    )
    .option('--alert-interval <duration>', 'how often alert rules are evaluated (default 15s)', duration)
}

function httpUrl(name: string) {
  return (text: string): string => {
    if (URL.canParse(text) && ['http:', 'https:'].includes(new URL(text).protocol)) return text
    throw new InvalidArgumentError(`${name} must be an http or https URL, not "${text}"`)
  }
}

async function engineConfig(options: Common & EngineOptions): Promise<EngineConfig> {
  const dir = dataDir(options.dataDir)
  // settings.json, GENOPS_* variables and the flags: flag > variable > file > default.
  const settings: Partial<EngineConfig> = await processSettingsConfig(dir, { ...options })
  return {
    ...settings,
    dataDir: dir,
    metrics: { ...settings.metrics, exporter: { ...settings.metrics?.exporter, enabled: options.metrics } },
    alerts: {
      ...(options.alertInterval === undefined ? {} : { intervalMs: options.alertInterval }),
      ...(options.alertWebhook === undefined ? {} : { webhook: { url: options.alertWebhook } }),
    },
  }
}

export function buildProgram(): Command {
  const program = new Command('genops').description('GenOps: a local-first queue and console for LLM generation jobs').showHelpAfterError()
  // Usage errors exit 2 like other Unix tools, not commander's default 1.
  program.exitOverride()
  addServerOptions(program)

  addEnqueueCommand(program)
  addProviderCommands(program)
  addTeamKeyCommands(program)
  addBreakerCommands(program)
  addBatchCommands(program)
  addHealthCommand(program)
  addAlertCommands(program)
  addBundleCommand(program)
  addBackupCommands(program)
  addSettingsCommands(program)

  const jobs = program.command('jobs').description('list, view, retry, cancel and delete jobs')
  common(jobs.command('list').description('the newest jobs first'), true)
    .addOption(new Option('--state <state>', 'only jobs in this state').choices(JOB_STATES))
    .option('--limit <n>', 'how many', integer('--limit', 1, 500), 50)
    .action(async (options: Common & { state?: JobState; limit: number }) => {
      const { fullPage } = await import('./queue/job-operations')
      const { jobs: list } = await withQueue(options, (h) => fullPage(h.listJobs, { state: options.state, limit: options.limit }))
      if (options.json) printJson(list)
      else print(formatJobs(list))
    })
  common(jobs.command('view').description('one job with its attempts and events'), true)
    .argument('<id>', 'job id', jobId)
    .action(async (id: number, options: Common) => {
      const job = await withQueue(options, (h) => h.getJob({ id }))
      if (options.json) printJson(job)
      else print(formatJob(job))
    })
  for (const [name, description] of [
    ['retry', 'send a dead or cancelled job back to the queue with fresh attempts'],
    ['cancel', 'cancel a queued or running job'],
  ] as const) {
    common(jobs.command(name).description(description), true)
      .argument('<id>', 'job id', jobId)
      .action(async (id: number, options: Common) => {
        const job = await withQueue(options, (h) => (name === 'retry' ? h.retryJob({ id }) : h.cancelJob({ id })))
        if (options.json) printJson(job)
        else print(`job ${job.id}: ${job.state}`)
      })
  }
  common(jobs.command('delete').description('delete a job that is not running'))
    .argument('<id>', 'job id', jobId)
    .action(async (id: number, options: Common) => {
      const { deleted } = await withQueue(options, (h) => h.deleteJob({ id }))
      if (!deleted) throw new CliError(`job ${id} does not exist`)
      print(`job ${id}: deleted`)
    })

  const queue = program.command('queue').description('queue counts, pause, resume and clean')
  common(queue.command('stats').description('jobs by state'), true).action(async (options: Common) => {
    const stats = await withQueue(options, (h) => h.queueStats({}))
    if (options.json) printJson(stats)
    else print(formatStats(stats))
  })
  for (const name of ['pause', 'resume'] as const) {
    common(queue.command(name).description(name === 'pause' ? 'stop starting jobs (running ones finish)' : 'start jobs again')).action(
      async (options: Common) => {
        await withQueue(options, (h) => (name === 'pause' ? h.pauseQueue({}) : h.resumeQueue({})))
        print(`queue ${name === 'pause' ? 'paused' : 'resumed'}`)
      },
    )
  }
  common(queue.command('clean').description('remove finished jobs'), true)
    .addOption(new Option('--state <state>', 'which finished jobs').choices(['completed', 'dead', 'cancelled']).makeOptionMandatory())
    .option('--older-than <duration>', 'only those finished longer ago than this, like 7d', duration)
    .action(async (options: Common & { state: 'completed' | 'dead' | 'cancelled'; olderThan?: number }) => {
      const result = await withQueue(options, (h) => h.cleanQueue({ state: options.state, olderThanMs: options.olderThan }))
      if (options.json) printJson(result)
      else print(`removed ${result.removed} ${options.state} jobs`)
    })

  addFailureCommands(program)
  addCostCommands(program)
  addCacheCommands(program)
  addWorkerCommands(program)

  /** `run --until-empty` stops when only jobs an operator must release are left: it says so, and why, instead of waiting for ever. */
  const warnStuck = (paused: boolean, queued: number) =>
    process.stderr.write(
      paused
        ? `genops: the queue is paused with ${queued} jobs waiting: \`genops queue resume\`, then run again\n`
        : `genops: ${queued} jobs are held until an operator acts (a provider or batch paused, a breaker held open, a budget reached): ` +
            '`genops providers list`, `genops breakers list` and `genops costs budget list` show what holds them\n',
    )

  engineOptions(common(program.command('run').description('process the queue with no UI')))
    .option('--until-empty', 'exit once nothing is queued, delayed or running (or what is left waits for an operator: paused, held open, over budget)')
    .action(async (options: Common & EngineOptions & { untilEmpty?: boolean }) => {
      const config = await engineConfig(options)
      const [{ createEngine }, { fullDiskAtStart }] = await Promise.all([import('./engine'), import('./engine-awaiting-space')])
      // No database, nothing running: a script is better told at once, in one line, than kept waiting.
      const engine = await createEngine(config).catch((error: unknown) => {
        const fullDisk = fullDiskAtStart(error, config.dataDir)
        throw fullDisk === null ? error : new CliError(fullDisk)
      })
      const stop = onSignal(() => engine.close())
      // Jobs that wait for an operator (paused, held open, over budget) are not work left to wait for: seen twice in a row, the run stops.
      let stuck = 0
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 200))
        // A disk that fills mid-run is waited out: the engine said so once, and resumes by itself when there is room.
        const stats = await engine.call('queueStats', {}).catch((error: unknown) => {
          if (diskFullCode(error) === null) throw error
          return null
        })
        if (!options.untilEmpty || !stats) continue
        // Submitted jobs wait inside a provider batch (the batch lane): the run is not over while any do.
        const { queued, delayed, active, submitted } = stats.counts
        if (queued + delayed + active + submitted === 0) break
        stuck = delayed + active + submitted === 0 && (await engine.waitingOnOperator()) >= queued ? stuck + 1 : 0
        if (stuck >= 2) break
      }
      stop()
      await engine.close()
      const { counts, paused } = await withQueue(options, (h) => h.queueStats({}))
      const ended = `${counts.completed} completed, ${counts.dead} dead, ${counts.cancelled} cancelled`
      if (stuck < 2) {
        print(`queue empty: ${ended}`)
        return
      }
      print(`stopped: ${ended}, ${counts.queued} held`)
      warnStuck(paused, counts.queued)
      // Not all the work is done: a script that chains on this run must not go on as if it were.
      process.exitCode = 3
    })

  engineOptions(common(program.command('serve').description('headless mode: the engine, the API and the UI over HTTP on loopback')))
    .option('--port <port>', 'port of the API and the UI (0 picks a free one)', integer('--port', 0, 65535), DEFAULT_API_PORT)
    .option('--host <host>', "address to listen on (beyond loopback, requests may name any of this machine's addresses)", '127.0.0.1')
    .option('--token <token>', 'API token (default: GENOPS_TOKEN, else a new one each start)')
    .option(
      '--allowed-host <name>',
      "a host name requests may also give, such as the machine's DNS name (repeatable; default: GENOPS_ALLOWED_HOSTS, comma-separated)",
      (text: string, names: string[] = []) => [...names, allowedHost(text)],
    )
    .action(async (options: Common & EngineOptions & { port: number; host: string; token?: string; allowedHost?: string[] }) => {
      const configured = options.token ?? process.env.GENOPS_TOKEN
      if (!isLoopback(options.host) && !configured) {
        throw new CliError(`refusing to listen on ${options.host}, which is not loopback, without a configured token: pass --token or set GENOPS_TOKEN`, 2)
      }
      if (configured !== undefined && configured.length < 16) throw new CliError('the token must be at least 16 characters', 2)
      const allowedHosts = options.allowedHost ?? allowedHostsFromEnvironment()
      // On a disk too full to open the database, the server starts anyway and health says why (see engine-awaiting-space).
      // `genops health` beside it asks this server, with the token (engine-discovery). On a full disk the file waits for room.
      let api: { url: string; token: string } | null = null
      const announce = (dir: string) => {
        if (api === null) return
        try {
          announceEngine(dir, { api })
        } catch (error) {
          process.stderr.write(`genops: could not write ${discoveryFile(dir)} (${(error as Error).message}): \`genops health\` cannot find this engine\n`)
        }
      }
      const config = await engineConfig(options)
      const [{ createEngineAwaitingSpace }, { startServer }] = await Promise.all([import('./engine-awaiting-space'), import('./api/server')])
      const engine = await createEngineAwaitingSpace(config, {
        waiting: (message) => process.stderr.write(`genops: ${message}\n`),
        started: (started) => {
          process.stderr.write('genops: the disk has room again: the engine started\n')
          announce(started.dataDir)
          if (started.exporterAddress) print(`Metrics for Prometheus on ${started.exporterAddress.url}`)
        },
      })
      let server
      const token = configured ?? randomBytes(24).toString('base64url')
      try {
        server = await startServer({ engine, host: options.host, port: options.port, allowedHosts, token, rendererDir: RENDERER_DIR })
      } catch (error) {
        await engine.close()
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'EADDRINUSE') throw new CliError(`port ${options.port} on ${options.host} is already in use: choose another with --port`)
        throw error
      }
      api = { url: new URL(server.url).origin, token }
      announce(engine.dataDir)
      print(`GenOps listening on ${server.url}`)
      if (engine.exporterAddress) print(`Metrics for Prometheus on ${engine.exporterAddress.url}`)
      const running = server
      onSignal(async () => {
        withdrawEngine(engine.dataDir)
        await running.close()
        await engine.close()
      })
    })

  return program
}

function allowedHost(text: string): string {
  try {
    return allowedHostName(text.trim())
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message)
  }
}

/** GENOPS_ALLOWED_HOSTS, comma-separated: the flag, when given, replaces it (flag > variable). */
function allowedHostsFromEnvironment(): string[] {
  const names = (process.env.GENOPS_ALLOWED_HOSTS ?? '').split(',').filter((name) => name.trim() !== '')
  try {
    return names.map((name) => allowedHostName(name.trim()))
  } catch (error) {
    throw new CliError(`GENOPS_ALLOWED_HOSTS: ${(error as Error).message}`, 2)
  }
}

/** Closes cleanly on Ctrl-C or SIGTERM, then exits; returns a function that stops listening. */
function onSignal(close: () => Promise<void>): () => void {
  const handler = () => {
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', handler)
  process.once('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}

export async function main(argv: string[]): Promise<void> {
  endQuietlyWhenStdoutCloses()
  try {
    await buildProgram().parseAsync(argv)
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2
    } else if (error instanceof CliError) {
      process.stderr.write(`genops: ${terminalSafe(error.message)}\n`)
      process.exitCode = error.exitCode
    } else if (
      error instanceof DatabaseDamagedError ||
      error instanceof SchemaError ||
      error instanceof StoreConnectError ||
      error instanceof ServerStoreError
    ) {
      // The message names the file (or the team store's URL, password masked) and what went wrong: a stack would only bury it.
      process.stderr.write(`genops: ${terminalSafe(error.message)}\n`)
      process.exitCode = 1
    } else if (error instanceof OperationError) {
      process.stderr.write(`genops: ${terminalSafe(error.message)}\n`)
      process.exitCode = error.code === 'INVALID_INPUT' ? 2 : 1
    } else if (diskFullCode(error) !== null) {
      // Any command on a full disk: one line that says so, not a stack.
      process.stderr.write(`genops: the disk of the data directory refused a write (${diskFullCode(error)}): free some space and run it again\n`)
      process.exitCode = 1
    } else {
      process.stderr.write(`genops: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
      process.exitCode = 1
    }
  }
}

await main(process.argv)
