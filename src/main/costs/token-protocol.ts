/** What the main thread and the token-count thread (token-thread.ts) say to each other: kept apart, so neither side loads the other. */

/** The encodings chat models use; an older completion model's encoding is not worth loading for an estimate. */
export const THREAD_ENCODINGS = ['o200k_base', 'cl100k_base'] as const
export type ThreadEncoding = (typeof THREAD_ENCODINGS)[number]

export interface TokenThreadRequest {
  id: number
  encoding: ThreadEncoding
  texts: string[]
}

export type TokenThreadReply = { id: number; counts: number[] } | { id: number; error: string }
