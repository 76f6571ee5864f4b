/**
 * What the fake batch servers share (fake-openai-batches.ts, fake-anthropic-batches.ts):
 * batches that move on one step each time they are looked at (validating, in progress,
 * finalizing, ended), that a test can hold in progress, cancel or let expire, and whose
 * lines are answered by a rule the test sets: an answer, a provider error, or a line that
 * does not parse. When a batch ends early (cancelled, expired) only its first `finishedEarly`
 * lines have answers; the rest are reported as not run.
 */

/** What the provider answers for one line. */
export type LineAnswer =
  | { text: string }
  | { status: number; type: string; message: string }
  // Not JSON; JSON whose answer is mangled where a reader looks (a null content block or choice, as a broken proxy sends).
  | 'malformed'
  | 'mangled'

export interface BatchRequest {
  customId: string
  /** The request body (OpenAI's `body`, Anthropic's `params`). */
  body: Record<string, unknown>
}

export type Phase = 'validating' | 'in_progress' | 'finalizing' | 'ended'
export type Ending = 'completed' | 'cancelled' | 'expired'

export interface FakeBatch {
  id: string
  requests: BatchRequest[]
  phase: Phase
  ending: Ending | null
  cancelRequested: boolean
  createdAt: number
}

/** The prompt of a request, whichever API it is in (the user message's text). */
export function promptOf(body: Record<string, unknown>): string {
  const messages = body.messages as { role: string; content: unknown }[] | undefined
  const user = messages?.find((message) => message.role === 'user')
  return typeof user?.content === 'string' ? user.content : ''
}

/** Words, about a token each: the fakes' token counts. */
export const wordCount = (text: string): number => text.split(/\s+/).filter(Boolean).length

export class FakeBatchBook {
  readonly batches = new Map<string, FakeBatch>()
  /** Every line uploaded, over every batch: a test counts what the provider was asked (and would bill). */
  linesUploaded = 0
  /** The answer for each line; by default the prompt echoed back. */
  answer: (request: BatchRequest) => LineAnswer = (request) => ({ text: `Answer to: ${promptOf(request.body)}` })
  /** While true, batches stay in progress however often they are polled (a restart or a deadline test). */
  hold = false
  /** Set: the next batch to reach its end expires instead of completing. */
  expireNext = false
  /** Lines answered before an early end (cancel, expiry); the rest are reported as not run. */
  finishedEarly = 0
  private next = 1

  constructor(private readonly prefix: string) {}

  create(requests: BatchRequest[]): FakeBatch {
    const batch: FakeBatch = { id: `${this.prefix}${this.next++}`, requests, phase: 'validating', ending: null, cancelRequested: false, createdAt: Date.now() }
    this.batches.set(batch.id, batch)
    this.linesUploaded += requests.length
    return batch
  }

  /** One look at the batch: it moves on a step (unless held), and a cancel asked for ends it. */
  advance(batch: FakeBatch): FakeBatch {
    if (batch.phase === 'ended') return batch
    if (batch.cancelRequested) return this.end(batch, 'cancelled')
    if (this.hold) return batch
    if (batch.phase === 'validating') batch.phase = 'in_progress'
    else if (batch.phase === 'in_progress') batch.phase = 'finalizing'
    else if (this.expireNext) {
      this.expireNext = false
      this.end(batch, 'expired')
    } else this.end(batch, 'completed')
    return batch
  }

  cancel(batch: FakeBatch): void {
    if (batch.phase !== 'ended') batch.cancelRequested = true
  }

  /** Each line's answer, or null when the batch ended before the line ran. */
  results(batch: FakeBatch): { request: BatchRequest; answer: LineAnswer | null }[] {
    const ranAll = batch.ending === 'completed'
    return batch.requests.map((request, index) => ({ request, answer: ranAll || index < this.finishedEarly ? this.answer(request) : null }))
  }

  private end(batch: FakeBatch, ending: Ending): FakeBatch {
    batch.phase = 'ended'
    batch.ending = ending
    return batch
  }
}
