/**
 * The contract's drag-in operations, spread into createHandlers (operations.ts). A drop is
 * previewed first: its files are parsed (large ones on the intake thread) and held here,
 * and the window shows how many jobs each gives or what is wrong with it, line by line.
 * Committing enqueues the good files' jobs as one batch named from the files, in one
 * transaction; nothing from a refused file is ever enqueued.
 */
import { OperationError, type OperationHandlers } from '../../shared/contract'
import { formatOf, MAX_INTAKE_FILES, MAX_JOBS_PER_DROP, type IntakeCheck, type IntakeFile, type IntakeLoad } from '../../shared/intake'
import type { JobSpec } from '../../shared/jobs'
import { estimateJobs } from '../costs/estimate'
import { loadPriceList, PriceBook } from '../costs/pricing'
import { toNewJob } from '../queue/new-job'
import type { NewJob, QueueStore } from '../queue/store'
import { batchName } from './batch'
import { withChoices } from './choices'
import { checkBatch, profilesOf, type JobCheckContext } from './job-check'
import { HeldIntakes, jobsIn, type HeldIntakesOptions } from './held'
import { refused, type ParsedFile } from './problems'
import { parsePromptBuffer, type IntakeOptions } from './read'
import { mapInSlices } from './slices'
import { batchSources, jobOrigin } from './sources'

export type IntakeHandlers = OperationHandlers<'previewIntake' | 'estimateIntake' | 'commitIntake' | 'cancelIntake'>

/**
 * Intake's per-process metric (EngineMetrics.intake in a running engine): files refused, by
 * reason. Jobs read are counted by the store when they are enqueued (genops_intake_jobs_total).
 */
export interface IntakeRecorder {
  fileRejected(reason: string): void
}

/** What these operations tell a running engine (the engine's Runtime has it all). */
export interface IntakeRuntime {
  countsMayChange(): void
  kick(): void
  /** Re-read batch caps, after a batch was made with one. */
  reloadGates?(): Promise<void>
  /** Where intake's metrics go, when the engine records them. */
  intakeMetrics?: IntakeRecorder
  /** A big drop's load came further (the window's progress bar). */
  loadProgress?(progress: IntakeLoad): void
  /** A big dropped file's check came further. */
  checkProgress?(progress: IntakeCheck): void
}

export interface IntakeHandlerOptions extends HeldIntakesOptions, IntakeOptions {
  /** Most jobs one drop takes: MAX_JOBS_PER_DROP (a test lowers it). */
  maxJobsPerDrop?: number
}

/** Most tags a job carries (JobSpec's limit). */
const MAX_TAGS = 50

const forgotten = (id: string) =>
  new OperationError('NOT_FOUND', `drop ${id} is no longer held (it was enqueued, cancelled, or left for more than 10 minutes): drop the files again`)

/** The short, fixed word a refused file is counted under in genops_intake_rejected_files_total. */
export function rejectionReason(file: Extract<ParsedFile, { ok: false }>): string {
  const first = file.errors[0] ?? ''
  if (first.includes('unknown file type')) return 'unknown-type'
  if (/the file is \d+ bytes, over the limit/.test(first)) return 'too-large'
  if (first.includes('the file is empty') || first.includes('has no jobs') || first.includes('no rows of prompts')) return 'empty'
  if (/UTF-16|UTF-8|binary/.test(first)) return 'encoding'
  if (first.includes('cannot read the file') || first.includes('could not be parsed')) return 'unreadable'
  if (/characters, over the limit of/.test(first)) return 'line-too-long'
  if (first.includes('the most one drop takes')) return 'too-many-jobs'
  return 'invalid'
}

function describe(file: ParsedFile): IntakeFile {
  return file.ok
    ? { name: file.file, format: formatOf(file.file), ok: true, jobs: file.jobs.length, errors: [], moreErrors: 0 }
    : { name: file.file, format: formatOf(file.file), ok: false, jobs: 0, errors: file.errors, moreErrors: file.moreErrors }
}

/** The bytes of a file sent as base64, or a refusal when the text is not base64 (Buffer.from would skip what it cannot read). */
function decode(name: string, base64: string): Buffer {
  const bytes = Buffer.from(base64, 'base64')
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0
  if (base64.length % 4 !== 0 || bytes.byteLength !== (base64.length / 4) * 3 - padding) {
    throw new OperationError('INVALID_INPUT', `${name}: the content is not base64 (send the file's bytes base64-encoded)`)
  }
  return bytes
}

type GoodFile = Extract<ParsedFile, { ok: true }>

const goodFiles = (files: readonly ParsedFile[]) => files.filter((file): file is GoodFile => file.ok)

/** The files' jobs made into one batch's, file by file in slices: a drop may hold a million. `make` is told the job's file and place in it. */
async function newJobsOf(files: readonly GoodFile[], make: (spec: JobSpec, file: number, index: number) => NewJob): Promise<NewJob[]> {
  const made: NewJob[][] = []
  for (const [file, { jobs }] of files.entries()) made.push(await mapInSlices(jobs, (spec, index) => make(spec, file, index)))
  return made.length === 1 ? made[0]! : made.flat()
}

/** A drop's tags go on every job, beside the job's own. */
function withTags(job: JobSpec, tags: readonly string[] | undefined): JobSpec {
  if (!tags || tags.length === 0) return job
  const merged = [...new Set([...(job.tags ?? []), ...tags])]
  if (merged.length > MAX_TAGS) {
    throw new OperationError('INVALID_INPUT', `a job would carry ${merged.length} tags with the drop's, over the limit of ${MAX_TAGS}: give fewer tags`)
  }
  return { ...job, tags: merged }
}

export function intakeHandlers(store: QueueStore, runtime: IntakeRuntime, options: IntakeHandlerOptions = {}): IntakeHandlers {
  const held = new HeldIntakes(options)
  const now = options.now ?? Date.now
  const maxJobsPerDrop = options.maxJobsPerDrop ?? MAX_JOBS_PER_DROP

  /**
   * Parses one file and counts it; a file that would take the drop over one batch's jobs is refused here, not at enqueue.
   * Its jobs are checked for what they mean as far as it is known before the provider is chosen (again, whole, at commit).
   */
  async function read(before: readonly ParsedFile[], name: string, base64: string, context: JobCheckContext, checkId?: string): Promise<ParsedFile> {
    // A big file's check is told as it goes, to the call that named it (the dialog that sent the file).
    const onProgress = checkId === undefined ? undefined : (line: number, lines: number) => runtime.checkProgress?.({ checkId, name, line, lines })
    const parsed = withinDrop(before, await parsePromptBuffer(name, decode(name, base64), { threadFile: options.threadFile, context, onProgress }))
    if (!parsed.ok) runtime.intakeMetrics?.fileRejected(rejectionReason(parsed))
    return parsed
  }

  /** The file, or its refusal when it would take a drop holding `before` over the jobs one drop takes. */
  function withinDrop(before: readonly ParsedFile[], parsed: ParsedFile): ParsedFile {
    if (!parsed.ok || jobsIn(before) + parsed.jobs.length <= maxJobsPerDrop) return parsed
    return refused(parsed.file, `its ${parsed.jobs.length} jobs would take this drop over ${maxJobsPerDrop} jobs, the most one drop takes: drop it on its own`)
  }

  return {
    previewIntake: async ({ intakeId, files, checkId }) => {
      const intake = intakeId === undefined ? held.create() : held.get(intakeId)
      if (!intake) throw forgotten(intakeId!)
      const checkFileCount = (held: number) => {
        if (held + files.length > MAX_INTAKE_FILES) {
          throw new OperationError('INVALID_INPUT', `a drop holds at most ${MAX_INTAKE_FILES} files: enqueue these, then drop the rest`)
        }
      }
      checkFileCount(intake.files.length)
      // One after another: two large files at once would only share the same cores.
      const parsed: ParsedFile[] = []
      const context: JobCheckContext = { profiles: await profilesOf(store), defaults: 'later' }
      for (const { name, contentBase64 } of files) parsed.push(await read([...intake.files, ...parsed], name, contentBase64, context, checkId))
      // The drop's files share one artifacts folder: their artifact names meet across files. The check runs in slices:
      // checked again when another call added files to this drop meanwhile, so that neither call's files are lost.
      for (;;) {
        // Cancelled or enqueued while its files were read or checked: what was read goes with it.
        if (intakeId !== undefined && !held.get(intakeId)) throw forgotten(intakeId)
        const before = [...intake.files]
        // The drop's limits again, against what it holds now: another call may have added to it since they were read.
        checkFileCount(before.length)
        const fitted: ParsedFile[] = []
        for (const file of parsed) fitted.push(withinDrop([...before, ...fitted], file))
        const checked = await checkBatch([...before, ...fitted], null)
        if (intakeId !== undefined && !held.get(intakeId)) throw forgotten(intakeId)
        if (before.length !== intake.files.length || before.some((file, index) => file !== intake.files[index])) continue
        checked.forEach((file, index) => {
          const was = index < before.length ? before[index]! : parsed[index - before.length]!
          if (was.ok && !file.ok) runtime.intakeMetrics?.fileRejected(rejectionReason(file))
        })
        intake.files.splice(0, intake.files.length, ...checked)
        break
      }
      held.hold(intake)
      return { intakeId: intake.id, files: intake.files.map(describe), totalJobs: jobsIn(intake.files), expiresAt: held.expiresAt(intake) }
    },

    estimateIntake: async ({ intakeId, defaults, lane, cache }) => {
      const intake = held.get(intakeId)
      if (!intake) throw forgotten(intakeId)
      const at = now()
      const { tags, ...jobDefaults } = defaults
      const good: GoodFile[] = []
      for (const file of goodFiles(intake.files)) good.push({ ...file, jobs: await withChoices(file.jobs, { lane, cache }) })
      const jobs = await newJobsOf(good, (spec) => toNewJob(withTags(spec, tags), jobDefaults, at))
      const prices = new PriceBook(loadPriceList(), await store.costs.priceOverrides())
      return estimateJobs(jobs, store, prices, { lane: lane ?? 'realtime', now: at })
    },

    commitIntake: async ({ intakeId, defaults, maxConcurrency, lane, cache }) => {
      // Out of the map while it is enqueued, so a second Enqueue cannot add the same jobs again.
      const intake = held.take(intakeId)
      if (!intake) throw forgotten(intakeId)
      // The dialog's lane and cache choices over each job's own, before the check: a lane its provider lacks refuses the drop.
      const good: GoodFile[] = []
      for (const file of goodFiles(intake.files)) good.push({ ...file, jobs: await withChoices(file.jobs, { lane, cache }) })
      const refusedFiles = intake.files.filter((file) => !file.ok).map((file) => file.file)
      if (good.length === 0) {
        held.hold(intake)
        throw new OperationError('CONFLICT', 'nothing to enqueue: every file of this drop was refused (fix them and drop them again)')
      }
      const { tags, ...jobDefaults } = defaults
      // Now that the provider is chosen: a job that cannot run on it refuses the drop, which stays to be fixed.
      const refusals = (await checkBatch(good, { profiles: await profilesOf(store), defaults: jobDefaults })).flatMap((file) =>
        file.ok ? [] : [...file.errors, ...(file.moreErrors ? [`${file.file}: ... and ${file.moreErrors} more problems`] : [])],
      )
      if (refusals.length > 0) {
        held.hold(intake)
        throw new OperationError('INVALID_INPUT', `nothing enqueued: ${refusals.slice(0, 10).join('; ')}`)
      }
      const at = now()
      const name = batchName(good.map((file) => file.file))
      let result: Awaited<ReturnType<QueueStore['enqueue']>>
      try {
        // In slices, file by file: a big drop must not hold the window while its jobs are made. Where each job came
        // from is kept beside it: exports write it back, comparisons match by it.
        const jobs = await newJobsOf(good, (spec, file, i) => ({
          ...toNewJob(withTags(spec, tags), jobDefaults, at),
          origin: jobOrigin({ file, row: good[file]!.lines[i] ?? 0, input: good[file]!.inputs?.[i] ?? null }),
        }))
        const sources = batchSources(good)
        // Through load where the store has it: a big drop loads in short transactions, out of sight until whole, its progress told.
        const onProgress = (progress: Omit<IntakeLoad, 'intakeId'>) => runtime.loadProgress?.({ intakeId, ...progress })
        result = store.load
          ? await store.load(jobs, name, at, maxConcurrency ?? null, { sources, onProgress })
          : await store.enqueue(jobs, name, at, maxConcurrency ?? null, { sources })
      } catch (error) {
        // Nothing was enqueued (one transaction): the drop stays, to try again.
        held.hold(intake)
        throw error
      }
      if (maxConcurrency !== undefined) await runtime.reloadGates?.()
      runtime.countsMayChange()
      runtime.kick()
      const { batchId, jobIds, duplicates } = result
      return { batchId, batchName: name, jobIds, duplicates, files: good.map((file) => ({ name: file.file, jobs: file.jobs.length })), refusedFiles }
    },

    cancelIntake: async ({ intakeId }) => ({ cancelled: held.forget(intakeId) }),
  }
}
