/** A job's lines from the engine's log, as the job detail shows them. */
import { z } from 'zod'

export const JobLogLine = z.object({
  time: z.string(),
  level: z.string(),
  message: z.string(),
  attempt: z.number().int().nullable(),
  traceId: z.string().nullable(),
})
export type JobLogLine = z.infer<typeof JobLogLine>

export const JobLogs = z.object({
  jobId: z.number().int(),
  /** Oldest first. */
  lines: z.array(JobLogLine),
  /** Set when only the newest lines are given, or when the log could not be read whole. */
  note: z.string().nullable(),
})
export type JobLogs = z.infer<typeof JobLogs>
