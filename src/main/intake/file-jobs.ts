/**
 * What a parser makes of one file: its jobs, each with the line it starts on, and its
 * problems. Every format hands each job it reads to `take`, so the same things happen to a
 * job whatever file it came from: a reason is recorded against its line, and when the call
 * knows its profiles and defaults, the job is checked for what it means (job-check.ts)
 * right away, so one reading of the file names every problem it has.
 */
import type { JobSpec } from '../../shared/jobs'
import type { BatchCheck } from './job-check'
import type { FileProblems } from './problems'

export class FileJobs {
  readonly jobs: JobSpec[] = []
  /** `lines[i]` is where `jobs[i]` starts; 0 when the file is one prompt. */
  readonly lines: number[] = []

  constructor(
    readonly problems: FileProblems,
    private readonly check?: BatchCheck,
  ) {}

  /** A job read at `line` (0: the whole file), or the reason it could not be read as one. */
  take(job: JobSpec | string, line: number): void {
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
  }
}
