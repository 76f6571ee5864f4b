/**
 * The contract's operations over a queue store. The engine serves them with a running
 * scheduler; the CLI serves the same ones with none (another process may be running the
 * queue: it notices the CLI's writes on its next poll).
 */
import { type z } from 'zod'
import { contract, describeZodError, OperationError, type JobChange, type OperationName, type OperationOutput } from '../shared/contract'
import type { IntakeCheck, IntakeLoad } from '../shared/intake'
import type { JobSummary } from '../shared/jobs'
import type { SettingRow } from '../shared/settings'
import { nestingProblem } from '../shared/json-depth'
import { escapeControl } from '../shared/names'
import { fallbackProblem, parseFallback } from '../shared/providers'
import { keyFileProblem } from '../workers/key-file'
import { BatchCheck, profilesFor } from './intake/job-check'
import { alertHandlers } from './alerts/operations'
import { batchHandlers } from './batches/operations'
import { mapInSlices } from './intake/slices'
import { jobOrigin } from './intake/sources'
import type { AlertsRuntime } from './alerts/runner'
import { cacheHandlers } from './cache/operations'
import { costHandlers } from './costs/operations'
import { estimateHandlers } from './costs/estimate-operations'
import { bundleHandlers, type DiagnosticsRuntime } from './diagnostics/operations'
import type { CostsRuntime } from './costs/runtime'
import { failureHandlers } from './failures/operations'
import { standaloneHealth } from './health/standalone'
import { listWorkers } from './workers'
import type { HealthRegistry } from './health/registry'
import { intakeHandlers, type IntakeRecorder } from './intake/operations'
import { toNewJob } from './queue/new-job'
import { jobListHandlers } from './queue/job-operations'
import type { QueueStore } from './queue/store'
import { resilienceHandlers, type ResilienceRuntime } from './resilience/operations'
import { keyBinding } from './secret-box'
import { profileKeyBox, type ProfileKeyBox } from './secrets'
import { settingHandlers } from './settings/operations'
import { jobLogHandlers } from './telemetry/job-logs'
import { traceHandlers } from './telemetry/trace-operations'

type ParsedInput<K extends OperationName> = z.output<(typeof contract)[K]['input']>
export type Handlers = { [K in OperationName]: (input: ParsedInput<K>) => Promise<OperationOutput<K>> }

/** What operations tell a running engine, when there is one. */
export interface Runtime {
  /** Where the engine writes its log; without an engine here (the CLI) a job's log lines are not read. */
  logsDir?: string
  jobsChanged(changes: JobChange[]): void
  countsMayChange(): void
  /** Stop the running attempt of a job just cancelled. */
  abort(id: number): void
  paused(paused: boolean): void
  /** Claim soon: new or retried jobs are waiting. */
  kick(): void
  /** A provider profile was saved or removed. */
  profilesChanged(): Promise<void>
  /** The engine's health registry; without one (the CLI) the report holds only the database and disk checks. */
  health?: HealthRegistry
  /** The scheduler's gates; without them (the CLI) breaker commands go through the database. */
  resilience?: ResilienceRuntime
  /** Prices, budgets and paused batches in a running engine; without it (the CLI) they go through the database. */
  costs?: CostsRuntime
  /** The alert rules' evaluation in a running engine; without it (the CLI) rule changes wait for the engine's next evaluation. */
  alerts?: AlertsRuntime
  /** Where drag-in intake counts the jobs it read and the files it refused (the engine's metrics), when they are recorded. */
  intakeMetrics?: IntakeRecorder
  /** A big drop's load came further: the engine tells the window (the drop dialog's progress bar). */
  loadProgress?(progress: IntakeLoad): void
  /** A big dropped file's check came further: the engine tells the window. */
  checkProgress?(progress: IntakeCheck): void
  /** The data directory and metrics a diagnostic bundle reads; without it (the CLI's queue commands) the store's directory and no metrics. */
  diagnostics?: DiagnosticsRuntime
  /** The engine's settings as it runs with them; without an engine, `genops settings list` reads them itself. */
  settings?: () => Promise<SettingRow[]>
  /** The engine's config schema, which checks a shared setting changed through the contract; without an engine, `genops settings set` writes it itself. */
  settingsSchema?: z.ZodType
  /** The engine's own name among the workers (its lease owner); without an engine, none is this process. */
  worker?: string
}

const noRuntime: Runtime = { jobsChanged() {}, countsMayChange() {}, abort() {}, paused() {}, kick() {}, profilesChanged: async () => {} }

export { DEFAULT_PROVIDER, toNewJob } from './queue/new-job'

/** Problems listed in one refusal of an enqueue; the rest are counted. */
const MAX_LISTED_PROBLEMS = 10

export function createHandlers(store: QueueStore, runtime: Runtime = noRuntime, keys: ProfileKeyBox = profileKeyBox({ teamStore: false })): Handlers {
  const now = () => Date.now()
  // A queued job that is due but held by a gate says why; only a running engine knows.
  const withHeld = <T extends JobSummary>(job: T): T => {
    const held = job.state === 'queued' ? runtime.resilience?.gates.heldReason(job, now()) : null
    return held ? { ...job, held } : job
  }
  // A job that names no model runs its profile's: the screens say which, not "default".
  const withModels = async <T extends JobSummary>(jobs: T[]): Promise<T[]> => {
    if (jobs.every((job) => job.model !== null)) return jobs
    const models = new Map((await store.listProfiles()).map((profile) => [profile.name, profile.model ?? null]))
    return jobs.map((job) => (job.model === null && models.get(job.provider) ? { ...job, profileModel: models.get(job.provider)! } : job))
  }
  const found = <T>(value: T | null, id: number): T => {
    if (value === null) throw new OperationError('NOT_FOUND', `job ${id} does not exist`)
    return value
  }
  // exportBundle calls the other operations through the contract: this object, once made.
  const handlers: Handlers = {
    queueStats: async () => store.stats(now()),
    listJobs: async (input) => {
      const page = await store.list(input, now())
      return { ...page, jobs: (await withModels(page.jobs)).map(withHeld) }
    },
    getJob: async ({ id }) => withHeld((await withModels([found(await store.get(id, now()), id)]))[0]!),
    enqueueJobs: async ({ jobs, defaults = {}, batchName, maxConcurrency, sources, origins }) => {
      const check = new BatchCheck({ profiles: await profilesFor(store, jobs, defaults), defaults })
      // In slices, as the mapping below: a big call must not hold the main thread.
      const problems = (
        await mapInSlices(jobs, (spec, index) => check.problems(spec, `job ${index + 1}`).map((problem) => `job ${index + 1}: ${problem}`))
      ).flat()
      if (problems.length > 0) {
        const more = problems.length > MAX_LISTED_PROBLEMS ? `; and ${problems.length - MAX_LISTED_PROBLEMS} more` : ''
        throw new OperationError('INVALID_INPUT', `nothing enqueued: ${problems.slice(0, MAX_LISTED_PROBLEMS).join('; ')}${more}`)
      }
      const at = now()
      // Through load where the store has it: a big call must not hold the main thread or the write lock.
      const result = await (store.load ?? store.enqueue).call(
        store,
        await mapInSlices(jobs, (spec, index) => ({ ...toNewJob(spec, defaults, at), origin: origins && jobOrigin(origins[index]!) })),
        batchName === undefined ? `enqueued ${new Date(at).toISOString()}` : escapeControl(batchName),
        at,
        maxConcurrency ?? null,
        { sources },
      )
      if (maxConcurrency !== undefined) await runtime.resilience?.reloadGates()
      // New jobs are not rows anyone shows yet: the counts tell screens to fetch them.
      runtime.countsMayChange()
      runtime.kick()
      // The contract's answer: which of them were added (result.addedIds) is the store's, not yet the contract's.
      return { batchId: result.batchId, jobIds: result.jobIds, duplicates: result.duplicates }
    },
    retryJob: async ({ id }) => {
      const { job, change } = await store.retry(id, now(), ['dead', 'cancelled'])
      runtime.jobsChanged([change])
      runtime.kick()
      return job
    },
    cancelJob: async ({ id }) => {
      const { job, change, wasActive } = await store.cancel(id, now())
      if (wasActive) runtime.abort(id)
      if (change) runtime.jobsChanged([change])
      return job
    },
    deleteJob: async ({ id }) => {
      const deleted = await store.remove(id)
      runtime.countsMayChange()
      return { deleted }
    },
    pauseQueue: async () => {
      await store.setPaused(true)
      runtime.paused(true)
      runtime.countsMayChange()
      return store.stats(now())
    },
    resumeQueue: async () => {
      await store.setPaused(false)
      runtime.paused(false)
      runtime.countsMayChange()
      return store.stats(now())
    },
    cleanQueue: async ({ state, olderThanMs }) => {
      const removed = await store.clean(state, now() - (olderThanMs ?? 0))
      runtime.countsMayChange()
      return { removed }
    },
    listProviders: async () => {
      const secrets = await store.profileSecrets()
      return { profiles: (await store.listProfiles()).map((profile) => ({ ...profile, hasKey: secrets.has(profile.name) })) }
    },
    saveProvider: async ({ apiKey, ...profile }) => {
      const problem = profile.keyFile === undefined ? null : keyFileProblem(profile.keyFile)
      if (problem) throw new OperationError('INVALID_INPUT', problem)
      const profiles = await store.listProfiles()
      const fallbacks = profile.fallbacks?.length ? fallbackProblem(profile, profiles) : null
      if (fallbacks) throw new OperationError('INVALID_INPUT', fallbacks)
      if (apiKey !== undefined && !keys.seal) throw new OperationError('INVALID_INPUT', keys.refusal)
      const before = profiles.find((each) => each.name === profile.name)
      if (apiKey === undefined && before && keyBinding(before) !== keyBinding(profile) && (await store.profileSecrets()).has(profile.name)) {
        throw new OperationError(
          'INVALID_INPUT',
          `profile ${profile.name} keeps an API key given for ${before.baseUrl ?? `${before.provider}'s own endpoint`}: give the key again to send it to ${profile.baseUrl ?? `${profile.provider}'s own endpoint`}`,
        )
      }
      // Sealed before the transaction: the key never reaches the database in plain text.
      const secret = apiKey === undefined ? undefined : keys.seal!(apiKey, keyBinding(profile))
      await store.saveProfile(profile, now(), secret)
      await runtime.profilesChanged()
      return { ...profile, hasKey: (await store.profileSecrets()).has(profile.name) }
    },
    removeProvider: async ({ name }) => {
      // A fallback that vanished would leave another profile's jobs held where its operator expects them to run.
      const dependent = (await store.listProfiles()).find((other) => other.fallbacks?.some((entry) => parseFallback(entry).profile === name))
      if (dependent)
        throw new OperationError('INVALID_INPUT', `profile "${name}" is a fallback of profile "${dependent.name}": remove it from those fallbacks first`)
      const removed = await store.removeProfile(name)
      await runtime.profilesChanged()
      return { removed }
    },
    ...failureHandlers(store, runtime),
    healthReport: async () => (runtime.health ?? standaloneHealth(store)).report(),
    listWorkers: async () => ({ workers: await listWorkers(store, runtime.worker ?? null) }),
    listSettings: async () => {
      if (!runtime.settings) throw new OperationError('NOT_FOUND', 'settings are listed by a running engine: use `genops settings list`')
      return { settings: await runtime.settings() }
    },
    ...settingHandlers(store, runtime.settingsSchema),
    ...cacheHandlers(store),
    ...resilienceHandlers(store, runtime.resilience, () => runtime.countsMayChange()),
    ...traceHandlers(store),
    ...jobLogHandlers(runtime.logsDir),
    ...jobListHandlers(store, runtime),
    ...costHandlers(store, runtime.costs, () => runtime.countsMayChange()),
    ...estimateHandlers(store),
    ...alertHandlers(store, runtime.alerts),
    ...intakeHandlers(store, {
      countsMayChange: () => runtime.countsMayChange(),
      kick: () => runtime.kick(),
      reloadGates: () => runtime.resilience?.reloadGates() ?? Promise.resolve(),
      intakeMetrics: runtime.intakeMetrics,
      loadProgress: (progress) => runtime.loadProgress?.(progress),
      checkProgress: (progress) => runtime.checkProgress?.(progress),
    }),
    ...bundleHandlers((name, input) => invoke(handlers, name, input), store, runtime.diagnostics),
    ...batchHandlers(
      store,
      {
        dataDir: runtime.diagnostics?.dataDir,
        countsMayChange: () => runtime.countsMayChange(),
        kick: () => runtime.kick(),
      },
      (name, input) => invoke(handlers, name, input),
    ),
  }
  return handlers
}

/** Validates the input against the contract, runs the handler, and checks what it returns. */
export async function invoke<K extends OperationName>(handlers: Handlers, name: K, input: unknown): Promise<OperationOutput<K>> {
  const operation = contract[name]
  if (!operation) throw new OperationError('NOT_FOUND', `no operation named "${String(name)}"`)
  // Before zod walks it: an input thousands of levels deep (an HTTP body, an IPC payload) would overflow its stack.
  const nesting = nestingProblem(input)
  if (nesting !== null) throw new OperationError('INVALID_INPUT', `${name}: the input is ${nesting}`)
  const parsed = operation.input.safeParse(input ?? {})
  if (!parsed.success) throw new OperationError('INVALID_INPUT', `${name}: ${describeZodError(parsed.error)}`)
  const handler = handlers[name] as (input: unknown) => Promise<OperationOutput<K>>
  return handler(parsed.data)
}
