/**
 * Prompt files loaded while they are parsed. The intake thread reads and checks a large file
 * and hands its jobs on a thousand at a time; each thousand is written at once into a batch
 * no claim sees (QueueStore.beginLoad). The parse and the load so run side by side on two
 * threads instead of one after the other, and neither ever holds a whole file's jobs: a
 * million-line file loads in about half the time and memory (bench/README.md, "Intake").
 *
 * The files go into one batch named from them, one after another, each all or nothing: a
 * problem anywhere in a file removes what was loaded of it and the other files go on, as
 * readPromptFiles and one enqueue of the good files would have it. A process killed
 * meanwhile leaves nothing a reader sees: on SQLite a batch still loading, removed at the
 * next start (store/sqlite/queue/load.ts); on a team store a transaction the server rolls back.
 */
import type { BatchSource } from '../../shared/batches'
import { OperationError } from '../../shared/contract'
import type { JobDefaults, JobSpec } from '../../shared/jobs'
import { formatOf } from '../../shared/intake'
import { toNewJob } from '../queue/new-job'
import type { EnqueueResult, JobLoad, NewJob, QueueStore } from '../queue/store'
import { batchName } from './batch'
import { BatchCheck, namesArtifact, type JobCheckContext } from './job-check'
import { THREAD_THRESHOLD_BYTES } from './limits'
import { FileProblems, fileLabel, type RefusedFile } from './problems'
import { promptFileSize, readPromptFile } from './read'
import { intakeThreadMessages } from './thread-reader'

/** How far a load has come: jobs written, and the line the parse reached of its file's lines; `last`: the last file's end. */
export interface StreamProgress {
  loaded: number
  file: string
  line: number
  lines: number
  last: boolean
}

export interface StreamLoadOptions {
  defaults: JobDefaults
  /** The profiles each job is checked against as it is read (the defaults are `defaults`). */
  profiles: JobCheckContext['profiles']
  maxConcurrency?: number | undefined
  /** Applied to each job as read: the call's word over the file's (`genops enqueue --no-cache`). */
  prepare?: (spec: JobSpec) => JobSpec
  onProgress?: (progress: StreamProgress) => void
  /** The intake thread's entry; INTAKE_THREAD_FILE unless a test or the bench says otherwise. */
  threadFile?: string
  now?: () => number
}

/** Each file's answer in the order given, and the batch of the good ones (null: none was). */
export interface StreamedFiles {
  files: ({ ok: true; file: string; jobs: number } | RefusedFile)[]
  enqueued: EnqueueResult | null
}

export type StreamedFile = { ok: true; file: string; jobs: number; enqueued: EnqueueResult } | RefusedFile

type LoadingStore = Required<Pick<QueueStore, 'beginLoad'>>

/** One file loaded while it is parsed: its batch, or its problems. */
export async function loadPromptFile(store: LoadingStore, path: string, options: StreamLoadOptions): Promise<StreamedFile> {
  const { files, enqueued } = await loadPromptFiles(store, [path], options)
  const [answer] = files
  return answer!.ok ? { ...answer!, enqueued: enqueued! } : answer!
}

export async function loadPromptFiles(store: LoadingStore, paths: readonly string[], options: StreamLoadOptions): Promise<StreamedFiles> {
  const batch = new FilesLoad(store, paths, options)
  try {
    for (const [index, path] of paths.entries()) await batch.take(path, index === paths.length - 1)
    return await batch.finish()
  } catch (error) {
    await batch.abandon()
    throw error
  }
}

/** One batch's load, a file at a time, each kept whole or dropped. */
class FilesLoad {
  private readonly files: StreamedFiles['files'] = []
  private readonly sources: BatchSource[] = []
  // Artifact names meet across the batch's files (they share one folder), as checkBatch has it.
  private names = new BatchCheck(null)
  // Begun with the first jobs: files refused before any is read write nothing.
  private load: JobLoad | undefined
  private readonly at: number

  constructor(
    private readonly store: LoadingStore,
    private readonly paths: readonly string[],
    private readonly options: StreamLoadOptions,
  ) {
    this.at = (options.now ?? Date.now)()
  }

  /** One file, read and written to its end: kept if it is good, dropped if not. */
  async take(path: string, lastFile: boolean): Promise<void> {
    const file = fileLabel(path)
    const size = await promptFileSize(path)
    if (typeof size !== 'number') {
      this.files.push(size)
      return
    }
    const check = this.names.copy()
    const problems = new FileProblems(file)
    // A key of this file held by another batch still loading: fatal only if the file proves good (a refused file writes nothing).
    let held: OperationError | undefined
    let lines = 0
    let jobs = 0
    const { defaults, profiles } = this.options
    for await (const event of fileEvents(path, size, { profiles, defaults }, this.options.threadFile)) {
      if (event.type === 'size') lines = event.lines
      else if (event.type === 'refused') {
        await this.load?.drop()
        this.files.push(event.result)
        return
      } else {
        event.jobs.forEach((spec, i) => {
          // The rest need no look, and a look at each of a million jobs (a string for where it is) lengthened the main thread's pauses.
          if (!namesArtifact(spec)) return
          const line = event.lines[i] ?? 0
          for (const problem of check.problems(spec, line ? `${file}:${line}` : file)) problems.add(line, problem)
        })
        // Once the file is refused (or a key held), nothing more of it is written: what was is dropped at its end.
        if (!problems.any && !held) held = await this.write(event)
        jobs += event.jobs.length
        const line = event.last ? lines : Math.min(event.lines.at(-1) ?? 0, lines)
        this.options.onProgress?.({ loaded: this.load?.loaded ?? 0, file, line, lines, last: event.last && lastFile })
        if (!event.last) continue
        // A file refused for a name another took still holds its own names for the files after it, as checkBatch has it.
        this.names = check
        if (problems.any || held) await this.load?.drop()
        if (held && !problems.any) throw held
        if (problems.any) this.files.push(problems.result())
        else {
          await this.load!.keep()
          this.sources.push({ name: file, format: formatOf(file), jobs, columns: event.columns })
          this.files.push({ ok: true, file, jobs })
        }
        return
      }
    }
    throw new Error(`${file}: the intake thread ended without a last message`)
  }

  /** Writes a message's jobs; answers the refusal of a key another load holds, to be weighed once the file is known good. */
  private async write(event: Extract<FileEvent, { type: 'jobs' }>): Promise<OperationError | undefined> {
    const { defaults, prepare = (spec: JobSpec) => spec } = this.options
    this.load ??= await this.store.beginLoad(batchName(this.paths.map(fileLabel)), this.at, this.options.maxConcurrency ?? null)
    const origin = this.sources.length
    try {
      await this.load.add(
        event.jobs.map((spec, i): NewJob => ({
          ...toNewJob(prepare(spec), defaults, this.at),
          origin: { file: origin, row: event.lines[i] ?? 0, input: event.inputs[i] ?? null },
        })),
      )
    } catch (error) {
      if (error instanceof OperationError && error.code === 'CONFLICT') return error
      throw error
    }
  }

  /** The good files' batch made visible, named from them as one enqueue of them would be; none when every file was refused. */
  async finish(): Promise<StreamedFiles> {
    if (this.sources.length === 0) {
      await this.abandon()
      return { files: this.files, enqueued: null }
    }
    const name = batchName(this.sources.map((source) => source.name))
    return { files: this.files, enqueued: await this.load!.finish(this.sources, name) }
  }

  async abandon(): Promise<void> {
    await this.load?.abandon()
  }
}

/** A file's jobs as they are read, `inputs` as JSON text, `columns` with the last. */
type FileEvent =
  | { type: 'size'; lines: number }
  | { type: 'jobs'; jobs: JobSpec[]; lines: number[]; inputs: (string | null)[]; columns: string[]; last: boolean }
  | { type: 'refused'; result: RefusedFile }

/**
 * A large file from the intake thread, a thousand jobs at a time; a small one (among large
 * ones) parsed here in a few milliseconds, as readPromptFile does, its jobs in one piece.
 */
async function* fileEvents(path: string, size: number, context: JobCheckContext, threadFile: string | undefined): AsyncGenerator<FileEvent> {
  if (size < THREAD_THRESHOLD_BYTES) {
    const parsed = await readPromptFile(path, { context })
    if (!parsed.ok) {
      yield { type: 'refused', result: parsed }
      return
    }
    // A .txt or .md file is one prompt, at no line: counted as one, so that its progress reads 100%.
    yield { type: 'size', lines: Math.max(1, parsed.lines.at(-1) ?? 0) }
    const inputs = parsed.jobs.map((_, i) => parsed.inputs?.[i] ?? null).map((input) => (input === null ? null : JSON.stringify(input)))
    yield { type: 'jobs', jobs: parsed.jobs, lines: parsed.lines, inputs, columns: parsed.columns ?? [], last: true }
    return
  }
  for await (const message of intakeThreadMessages({ path, context }, threadFile)) {
    if (message.type !== 'jobs') yield message
    else {
      const { json, ...chunk } = message
      yield { ...chunk, jobs: JSON.parse(json) as JobSpec[] }
    }
  }
}
