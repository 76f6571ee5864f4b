/**
 * Waiting for a state the system reaches, never for a fixed time: checks the condition
 * every few milliseconds and fails with the last value seen if it is not met in time.
 */
export async function waitFor<T>(read: () => T | Promise<T>, done: (value: T) => boolean, { timeoutMs = 20_000, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let value = await read()
  while (!done(value)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
    value = await read()
  }
  return value
}
