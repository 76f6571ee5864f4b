/**
 * Found by a hostile read: b1ac08c made a drop's preview keep the files of another call that
 * added to the same drop meanwhile (check again, then write back both). But the drop's
 * limits were read before the awaits: two calls adding at once (two API clients, or a script
 * sending a file a call in parallel) each passed both limits on their own, and the drop held
 * more than either allows. The limits are now weighed again against what the drop holds
 * when its files are written back.
 */
import { describe, expect, it, vi } from 'vitest'
import { type OperationInput } from '../../../src/shared/contract'
import { MAX_INTAKE_FILES } from '../../../src/shared/intake'
import { intakeHandlers } from '../../../src/main/intake/operations'
import { createHandlers, invoke, type Handlers } from '../../../src/main/operations'
import { tempStore } from '../../support/queue'

const base64 = (text: string) => Buffer.from(text).toString('base64')
const jsonl = (tag: string, jobs: number) => base64(Array.from({ length: jobs }, (_, i) => JSON.stringify({ prompt: `${tag} ${i}` })).join('\n'))

function setUp(maxJobsPerDrop?: number) {
  const store = tempStore()
  const runtime = { countsMayChange: vi.fn(), kick: vi.fn(), reloadGates: vi.fn(async () => {}) }
  const handlers = { ...createHandlers(store), ...intakeHandlers(store, runtime, maxJobsPerDrop ? { maxJobsPerDrop } : {}) } as Handlers
  const call = <K extends 'previewIntake' | 'commitIntake'>(name: K, input: OperationInput<K>) => invoke(handlers, name, input)
  return { store, call }
}

describe('two calls adding to one drop at once', () => {
  it('keep the drop within the jobs one drop takes (it enqueues 13 jobs with a limit of 10)', async () => {
    const { store, call } = setUp(10)
    const first = await call('previewIntake', { files: [{ name: 'one.jsonl', contentBase64: jsonl('one', 1) }] })
    // Each fits alone (1 + 6 <= 10); together they do not (1 + 6 + 6 = 13).
    await Promise.all([
      call('previewIntake', { intakeId: first.intakeId, files: [{ name: 'a.jsonl', contentBase64: jsonl('a', 6) }] }),
      call('previewIntake', { intakeId: first.intakeId, files: [{ name: 'b.jsonl', contentBase64: jsonl('b', 6) }] }),
    ])
    const committed = await call('commitIntake', { intakeId: first.intakeId, defaults: {} }).then(
      (result) => result.jobIds.length,
      (error: Error) => error.message,
    )
    const enqueued = store.db.prepare('SELECT count(*) FROM jobs').pluck().get() as number
    expect({ enqueued, committed }).toEqual({ enqueued: expect.toSatisfy((n: number) => n <= 10), committed: expect.anything() })
  }, 30_000)

  it(`keep the drop within ${MAX_INTAKE_FILES} files`, async () => {
    const { call } = setUp()
    const first = await call('previewIntake', { files: [{ name: 'one.jsonl', contentBase64: jsonl('one', 1) }] })
    const files = (tag: string) => Array.from({ length: 15 }, (_, i) => ({ name: `${tag}-${i}.jsonl`, contentBase64: jsonl(`${tag}${i}`, 1) }))
    const answers = await Promise.allSettled([
      call('previewIntake', { intakeId: first.intakeId, files: files('a') }),
      call('previewIntake', { intakeId: first.intakeId, files: files('b') }),
    ])
    const held = Math.max(...answers.map((answer) => (answer.status === 'fulfilled' ? answer.value.files.length : 0)))
    expect(held).toBeLessThanOrEqual(MAX_INTAKE_FILES)
  }, 30_000)
})
