/**
 * Per-attempt time limits from the job's config: the whole attempt (`timeoutMs`, default
 * 10 minutes) and the wait for the first token (`firstTokenTimeoutMs`, off by default).
 * Crossing one aborts the provider call for real and fails the attempt as TIMEOUT. Their
 * ranges are the config schema's (shared/job-config).
 */
import { AttemptError } from '../shared/errors'

export const DEFAULT_TIMEOUT_MS = 10 * 60_000

export interface AttemptLimits {
  /** Call when the first token arrives: the first-token limit no longer applies. */
  firstToken(): void
  /** Clears the timers; call when the attempt ends, however it ends. */
  clear(): void
}

/** Arms the limits: when one is crossed, `controller` aborts with a TIMEOUT AttemptError as its reason. */
export function armLimits(config: { timeoutMs?: number | undefined; firstTokenTimeoutMs?: number | undefined }, controller: AbortController): AttemptLimits {
  const totalMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const firstTokenMs = config.firstTokenTimeoutMs
  const abort = (message: string) => controller.abort(new AttemptError('TIMEOUT', message))
  const total = setTimeout(() => abort(`the attempt took longer than its limit of ${totalMs} ms`), totalMs)
  let first = firstTokenMs === undefined ? undefined : setTimeout(() => abort(`no first token within ${firstTokenMs} ms`), firstTokenMs)
  return {
    firstToken() {
      clearTimeout(first)
      first = undefined
    },
    clear() {
      clearTimeout(total)
      clearTimeout(first)
    },
  }
}
