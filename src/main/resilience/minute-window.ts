/**
 * Requests and tokens a provider profile started in the last minute: a sliding log of
 * starts. Written here rather than taken from a token-bucket library (bottleneck,
 * limiter): a bucket refills continuously, so after a full burst it lets starts trickle in
 * and one 60-second window can hold up to twice the limit. Operators read "60 requests
 * per minute" as "no minute holds more than 60", which is what a log of starts keeps.
 */
export const WINDOW_MS = 60_000

export interface Start {
  at: number
  /** Estimated at the start, replaced by the real usage when the attempt reports it. */
  tokens: number
}

export class MinuteWindow {
  private starts: Start[] = []
  private head = 0

  /** `windowMs`: a minute, unless the engine is configured otherwise (drills compress it). */
  constructor(private readonly windowMs = WINDOW_MS) {}

  /** Drops what left the window; the array is compacted now and then, not on every call. */
  private prune(now: number): void {
    while (this.head < this.starts.length && this.starts[this.head]!.at <= now - this.windowMs) this.head++
    if (this.head > 1024 && this.head * 2 > this.starts.length) {
      this.starts = this.starts.slice(this.head)
      this.head = 0
    }
  }

  requests(now: number): number {
    this.prune(now)
    return this.starts.length - this.head
  }

  tokens(now: number): number {
    this.prune(now)
    let sum = 0
    for (let i = this.head; i < this.starts.length; i++) sum += this.starts[i]!.tokens
    return sum
  }

  record(at: number, tokens: number): Start {
    const start = { at, tokens }
    this.starts.push(start)
    return start
  }

  /** When the oldest start in the window leaves it: the earliest a full window frees a place. */
  nextFreeAt(now: number): number {
    this.prune(now)
    const oldest = this.starts[this.head]
    return oldest ? oldest.at + this.windowMs : now
  }
}
