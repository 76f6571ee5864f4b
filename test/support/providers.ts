/** What the provider tests share: calling a provider as a worker would, and reading its failure. */
import { afterEach, beforeEach, expect } from 'vitest'
import { AttemptError } from '../../src/shared/errors'
import type { Provider } from '../../src/workers/providers/provider'

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

/** One generation with the progress it reported. */
export function generateWith(
  provider: Provider,
  prompt: string,
  model: string | null,
  config: Record<string, unknown>,
  signal: AbortSignal = new AbortController().signal,
) {
  const progress: [number, number | null][] = []
  const result = provider.generate(
    { prompt, attempt: 1, model, config },
    { signal, onProgress: (outputTokens, fraction) => progress.push([outputTokens, fraction]) },
  )
  return { result, progress }
}
