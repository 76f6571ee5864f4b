/**
 * A provider's batch API as the lane uses it: one line per job out, an upload, the batch's
 * status, a cancel, and the result lines back. Each kind speaks its own wire format
 * (openai-api.ts, anthropic-api.ts) through its official SDK, with the profile's key and
 * base URL resolved as a real-time attempt's are (workers/providers/endpoint.ts).
 */
import type { TokenUsage } from '../../shared/tokens'
import type { ProfileEndpoint } from '../../workers/protocol'
import type { BatchKind } from './store'

/** One job's request, ready for the upload: its custom_id, the value sent, and its size in the upload. */
export interface BuiltLine {
  jobId: number
  customId: string
  value: unknown
  text: string
}

/** Where a provider batch stands. `ended`: its results are final (completed, expired, cancelled, failed as a whole). */
export interface RemoteStatus {
  status: string
  ended: boolean
  /** The provider refused the whole batch (OpenAI's `failed`: the file did not validate): why. */
  failure?: string | undefined
}

/** One result line, as read back. */
export type LineResult =
  | { customId: string; kind: 'ok'; text: string; usage: TokenUsage }
  /** The provider answered the line with an error: `error` goes through the one classifier (workers/classify.ts). */
  | { customId: string; kind: 'error'; error: unknown }
  /** Never run: the batch expired or was cancelled first. The job goes back to the queue, its attempt given back. */
  | { customId: string; kind: 'unfinished'; why: string }
  /** A line that does not parse: only its own job fails (when its custom_id can be read at all). */
  | { customId: string | null; kind: 'malformed'; reason: string }

export interface BatchApi {
  readonly kind: BatchKind
  /** The request of one job, as a line of the upload. `config` was checked by the kind's schema. */
  line(jobId: number, customId: string, prompt: string, model: string, config: Record<string, unknown>): BuiltLine
  /** Sends the lines as one provider batch; answers its id and first status. */
  upload(lines: readonly BuiltLine[], label: string): Promise<{ remoteId: string; status: string }>
  status(remoteId: string): Promise<RemoteStatus>
  cancel(remoteId: string): Promise<void>
  /** Every result line of an ended batch, as text (successes and errors both), read as the body arrives. */
  results(remoteId: string): AsyncIterable<string>
  /** Reads one result line. */
  parse(text: string): LineResult
}

export interface BatchApiTarget {
  kind: BatchKind
  endpoint?: ProfileEndpoint | undefined
}

/** A line's custom_id: the job and the attempt, so an answer never settles a later attempt of the same job. */
export const customIdOf = (jobId: number, attempt: number): string => `job-${jobId}-${attempt}`

/** The custom_id of a line that does not parse, when it can still be read. */
export function customIdIn(text: string): string | null {
  return /"custom_id"\s*:\s*"([^"\\]{1,200})"/.exec(text)?.[1] ?? null
}

/**
 * A JSONL body's non-empty lines, read as it streams in: a results file may hold 50,000
 * answers and be larger than one string can be (V8 stops near 512 MiB), and a line is
 * settled long before the last one arrives. Written by hand: the SDKs' own decoders stop at
 * the first line that does not parse, and a malformed line must fail only its own job.
 */
export async function* jsonlLines(response: Response): AsyncGenerator<string> {
  if (!response.body) return
  const decoder = new TextDecoder()
  // The pieces of a line not yet ended: a long answer arrives in many chunks, each looked at once.
  let pieces: string[] = []
  const line = (last: string): string | null => {
    const text = (pieces.join('') + last).replace(/\r$/, '')
    pieces = []
    return text.trim() === '' ? null : text
  }
  for await (const chunk of response.body) {
    const text = decoder.decode(chunk as Uint8Array, { stream: true })
    let from = 0
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', from)) {
      const ended = line(text.slice(from, end))
      if (ended !== null) yield ended
      from = end + 1
    }
    if (from < text.length) pieces.push(text.slice(from))
  }
  const last = line(decoder.decode())
  if (last !== null) yield last
}
