/**
 * Runs an async task at most once per `intervalMs`, never two at once, and never drops the
 * last request: one asked for while the task runs (or waits) runs once more afterwards.
 */
export interface Throttled {
  request(): void
  cancel(): void
}

export function throttle(task: () => Promise<void>, intervalMs: number): Throttled {
  let timer: ReturnType<typeof setTimeout> | undefined
  let running = false
  let again = false
  let lastStart = -Infinity
  let cancelled = false

  function schedule(): void {
    if (cancelled || timer !== undefined) return
    timer = setTimeout(run, Math.max(0, lastStart + intervalMs - Date.now()))
  }

  async function run(): Promise<void> {
    timer = undefined
    running = true
    again = false
    lastStart = Date.now()
    try {
      await task()
    } finally {
      running = false
      if (again) schedule()
    }
  }

  return {
    request() {
      cancelled = false
      if (running) again = true
      else schedule()
    },
    cancel() {
      cancelled = true
      again = false
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
    },
  }
}
