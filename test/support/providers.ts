/** What the provider tests share: calling a provider as a worker would, and reading its failure. */
import { afterEach, beforeEach, expect } from 'vitest'
import { AttemptError } from '../../src/shared/errors'
import type { ProfileEndpoint } from '../../src/workers/protocol'
import type { Provider } from '../../src/workers/providers/provider'
import type { RecordedRequest } from './fake-server'
import { waitFor } from './wait'

/** The AttemptError a provider call rejected with (the test fails if it resolved or threw something else). */
export async function attemptFailure(promise: Promise<unknown>): Promise<AttemptError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(AttemptError)
  return error as AttemptError
}

/** Sets an environment variable for each test of the file and puts the old value back after. */
export function withEnv(name: string, value: string): void {
  const saved = process.env[name]
  beforeEach(() => {
    process.env[name] = value
  })
  afterEach(() => {
    if (saved === undefined) delete process.env[name]
    else process.env[name] = saved
  })
}

/** One generation with the progress it reported; `endpoint` as a profile's job would carry it. */
export function generateWith<Config>(
  provider: Provider<Config>,
  prompt: string,
  model: string | null,
  config: Config,
  signal: AbortSignal = new AbortController().signal,
  endpoint?: ProfileEndpoint,
) {
  const progress: [number, number | null][] = []
  const result = provider.generate(
    { prompt, attempt: 1, model, config, endpoint },
    { signal, onProgress: (outputTokens, fraction) => progress.push([outputTokens, fraction]) },
  )
  return { result, progress }
}

/**
 * Cancels a generation while the fake server is still streaming (200 words, 100 ms
 * apart) and checks that it rejects as CANCELLED and that the server saw the client
 * leave before the response was finished: the HTTP call was aborted, not waited out.
 */
export async function expectCancelMidStream(
  fake: { text: string; chunkDelayMs: number; requests: RecordedRequest[] },
  start: (signal: AbortSignal) => { result: Promise<unknown>; progress: unknown[] },
): Promise<void> {
  fake.text = 'word '.repeat(200)
  fake.chunkDelayMs = 100
  const controller = new AbortController()
  const { result, progress } = start(controller.signal)
  await waitFor(
    () => progress.length,
    (n) => n >= 2,
    { what: 'two streamed chunks' },
  )
  controller.abort()
  expect((await attemptFailure(result)).category).toBe('CANCELLED')
  await waitFor(
    () => fake.requests[0]!,
    (request) => request.disconnected,
    { what: 'the server to see the disconnect' },
  )
  expect(fake.requests[0]!.finished).toBe(false)
}
