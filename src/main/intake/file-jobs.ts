/**
 * What a parser makes of one file: its jobs, each with the line it starts on, and its
 * problems. Every format hands each job it reads to `take`, so the same things happen to a
 * job whatever file it came from: a reason is recorded against its line, and when the call
 * knows its profiles and defaults, the job is checked for what it means (job-check.ts)
 * right away, so one reading of the file names every problem it has. Read for a load as it
 * parses (the intake thread), it hands its jobs on a chunk at a time and keeps none of them.
 */
import type { JobSpec } from '../../shared/jobs'
import type { BatchCheck } from './job-check'
import type { FileProblems, JobInput } from './problems'

/** Most input fields a source records: a file with more is taken, the rest of its field names are not listed. */
const MAX_COLUMNS = 500

/** Jobs read so far and not yet handed on, each with the line it starts on and its input. */
export interface JobChunk {
  jobs: JobSpec[]
  /** `lines[i]` is where `jobs[i]` starts; 0 when the file is one prompt. */
  lines: number[]
  /** `inputs[i]` is the input's own fields of `jobs[i]`, for exports beside the input. */
  inputs: JobInput[]
}

/** Where a file read as it parses hands each `size` jobs (the last ones stay for the caller). */
export interface JobSink {
  size: number
  take(chunk: JobChunk): void
}

export class FileJobs implements JobChunk {
  jobs: JobSpec[] = []
  lines: number[] = []
  inputs: JobInput[] = []
  /** The fields the inputs use, in the order the file first gives them (a CSV's header). */
  readonly columns: string[] = []
  private readonly seen = new Set<string>()
  /** Jobs already handed to the sink. */
  private handedOn = 0

  constructor(
    readonly problems: FileProblems,
    private readonly check?: BatchCheck,
    private readonly sink?: JobSink,
  ) {}

  /** Jobs read, kept or handed on. */
  get count(): number {
    return this.handedOn + this.jobs.length
  }

  /** Names the input's fields up front (a CSV's header), in the file's order. */
  setColumns(names: readonly string[]): void {
    for (const name of names) this.addColumn(name)
  }

  private addColumn(name: string): void {
    if (this.seen.has(name) || this.columns.length >= MAX_COLUMNS) return
    this.seen.add(name)
    this.columns.push(name)
  }

  /** A job read at `line` (0: the whole file), or the reason it could not be read as one; `input` is what the file wrote for it. */
  take(job: JobSpec | string, line: number, input: JobInput = null): void {
    if (typeof job === 'string') {
      this.problems.add(line, job)
      return
    }
    if (this.check) {
      const where = line ? `${this.problems.file}:${line}` : this.problems.file
      for (const problem of this.check.problems(job, where)) this.problems.add(line, problem)
    }
    // Once the file is refused its jobs are not kept: only its problems are wanted.
    if (this.problems.any) return
    this.jobs.push(job)
    this.lines.push(line)
    this.inputs.push(input)
    if (input) for (const name of Object.keys(input)) this.addColumn(name)
    if (this.sink && this.jobs.length >= this.sink.size) {
      this.handedOn += this.jobs.length
      this.sink.take({ jobs: this.jobs, lines: this.lines, inputs: this.inputs })
      this.jobs = []
      this.lines = []
      this.inputs = []
    }
  }
}
