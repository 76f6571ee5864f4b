/**
 * Server-sent events read with fetch rather than EventSource, so the API token travels in
 * an Authorization header instead of a URL (URLs end up in logs and history).
 */

export interface SseMessage {
  event: string
  data: string
}

/** The event-stream format, fed in arbitrary chunks: messages come out whole. */
export class SseParser {
  private buffer = ''
  private event = ''
  private data: string[] = []

  push(chunk: string): SseMessage[] {
    this.buffer += chunk
    const messages: SseMessage[] = []
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/)
      if (end === -1) break
      // A lone \r at the end of a chunk may be the first half of \r\n: wait for the next chunk.
      if (this.buffer[end] === '\r' && end === this.buffer.length - 1) break
      const line = this.buffer.slice(0, end)
      this.buffer = this.buffer.slice(this.buffer.startsWith('\r\n', end) ? end + 2 : end + 1)
      const message = this.line(line)
      if (message) messages.push(message)
    }
    return messages
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') {
      const message = this.data.length > 0 ? { event: this.event || 'message', data: this.data.join('\n') } : undefined
      this.event = ''
      this.data = []
      return message
    }
    if (line.startsWith(':')) return undefined
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') this.event = value
    else if (field === 'data') this.data.push(value)
    return undefined
  }
}

export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'unauthorized'

export interface EventStreamOptions {
  url: string
  headers: () => Record<string, string>
  onMessage(message: SseMessage): void
  onStatus(status: StreamStatus): void
  /** First wait before reconnecting, doubled after each failure up to `maxDelayMs`. Default 500 ms. */
  initialDelayMs?: number
  /** Default 15 s. */
  maxDelayMs?: number
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** Reads the stream until stopped, reconnecting with backoff; returns the function that stops it. */
export function openEventStream(options: EventStreamOptions): () => void {
  const { initialDelayMs = 500, maxDelayMs = 15_000 } = options
  const controller = new AbortController()
  const { signal } = controller

  async function readOnce(): Promise<'ended' | 'unauthorized'> {
    const response = await fetch(options.url, { headers: options.headers(), signal, cache: 'no-store' })
    if (response.status === 401) return 'unauthorized'
    if (!response.ok || !response.body) throw new Error(`event stream answered ${response.status}`)
    options.onStatus('live')
    const parser = new SseParser()
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return 'ended'
      for (const message of parser.push(value)) options.onMessage(message)
    }
  }

  void (async () => {
    let delay = initialDelayMs
    options.onStatus('connecting')
    while (!signal.aborted) {
      const startedAt = Date.now()
      try {
        // A retry cannot mend a token the server does not know: say so and stop.
        if ((await readOnce()) === 'unauthorized') return options.onStatus('unauthorized')
      } catch {
        // Network errors and server restarts both land here; the backoff below handles them.
      }
      if (signal.aborted) return
      // A stream that stayed up a while was healthy: start the backoff over.
      if (Date.now() - startedAt > maxDelayMs) delay = initialDelayMs
      options.onStatus('reconnecting')
      await pause(delay * (0.75 + Math.random() * 0.5), signal)
      delay = Math.min(maxDelayMs, delay * 2)
    }
  })()

  return () => controller.abort()
}
