/**
 * What went wrong, in words an operator can act on: the engine's own message (it names the
 * file, the field or the job), or what to check when the engine did not answer at all.
 * Shared by the drag-in dialog, the failures and the settings screens.
 */
import { ApiError } from './api'

export function sayProblem(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'NETWORK') return 'GenOps did not answer: check that it is still running, then try again.'
    if (error.code === 'UNAUTHORIZED') return 'This page lost its access: open the link genops serve printed when it started.'
    return error.message
  }
  return error instanceof Error ? error.message : String(error)
}

/** `1 job`, `3 jobs`. */
export const plural = (count: number, one: string, many = `${one}s`): string => `${new Intl.NumberFormat().format(count)} ${count === 1 ? one : many}`

/** A size in the unit people read: 820 B, 14.2 KB, 63.9 MB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}
