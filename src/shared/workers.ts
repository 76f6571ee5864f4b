/**
 * The engines working one queue (the desktop app, `genops serve`, `genops run`, on this
 * machine or, with a team store, on others): each names itself by its host and process,
 * beats while it runs, and says when it stops, so the Workers panel and `genops workers`
 * show who holds which jobs.
 */
import { z } from 'zod'

export const WORKER_STATES = ['running', 'silent', 'gone', 'stopped'] as const

export const WorkerInfo = z.object({
  /** Its lease owner: the name its claims hold jobs under. */
  owner: z.string(),
  host: z.string(),
  pid: z.number().int(),
  version: z.string(),
  startedAt: z.number().int(),
  heartbeatAt: z.number().int(),
  stoppedAt: z.number().int().nullable(),
  /**
   * running: it beat lately; silent: no beat for three intervals (hung, or its machine is
   * unreachable); gone: two beats missed and its process no longer exists on this machine
   * (a crash, kill -9); stopped: it closed.
   */
  state: z.enum(WORKER_STATES),
  /** Jobs it holds now: active under its lease. */
  claims: z.number().int().min(0),
  /** The engine that answered this question. */
  self: z.boolean(),
})
export type WorkerInfo = z.infer<typeof WorkerInfo>
export type WorkerState = (typeof WORKER_STATES)[number]

/** How often a running engine beats; three missed beats make it silent. */
export const WORKER_BEAT_MS = 5_000
export const WORKER_SILENT_AFTER_MS = 3 * WORKER_BEAT_MS
