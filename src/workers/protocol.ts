/**
 * What crosses between the scheduler and a worker thread. A task is one attempt; the
 * answer is its outcome. Progress and cancel travel on a BroadcastChannel per pool: a
 * MessagePort per task would halve the pool's throughput (measured: 40k → 19k tasks/s).
 */
import type { ErrorCategory } from '../shared/errors'
import type { QuotaReading } from '../shared/ratelimit-headers'

/**
 * Where a profile's requests go and what they carry: the profile's own, never the job's.
 * The key travels to the worker in memory (the keychain's) or as the key file's path; it
 * is attached to requests to the profile's endpoint only.
 */
export interface ProfileEndpoint {
  profile: string
  baseUrl?: string
  keyFile?: string
  apiKey?: string
}

export interface AttemptTask {
  id: number
  attempt: number
  /** The provider kind (a profile is resolved to its provider before dispatch). */
  provider: string
  model: string | null
  prompt: string
  /** The job's config over its profile's defaults: no credential and no profile endpoint in it. */
  config: Record<string, unknown>
  /** The profile the job named, when it named one. */
  endpoint?: ProfileEndpoint | undefined
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
      /** Plain input (shared/tokens): what the prompt cache read or wrote is counted beside it. */
      inputTokens: number | null
      outputTokens: number | null
      cachedInputTokens?: number | undefined
      cacheWriteTokens?: number | undefined
      firstTokenMs: number | null
      durationMs: number
      spans?: PhaseSpan[]
      /** What the provider's rate-limit headers said remains (resilience/provider-quota spends it). */
      quota?: QuotaReading
    }
  | {
      ok: false
      category: ErrorCategory
      message: string
      retryable: boolean
      retryAfterMs: number | null
      durationMs: number
      spans?: PhaseSpan[]
      /** The disk refused the artifact, with this code (ENOSPC...): not the job's failure; the engine waits for room and hands the job back. */
      diskFull?: string
      /** UNKNOWN failures only: the error's stack, redacted and trimmed (shared/errors errorStack), kept with the attempt for triage. */
      stack?: string
      /** What the provider's rate-limit headers said remains, a 429's included. */
      quota?: QuotaReading
    }

export type ChannelMessage =
  { type: 'progress'; id: number; threadId: number; fraction: number | null; outputTokens: number; elapsedMs: number } | { type: 'cancel'; id: number }

/** Progress is sent at most this often per attempt. */
export const PROGRESS_INTERVAL_MS = 250
