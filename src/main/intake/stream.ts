/**
 * One large prompt file loaded while it is parsed. The intake thread reads and checks it and
 * hands its jobs on a thousand at a time; each thousand is written at once into a batch no
 * claim sees (QueueStore.beginLoad). The parse and the load so run side by side on two
 * threads instead of one after the other, and neither ever holds the whole file's jobs: a
 * million-line file loads in about half the time and memory (bench/README.md, "Intake").
 *
 * The file is still all or nothing: a problem anywhere in it removes what was loaded, and the
 * answer is its problems, as readPromptFile's would be; a process killed meanwhile leaves a
 * batch that no reader sees, removed at the next start (store/sqlite/queue/load.ts).
 */
import type { JobDefaults, JobSpec } from '../../shared/jobs'
import { formatOf } from '../../shared/intake'
import { toNewJob } from '../queue/new-job'
import type { EnqueueResult, JobLoad, NewJob, QueueStore } from '../queue/store'
import type { JobCheckContext } from './job-check'
import { fileLabel, type RefusedFile } from './problems'
import { promptFileSize } from './read'
import { intakeThreadMessages } from './thread-reader'

/** How far a file's load has come: jobs written, and the line the parse reached of the file's lines. */
export interface StreamProgress {
  loaded: number
  line: number
  lines: number
}

export interface StreamLoadOptions {
  defaults: JobDefaults
  /** The profiles each job is checked against as it is read (the defaults are `defaults`). */
  profiles: JobCheckContext['profiles']
  batchName: string
  maxConcurrency?: number | undefined
  /** Applied to each job as read: the call's word over the file's (`genops enqueue --no-cache`). */
  prepare?: (spec: JobSpec) => JobSpec
  onProgress?: (progress: StreamProgress) => void
  /** The intake thread's entry; INTAKE_THREAD_FILE unless a test or the bench says otherwise. */
  threadFile?: string
  now?: () => number
}

export type StreamedFile = { ok: true; file: string; jobs: number; enqueued: EnqueueResult } | RefusedFile

type LoadingStore = Required<Pick<QueueStore, 'beginLoad'>>

export async function loadPromptFile(store: LoadingStore, path: string, options: StreamLoadOptions): Promise<StreamedFile> {
  const file = fileLabel(path)
  const size = await promptFileSize(path)
  if (typeof size !== 'number') return size
  const { defaults, prepare = (spec) => spec, now = Date.now } = options
  const at = now()
  let load: JobLoad | undefined
  let lines = 0
  try {
    for await (const message of intakeThreadMessages({ path, context: { profiles: options.profiles, defaults } }, options.threadFile)) {
      if (message.type === 'size') lines = message.lines
      else if (message.type === 'refused') {
        await load?.abandon()
        return message.result
      } else {
        // Begun with the first jobs: a file refused before any is read writes nothing.
        load ??= store.beginLoad(options.batchName, at, options.maxConcurrency ?? null)
        const specs = JSON.parse(message.json) as JobSpec[]
        const jobs = specs.map((spec, i): NewJob => ({
          ...toNewJob(prepare(spec), defaults, at),
          origin: { file: 0, row: message.lines[i] ?? 0, input: message.inputs[i] ?? null },
        }))
        await load.add(jobs)
        options.onProgress?.({ loaded: load.loaded, line: message.last ? lines : Math.min(message.lines.at(-1) ?? 0, lines), lines })
        if (message.last) {
          const enqueued = await load.finish([{ name: file, format: formatOf(file), jobs: load.loaded, columns: message.columns }])
          return { ok: true, file, jobs: load.loaded, enqueued }
        }
      }
    }
    throw new Error('the intake thread ended without a last message')
  } catch (error) {
    await load?.abandon()
    throw error
  }
}
