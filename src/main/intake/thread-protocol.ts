/**
 * What the intake thread (intake-thread.ts) and the main thread's reader of it
 * (thread-reader.ts) say to each other: kept apart from the thread's entry, which starts
 * parsing as soon as it is loaded.
 */
import type { JobCheckContext } from './job-check'
import type { RefusedFile } from './problems'

/** A file to read from disk here, or bytes the caller already holds (copied in), and what to check its jobs against. */
export type IntakeThreadData = ({ path: string } | { name: string; bytes: Uint8Array }) & {
  context?: JobCheckContext | undefined
  /** Messages taken by the main thread so far, at FLOW_TAKEN (Int32): the thread stays at most MESSAGES_AHEAD ahead. */
  flow?: SharedArrayBuffer | undefined
}

/** Where the count of messages taken sits in `flow`. */
export const FLOW_TAKEN = 0

/**
 * Messages the thread may be ahead of the main thread: parsing runs faster than a load writes,
 * and without a bound a million-line file piled up as waiting messages (a third of it, ~50 MB
 * of text, and the garbage collection of it) in the main thread.
 */
export const MESSAGES_AHEAD = 4

/**
 * Jobs travel as JSON text, parsed on arrival: JSON.parse leaves the main thread's young
 * generation fewer objects to copy than a structured clone of the same jobs, and its
 * scavenges are what the main thread's lag is made of during intake (bench/intake: about
 * 30% less GC time). Jobs are JSON data through and through, so nothing is lost. Each
 * input goes as its own JSON text, the form the store keeps it in (sources.ts, jobOrigin).
 * `size` comes first: the file's lines, against which the jobs' lines tell how far it got.
 */
export type IntakeThreadMessage =
  | { type: 'size'; lines: number }
  | { type: 'jobs'; json: string; lines: number[]; inputs: (string | null)[]; columns: string[]; last: boolean }
  | { type: 'refused'; result: RefusedFile }
