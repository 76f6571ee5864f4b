import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { throttle } from './throttle'

describe('throttle', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  test('runs once for a burst, and once more for a request made while it ran', async () => {
    let release: () => void = () => {}
    const task = vi.fn(() => new Promise<void>((resolve) => (release = resolve)))
    const throttled = throttle(task, 500)
    throttled.request()
    throttled.request()
    await vi.advanceTimersByTimeAsync(0)
    expect(task).toHaveBeenCalledTimes(1)

    throttled.request()
    release()
    await vi.advanceTimersByTimeAsync(499)
    expect(task).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(task).toHaveBeenCalledTimes(2)
    release()
    await vi.advanceTimersByTimeAsync(2_000)
    expect(task).toHaveBeenCalledTimes(2)
  })

  test('cancel drops a waiting run', async () => {
    const task = vi.fn(async () => {})
    const throttled = throttle(task, 500)
    throttled.request()
    throttled.cancel()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(task).not.toHaveBeenCalled()
  })
})
