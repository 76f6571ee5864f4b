/**
 * Prompt files loaded while they are parsed. The intake thread reads and checks a large file
 * and hands its jobs on a thousand at a time; each thousand is written at once into a batch
 * no claim sees (QueueStore.beginLoad). The parse and the load so run side by side on two
 * threads instead of one after the other, and neither ever holds a whole file's jobs: a
 * million-line file loads in about half the time and memory (bench/README.md, "Intake").
 *
 * The files go into one batch named from them, one after another, each all or nothing: a
 * problem anywhere in a file removes what was loaded of it and the other files go on, as
 * readPromptFiles and one enqueue of the good files would have it. A process killed meanwhile leaves a batch that no reader sees,
 * removed at the next start (store/sqlite/queue/load.ts).
 */
import type { BatchSource } from '../../shared/batches'
import type { JobDefaults, JobSpec } from '../../shared/jobs'
import { formatOf } from '../../shared/intake'
import { toNewJob } from '../queue/new-job'
import type { EnqueueResult, JobLoad, NewJob, QueueStore } from '../queue/store'
import { batchName } from './batch'
import { BatchCheck, type JobCheckContext } from './job-check'
import { THREAD_THRESHOLD_BYTES } from './limits'
import { FileProblems, fileLabel, type RefusedFile } from './problems'
import { promptFileSize, readPromptFile } from './read'
import { intakeThreadMessages } from './thread-reader'

/** How far a load has come: jobs written, and the line the parse reached of its file's lines. */
export interface StreamProgress {
  loaded: number
  file: string
  line: number
  lines: number
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
  const { defaults, prepare = (spec) => spec, now = Date.now } = options
  const at = now()
  const files: StreamedFiles['files'] = []
  const sources: BatchSource[] = []
  // Artifact names meet across the batch's files (they share one folder), as checkBatch has it.
  let names = new BatchCheck(null)
  let load: JobLoad | undefined
  try {
    for (const path of paths) {
      const file = fileLabel(path)
      const size = await promptFileSize(path)
      if (typeof size !== 'number') {
        files.push(size)
        continue
      }
      const check = names.copy()
      const problems = new FileProblems(file)
      let lines = 0
      let jobs = 0
      for await (const event of fileEvents(path, size, { profiles: options.profiles, defaults }, options.threadFile)) {
        if (event.type === 'size') lines = event.lines
        else if (event.type === 'refused') {
          await load?.drop()
          files.push(event.result)
        } else {
          event.jobs.forEach((spec, i) => {
            const line = event.lines[i] ?? 0
            for (const problem of check.problems(spec, line ? `${file}:${line}` : file)) problems.add(line, problem)
          })
          // Once the file is refused, nothing more of it is written: what was is dropped at its end.
          if (!problems.any) {
            // Begun with the first jobs: files refused before any is read write nothing.
            load ??= store.beginLoad(batchName(paths.map(fileLabel)), at, options.maxConcurrency ?? null)
            const origin = sources.length
            await load.add(
              event.jobs.map((spec, i): NewJob => ({
                ...toNewJob(prepare(spec), defaults, at),
                origin: { file: origin, row: event.lines[i] ?? 0, input: event.inputs[i] ?? null },
              })),
            )
            jobs += event.jobs.length
          }
          options.onProgress?.({ loaded: load?.loaded ?? 0, file, line: event.last ? lines : Math.min(event.lines.at(-1) ?? 0, lines), lines })
          if (!event.last) continue
          // A file refused for a name another took still holds its own names for the files after it, as checkBatch has it.
          names = check
          if (problems.any) {
            await load?.drop()
            files.push(problems.result())
          } else {
            load!.keep()
            sources.push({ name: file, format: formatOf(file), jobs, columns: event.columns })
            files.push({ ok: true, file, jobs })
          }
        }
      }
    }
    if (sources.length === 0) {
      await load?.abandon()
      return { files, enqueued: null }
    }
    // Named from the files taken, as one enqueue of them would be.
    return { files, enqueued: await load!.finish(sources, batchName(sources.map((source) => source.name))) }
  } catch (error) {
    await load?.abandon()
    throw error
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
    if (!parsed.ok) return yield { type: 'refused', result: parsed }
    // A .txt or .md file is one prompt, at no line: counted as one, so that its progress reads 100%.
    yield { type: 'size', lines: Math.max(1, parsed.lines.at(-1) ?? 0) }
    const inputs = parsed.jobs.map((_, i) => parsed.inputs?.[i] ?? null).map((input) => (input === null ? null : JSON.stringify(input)))
    return yield { type: 'jobs', jobs: parsed.jobs, lines: parsed.lines, inputs, columns: parsed.columns ?? [], last: true }
  }
  for await (const message of intakeThreadMessages({ path, context }, threadFile)) {
    if (message.type !== 'jobs') yield message
    else {
      const { json, ...chunk } = message
      yield { ...chunk, jobs: JSON.parse(json) as JobSpec[] }
    }
  }
}
