/**
 * The batch lane runs on the SQLite store only (src/main/provider-batches): a team store
 * refuses a batch-lane job at enqueue, whole and in one line naming its file and line, rather
 * than keep it queued for a lane no engine there runs.
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { postgresServer } from '../../support/postgres'
import { job, T0 } from '../conformance/harness'

const server = await postgresServer()

describe.skipIf(!server)('the batch lane on a team store', () => {
  it('is refused at enqueue, naming the file and line, and nothing of the call is kept', async () => {
    const store = await PostgresQueueStore.open(await server!.freshDatabase())
    onTestFinished(() => store.close())
    await store.saveProfile({ name: 'cheap', provider: 'openai', config: { lane: 'batch' } }, T0)
    const sources = [{ name: 'prompts.jsonl', format: '.jsonl', jobs: 2, columns: [] }]
    const origin = (row: number) => ({ file: 0, row, input: null })
    await expect(
      store.enqueue([job('fine', { origin: origin(1) }), job('later', { origin: origin(2), config: { lane: 'batch' } })], 'b', T0, null, { sources }),
    ).rejects.toThrow(/^prompts\.jsonl:2 asks for the batch lane, which a team store on PostgreSQL does not run yet/)
    // A profile whose default lane is batch is refused the same way.
    await expect(store.enqueue([job('by profile', { provider: 'cheap', origin: origin(1) })], 'c', T0, null, { sources })).rejects.toThrow(
      /^prompts\.jsonl:1 asks for the batch lane/,
    )
    expect((await store.stats(T0)).counts).toMatchObject({ queued: 0, delayed: 0 })
    expect(await store.list({ limit: 10 }, T0)).toMatchObject({ jobs: [] })
  })
})
