/**
 * What crosses between the scheduler and a worker thread. A task is one attempt; the
 * answer is its outcome. Progress and cancel travel on a BroadcastChannel per pool: a
 * MessagePort per task would halve the pool's throughput (measured: 40k → 19k tasks/s).
 */
import type { ErrorCategory } from '../shared/errors'

export interface AttemptTask {
  id: number
  attempt: number
  provider: string
  model: string | null
  prompt: string
  config: Record<string, unknown>
  batchId: number | null
  /** Where artifacts go (<dataDir>/artifacts); null writes none. */
  artifactsDir: string | null
  /** Name of the pool's BroadcastChannel. */
  channel: string
  /** The attempt's span as a W3C traceparent, when traces are on: the worker times its phases under it. */
  traceparent?: string | undefined
}

/**
 * A phase of the attempt timed in the worker (times in ms since the epoch, fractional), a
 * child of the attempt's span. The main thread records it; the worker never writes one.
 */
export interface PhaseSpan {
  spanId: string
  name: 'provider call' | 'validation' | 'artifact write'
  startMs: number
  endMs: number
  /** When the first token arrived (provider call only). */
  firstTokenMs?: number
  /** The attempt failed in this phase. */
  failed?: boolean
}

export type AttemptOutcome =
  | {
      ok: true
      output: string
      artifact: string | null
      inputTokens: number | null
      outputTokens: number | null
      firstTokenMs: number | null
      durationMs: number
      spans?: PhaseSpan[]
    }
  | { ok: false; category: ErrorCategory; message: string; retryable: boolean; retryAfterMs: number | null; durationMs: number; spans?: PhaseSpan[] }

export type ChannelMessage =
  { type: 'progress'; id: number; threadId: number; fraction: number | null; outputTokens: number; elapsedMs: number } | { type: 'cancel'; id: number }

/** Progress is sent at most this often per attempt. */
export const PROGRESS_INTERVAL_MS = 250
