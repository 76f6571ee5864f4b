/**
 * Work over every job of a big batch, on the main thread, in slices of a few milliseconds
 * with the event loop free between them: checking and mapping 100,000 jobs in one go held
 * the window for ~150 ms (bench/README.md, "Intake").
 */

/** How long one slice runs before the event loop gets a turn. */
const SLICE_MS = 8

/** Checked against the clock every this many items: reading it is not free. */
const ITEMS_PER_CLOCK_READ = 256

/** `items.map(fn)`, yielding to the event loop whenever a slice's time is up. */
export async function mapInSlices<T, R>(items: readonly T[], fn: (item: T, index: number) => R): Promise<R[]> {
  const out = new Array<R>(items.length)
  await forEachInSlices(items, (item, i) => (out[i] = fn(item, i)))
  return out
}

/** `items.forEach(fn)`, yielding to the event loop whenever a slice's time is up. */
export async function forEachInSlices<T>(items: readonly T[], fn: (item: T, index: number) => void): Promise<void> {
  let until = performance.now() + SLICE_MS
  for (let i = 0; i < items.length; i++) {
    fn(items[i]!, i)
    if (i % ITEMS_PER_CLOCK_READ === ITEMS_PER_CLOCK_READ - 1 && performance.now() >= until) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      until = performance.now() + SLICE_MS
    }
  }
}
