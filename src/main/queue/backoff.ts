/**
 * Delay before a failed job's next attempt: exponential, capped, with "equal jitter"
 * (half fixed, half random) so retries of a batch that failed together spread out but a
 * job never retries sooner than half its step. Written here rather than taken from
 * cockatiel because the queue needs the delay for attempt n of a job that lives on disk,
 * a pure function of n, where cockatiel's backoffs are in-memory iterators.
 */
export interface BackoffOptions {
  /** Delay after the first failure, before jitter. Default 1000 ms. */
  baseMs: number
  /** No delay exceeds this. Default 5 minutes. */
  maxMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 300_000 }

/** `failures` counts this one: 1 after the first failed attempt. */
export function retryDelayMs(failures: number, { baseMs, maxMs }: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 52))
  return Math.round(step / 2 + random() * (step / 2))
}
