/**
 * The contract's operations over a queue store. The engine serves them with a running
 * scheduler; the CLI serves the same ones with none (another process may be running the
 * queue: it notices the CLI's writes on its next poll).
 */
import { type z } from 'zod'
import { contract, describeZodError, OperationError, type JobChange, type OperationName, type OperationOutput } from '../shared/contract'
import { DEFAULT_ATTEMPTS, PRIORITY_RANK, type JobDefaults, type JobSpec } from '../shared/jobs'
import { keyFileProblem } from '../workers/key-file'
import type { NewJob, QueueStore } from './queue/store'
import type { SecretBox } from './secrets'

type ParsedInput<K extends OperationName> = z.output<(typeof contract)[K]['input']>
export type Handlers = { [K in OperationName]: (input: ParsedInput<K>) => Promise<OperationOutput<K>> }

/** What operations tell a running engine, when there is one. */
export interface Runtime {
  jobsChanged(changes: JobChange[]): void
  countsMayChange(): void
  /** Stop the running attempt of a job just cancelled. */
  abort(id: number): void
  paused(paused: boolean): void
  /** Claim soon: new or retried jobs are waiting. */
  kick(): void
  /** A provider profile was saved or removed. */
  profilesChanged(): Promise<void>
}

const noRuntime: Runtime = { jobsChanged() {}, countsMayChange() {}, abort() {}, paused() {}, kick() {}, profilesChanged: async () => {} }

export const DEFAULT_PROVIDER = 'sim'

export function toNewJob(spec: JobSpec, defaults: JobDefaults, now: number): NewJob {
  // A job's config adds to the call's defaults key by key (a --base-url stays under a job's own temperature).
  const config = spec.config && defaults.config ? { ...defaults.config, ...spec.config } : (spec.config ?? defaults.config)
  const tags = spec.tags ?? defaults.tags
  return {
    prompt: spec.prompt,
    provider: spec.provider ?? defaults.provider ?? DEFAULT_PROVIDER,
    model: spec.model ?? defaults.model ?? null,
    priority: PRIORITY_RANK[spec.priority ?? defaults.priority ?? 'normal'],
    runAt: now + (spec.delayMs ?? defaults.delayMs ?? 0),
    maxAttempts: spec.attempts ?? defaults.attempts ?? DEFAULT_ATTEMPTS,
    idempotencyKey: spec.idempotencyKey ?? null,
    tags: tags && tags.length > 0 ? tags : null,
    config: config && Object.keys(config).length > 0 ? config : null,
  }
}

export function createHandlers(store: QueueStore, runtime: Runtime = noRuntime, secrets?: SecretBox): Handlers {
  const now = () => Date.now()
  const found = <T>(value: T | null, id: number): T => {
    if (value === null) throw new OperationError('NOT_FOUND', `job ${id} does not exist`)
    return value
  }
  return {
    queueStats: async () => store.stats(now()),
    listJobs: async (input) => ({ jobs: await store.list(input, now()) }),
    getJob: async ({ id }) => found(await store.get(id, now()), id),
    enqueueJobs: async ({ jobs, defaults = {}, batchName }) => {
      const at = now()
      const result = await store.enqueue(
        jobs.map((spec) => toNewJob(spec, defaults, at)),
        batchName ?? `enqueued ${new Date(at).toISOString()}`,
        at,
      )
      // New jobs are not rows anyone shows yet: the counts tell screens to fetch them.
      runtime.countsMayChange()
      runtime.kick()
      return result
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
      if (apiKey !== undefined && !secrets) {
        throw new OperationError(
          'INVALID_INPUT',
          'this GenOps keeps no API keys (only the desktop app can, in the OS keychain): set OPENAI_API_KEY or ANTHROPIC_API_KEY, or give the profile a key file',
        )
      }
      // Encrypted before the transaction: the key never reaches the database in plain text.
      const secret = apiKey === undefined ? undefined : secrets!.encrypt(apiKey)
      await store.saveProfile(profile, now())
      if (secret !== undefined) await store.setProfileSecret(profile.name, secret)
      await runtime.profilesChanged()
      return { ...profile, hasKey: (await store.profileSecrets()).has(profile.name) }
    },
    removeProvider: async ({ name }) => {
      const removed = await store.removeProfile(name)
      await runtime.profilesChanged()
      return { removed }
    },
    retryDead: async (input) => {
      if ('all' in input) {
        const retried = await store.retryAllDead(now())
        runtime.countsMayChange()
        runtime.kick()
        return { retried }
      }
      const { change } = await store.retry(input.id, now(), ['dead'])
      runtime.jobsChanged([change])
      runtime.kick()
      return { retried: 1 }
    },
  }
}

/** Validates the input against the contract, runs the handler, and checks what it returns. */
export async function invoke<K extends OperationName>(handlers: Handlers, name: K, input: unknown): Promise<OperationOutput<K>> {
  const operation = contract[name]
  if (!operation) throw new OperationError('NOT_FOUND', `no operation named "${String(name)}"`)
  const parsed = operation.input.safeParse(input ?? {})
  if (!parsed.success) throw new OperationError('INVALID_INPUT', `${name}: ${describeZodError(parsed.error)}`)
  const handler = handlers[name] as (input: unknown) => Promise<OperationOutput<K>>
  return handler(parsed.data)
}
