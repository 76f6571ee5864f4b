/**
 * What a provider batch's settle meets in the world, over a real SQLite file and a scripted
 * batch API: a results stream cut half-way (the batch's totals still count every line that
 * settled), and the operator cancelling jobs while their batch settles, or cancelling,
 * retrying and cancelling again across two provider batches (each line the provider answered
 * is billed once, as an attempt of its job).
 */
import { describe, expect, it } from 'vitest'
import { poll } from '../../src/main/provider-batches/poll'
import type { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { laneParts, openLane, scriptedApi, submit } from './scripted-api'

// Each poll a little later, so every batch is due.
let clock = Date.now()
const later = () => (clock += 10_000_000)

const billed = (store: SqliteQueueStore, jobId: number) =>
  store.db.prepare(`SELECT number, output_tokens FROM job_attempts WHERE job_id = ? AND outcome = 'cancelled' ORDER BY id`).all(jobId)

describe('settling a provider batch', () => {
  it('counts every line that settled when the results stream is cut half-way and read again', async () => {
    const { store, jobIds } = openLane(4)
    const { id, lines } = submit(store, jobIds, 'remote-1')
    const errors: string[] = []
    const parts = laneParts(store, scriptedApi({ ended: new Map([['remote-1', lines]]), cutAfter: 2 }), errors)
    await poll(parts, later())
    expect(errors.join()).toMatch(/cut mid-stream/)
    expect(store.db.prepare('SELECT state, succeeded FROM provider_batches WHERE id = ?').get(id)).toEqual({ state: 'sent', succeeded: 2 })
    await poll(parts, later())
    expect(store.db.prepare(`SELECT count(*) FROM jobs WHERE state = 'completed'`).pluck().get()).toBe(4)
    expect(store.db.prepare('SELECT state, succeeded, failed FROM provider_batches WHERE id = ?').get(id)).toEqual({
      state: 'settled',
      succeeded: 4,
      failed: 0,
    })
  })

  it('bills the answered line of a job cancelled while its batch settles', async () => {
    const { store, jobIds } = openLane(4)
    const { id, lines } = submit(store, jobIds, 'remote-1')
    const api = scriptedApi({ ended: new Map([['remote-1', lines]]), onLine: (index) => index === 1 && store.cancel(jobIds[2]!, Date.now()) })
    await poll(laneParts(store, api), later())
    expect(billed(store, jobIds[2]!)).toEqual([{ number: 1, output_tokens: 20 }])
    expect(store.db.prepare('SELECT succeeded FROM provider_batches WHERE id = ?').pluck().get(id)).toBe(3)
  })

  it('bills both lines of a job cancelled, retried into another provider batch and cancelled again, whichever answers first', async () => {
    const { store, jobIds } = openLane(2)
    const job = jobIds[1]!
    const first = submit(store, jobIds, 'remote-A')
    store.cancel(job, Date.now())
    store.retry(job, Date.now(), ['dead', 'cancelled'])
    const second = submit(store, [job], 'remote-B')
    // The first batch answers while the job waits in the second: its line is still the first attempt's bill.
    await poll(laneParts(store, scriptedApi({ ended: new Map([['remote-A', first.lines]]) })), later())
    store.cancel(job, Date.now())
    await poll(laneParts(store, scriptedApi({ ended: new Map([['remote-B', second.lines]]) })), later())
    expect(billed(store, job)).toEqual([
      { number: 1, output_tokens: 20 },
      { number: 1, output_tokens: 20 },
    ])
    // Read again, nothing is billed twice.
    await poll(laneParts(store, scriptedApi({ ended: new Map([['remote-A', first.lines]]) })), later())
    expect(billed(store, job)).toHaveLength(2)
    const rolled = store.db.prepare(
      `SELECT sum(output_tokens) FROM usage_rollups WHERE provider = '' AND resolution = (SELECT min(resolution) FROM usage_rollups)`,
    )
    expect(rolled.pluck().get()).toBe(3 * 20)
  })
})
