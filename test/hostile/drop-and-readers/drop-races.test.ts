/**
 * Hostile: the drop's check became async and sliced (job-check.ts checkBatch). previewIntake
 * awaits it between reading `intake.files` and writing them back, so whatever else touches
 * the same drop meanwhile is overwritten: two files added to one drop at once (an operator
 * dropping two files a moment apart onto a drop that holds a big one) leave only the second;
 * and an Enqueue pressed while a file is being added puts the drop back into the held map
 * after it was taken and enqueued, so a second Enqueue enqueues it all again.
 * Before, the check ran in the same turn as the write-back, so neither could happen.
 */
import { describe, expect, it, vi } from 'vitest'
import { type OperationInput } from '../../../src/shared/contract'
import { intakeHandlers } from '../../../src/main/intake/operations'
import { createHandlers, invoke, type Handlers } from '../../../src/main/operations'
import { tempStore } from '../../support/queue'

const base64 = (text: string) => Buffer.from(text).toString('base64')

/** A big drop: enough jobs that the drop's check takes many slices. */
const big = (lines: number) => Array.from({ length: lines }, (_, i) => JSON.stringify({ prompt: `Say ${i}.`, config: { outputName: `out-${i}` } })).join('\n')

function setUp() {
  const store = tempStore()
  const runtime = { countsMayChange: vi.fn(), kick: vi.fn(), reloadGates: vi.fn(async () => {}), intakeMetrics: { fileRejected: vi.fn() } }
  const handlers = { ...createHandlers(store), ...intakeHandlers(store, runtime) } as Handlers
  const call = <K extends 'previewIntake' | 'commitIntake'>(name: K, input: OperationInput<K>) => invoke(handlers, name, input)
  return { store, call }
}

describe('a drop touched twice at once', () => {
  it('keeps both files added to it at once', async () => {
    const { call } = setUp()
    const first = await call('previewIntake', { files: [{ name: 'big.jsonl', contentBase64: base64(big(300_000)) }] })
    const [a, b] = await Promise.all([
      call('previewIntake', { intakeId: first.intakeId, files: [{ name: 'a.jsonl', contentBase64: base64('{"prompt": "A"}') }] }),
      call('previewIntake', { intakeId: first.intakeId, files: [{ name: 'b.jsonl', contentBase64: base64('{"prompt": "B"}') }] }),
    ])
    // Whichever answered last is what the drop holds: big.jsonl, a.jsonl and b.jsonl.
    const last = [a, b].sort((x, y) => x.files.length - y.files.length).at(-1)!
    expect(last.files.map((file) => file.name).sort()).toEqual(['a.jsonl', 'b.jsonl', 'big.jsonl'])
  }, 60_000)

  it('is not enqueued twice when a file is added while it is enqueued', async () => {
    const { store, call } = setUp()
    const first = await call('previewIntake', { files: [{ name: 'big.jsonl', contentBase64: base64(big(300_000)) }] })
    const adding = call('previewIntake', { intakeId: first.intakeId, files: [{ name: 'a.jsonl', contentBase64: base64('{"prompt": "A"}') }] }).then(
      () => 'added',
      (error: Error) => error.message,
    )
    // Enqueue pressed while the drop's check runs (its slices leave the event loop free).
    await new Promise((resolve) => setTimeout(resolve, 30))
    const committed = await call('commitIntake', { intakeId: first.intakeId, defaults: {} })
    await adding
    const again = await call('commitIntake', { intakeId: first.intakeId, defaults: {} }).then(
      (result) => `enqueued again as batch ${result.batchId}`,
      (error: Error) => error.message,
    )
    expect({ batches: store.db.prepare('SELECT count(*) FROM batches').pluck().get(), again }).toEqual({
      batches: 1,
      again: expect.stringMatching(/no longer held/),
    })
    expect(committed.batchId).toBeGreaterThan(0)
  }, 60_000)
})
