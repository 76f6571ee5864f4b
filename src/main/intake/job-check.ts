/**
 * The second look at a batch's jobs, once it is known what each will run on: its provider
 * (named by the job, else the call's default, else the simulator) or profile. What would
 * fail every attempt is refused here, with the job's file and line, so that nothing of the
 * file is enqueued: an unknown provider or profile, a config its provider's schema refuses
 * (shared/job-config), a job that would move its profile's endpoint, a prompt that uses a
 * variable it lacks, and two jobs of one batch asking for one artifact name.
 *
 * Parsing (parse.ts) checks what a file says; this checks what it means, which needs the
 * profiles and the defaults of the call, so it runs where both are known.
 */
import { configProblem, variablesProblem, type ConfigKind } from '../../shared/job-config'
import type { JobDefaults, JobSpec } from '../../shared/jobs'
import { isProviderKind, PROVIDER_KINDS, type ProviderProfile } from '../../shared/providers'
import { DEFAULT_PROVIDER } from '../queue/new-job'
import type { QueueStore } from '../queue/store'
import { FileProblems, type ParsedFile } from './problems'
import { forEachInSlices } from './slices'

/** The profiles by name, as the checks take them. */
export const profilesOf = async (store: Pick<QueueStore, 'listProfiles'>): Promise<Map<string, ProviderProfile>> =>
  new Map((await store.listProfiles()).map((profile) => [profile.name, profile]))

/**
 * The profiles these jobs' checks read: none unless one of them runs on a profile (jobProblem
 * looks profiles up by a name that is not a provider's). Reading and parsing every profile
 * was a tenth of the work of a one-job enqueue on the simulator (profiled).
 */
export async function profilesFor(
  store: Pick<QueueStore, 'listProfiles'>,
  jobs: readonly JobSpec[],
  defaults: JobDefaults,
): Promise<ReadonlyMap<string, ProviderProfile>> {
  const onProfile = jobs.some((spec) => !isProviderKind(spec.provider ?? defaults.provider ?? DEFAULT_PROVIDER))
  return onProfile ? profilesOf(store) : NO_PROFILES
}

const NO_PROFILES: ReadonlyMap<string, ProviderProfile> = new Map()

export interface JobCheckContext {
  profiles: ReadonlyMap<string, ProviderProfile>
  /**
   * The call's defaults, or `later` while a drop is previewed and its provider not yet
   * chosen: a job that names none is then checked for what holds on every provider.
   */
  defaults: JobDefaults | 'later'
}

/** A config's problems for a provider kind (null: any); BatchCheck answers once per config object. */
type ConfigCheck = (kind: ConfigKind | null, config: Record<string, unknown>) => string | null

/** Why this job cannot run, or null. */
export function jobProblem(spec: JobSpec, { profiles, defaults }: JobCheckContext, checkConfig: ConfigCheck = configProblem): string | null {
  const given = defaults === 'later' ? undefined : defaults
  const name = spec.provider ?? (defaults === 'later' ? undefined : (given?.provider ?? DEFAULT_PROVIDER))
  const config = given?.config && spec.config ? { ...given.config, ...spec.config } : (spec.config ?? given?.config ?? EMPTY)
  const templated = spec.prompt.includes('{{')
  if (name === undefined) return checkConfig(null, config) ?? (templated ? variablesProblem(spec.prompt, vars(config)) : null)
  const profile = isProviderKind(name) ? undefined : profiles.get(name)
  if (!isProviderKind(name) && !profile) {
    return `unknown provider or profile "${name}": name a provider (${PROVIDER_KINDS.join(', ')}) or a profile from \`genops providers list\``
  }
  if (profile && config.baseUrl !== undefined) return `config.baseUrl: a job cannot redirect profile "${profile.name}"`
  const kind = profile?.provider ?? (name as ProviderProfile['provider'])
  return checkConfig(kind, config) ?? (templated ? variablesProblem(spec.prompt, vars({ ...profile?.config, ...config })) : null)
}

const EMPTY: Record<string, unknown> = Object.freeze({})

const vars = (config: Record<string, unknown>): Record<string, unknown> =>
  typeof config.vars === 'object' && config.vars !== null ? (config.vars as Record<string, unknown>) : {}

/** An artifact name as the file system compares it: macOS and Windows ignore case. */
const artifactKey = (spec: JobSpec): string | null => (typeof spec.config?.outputName === 'string' ? spec.config.outputName.toLowerCase() : null)

/** Whether the job names its artifact file: only such a job can meet another's name (BatchCheck without a context). */
export const namesArtifact = (spec: JobSpec): boolean => typeof spec.config?.outputName === 'string'

/**
 * One batch's jobs, checked one after another: each for what it means (with a context),
 * and its artifact name against the jobs before it (always).
 */
export class BatchCheck {
  /** Artifact names taken so far, with where the job that took each is. */
  private readonly names = new Map<string, string>()

  /**
   * What each config object was found to be, by provider kind: the jobs of a call share the
   * call's default config object, so most checks of a large batch are answered once.
   */
  private readonly checked = new WeakMap<object, Map<ConfigKind | null, string | null>>()

  /** Without a context only the artifact names are checked: the jobs were checked already, file by file. */
  constructor(private readonly context: JobCheckContext | null) {}

  private readonly checkConfig: ConfigCheck = (kind, config) => {
    let byKind = this.checked.get(config)
    if (!byKind) this.checked.set(config, (byKind = new Map()))
    let problem = byKind.get(kind)
    if (problem === undefined) byKind.set(kind, (problem = configProblem(kind, config)))
    return problem
  }

  /** Another check that knows the names taken so far: one file's, kept or let go once it is known whether the file is good. */
  copy(): BatchCheck {
    const copy = new BatchCheck(this.context)
    for (const [name, where] of this.names) copy.names.set(name, where)
    return copy
  }

  /** The job's problems (none: an empty list); `where` names it if a later job asks for its artifact name. */
  problems(spec: JobSpec, where: string): string[] {
    const problems: string[] = []
    const problem = this.context && jobProblem(spec, this.context, this.checkConfig)
    if (problem) problems.push(problem)
    const name = artifactKey(spec)
    if (name !== null) {
      const first = this.names.get(name)
      if (first === undefined) this.names.set(name, where)
      else problems.push(`config.outputName "${spec.config!.outputName as string}" is taken by the job at ${first}: each job of a batch writes its own file`)
    }
    return problems
  }
}

/**
 * The files of one batch, each checked whole: a good file with a bad job becomes a refused
 * file, its problems as `file:line: reason`. Artifact names are checked across the batch
 * (its files share one folder), in the order given; with no context, only they are. In
 * slices: a million jobs checked in one go held the window for a tenth of a second.
 */
export async function checkBatch(files: readonly ParsedFile[], context: JobCheckContext | null): Promise<ParsedFile[]> {
  const batch = new BatchCheck(context)
  const checked: ParsedFile[] = []
  for (const file of files) {
    if (!file.ok) {
      checked.push(file)
      continue
    }
    const problems = new FileProblems(file.file)
    await forEachInSlices(file.jobs, (spec, index) => {
      const line = file.lines[index] ?? 0
      for (const problem of batch.problems(spec, line ? `${file.file}:${line}` : file.file)) problems.add(line, problem)
    })
    checked.push(problems.any ? problems.result() : file)
  }
  return checked
}
