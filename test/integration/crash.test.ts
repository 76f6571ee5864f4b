/**
 * Nothing enqueued is lost: an engine in a child process is killed with SIGKILL in the
 * middle of 2,000 jobs (200 ms each, 128 at a time: the run takes seconds, so the kill lands mid-run); a new engine on the same directory finishes them, and every job
 * is completed exactly once (the attempts that were running when it died show as stalled).
 */
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { afterEach, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { genops, genopsInBackground } from '../support/cli'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const JOBS = 2000
let engine: Engine | undefined
afterEach(async () => {
  await engine?.close(1000)
})

it('finishes every job exactly once after the engine is killed mid-run', async () => {
  const dataDir = tempDir()
  const file = join(dataDir, 'jobs.jsonl')
  writeFileSync(file, Array.from({ length: JOBS }, (_, i) => JSON.stringify({ prompt: `job ${i}`, config: { latencyMs: 200 } })).join('\n'))
  expect(genops(['enqueue', file, '--data-dir', dataDir]).status).toBe(0)

  const db = new Sqlite(databaseFile(dataDir), { readonly: true })
  const count = (state: string) => db.prepare('SELECT count(*) FROM jobs WHERE state = ?').pluck().get(state) as number
  try {
    const child = genopsInBackground(['run', '--until-empty', '--data-dir', dataDir])
    const exited = once(child, 'exit')
    await waitFor(
      () => count('completed'),
      (n) => n >= 300,
      { timeoutMs: 60_000, what: 'the child engine to complete 300 jobs' },
    )
    child.kill('SIGKILL')
    const [, signal] = await exited
    expect(signal).toBe('SIGKILL')
    const runningAtDeath = count('active')
    expect(count('completed')).toBeLessThan(JOBS)
    expect(runningAtDeath).toBeGreaterThan(0)

    engine = await createEngine({ dataDir, threads: 1, pollMs: 50 })
    await waitFor(
      () => count('completed'),
      (n) => n === JOBS,
      { timeoutMs: 60_000, what: 'every job to complete' },
    )
    await engine.idle()

    expect(db.prepare(`SELECT state, count(*) AS n FROM jobs GROUP BY state`).all()).toEqual([{ state: 'completed', n: JOBS }])
    const completedEvents = db.prepare(`SELECT job_id, count(*) AS n FROM job_events WHERE to_state = 'completed' GROUP BY job_id`).all() as { n: number }[]
    expect(completedEvents).toHaveLength(JOBS)
    expect(completedEvents.every((row) => row.n === 1)).toBe(true)
    // The attempts cut off by the kill were recovered at start-up (their owner's process is gone), not after a lease timeout.
    expect(db.prepare(`SELECT count(*) FROM job_attempts WHERE outcome = 'stalled'`).pluck().get()).toBe(runningAtDeath)
    expect(db.prepare(`SELECT count(*) FROM job_attempts WHERE outcome = 'ok'`).pluck().get()).toBe(JOBS)
    expect(db.prepare('SELECT n FROM job_counts WHERE state = ?').pluck().get('completed')).toBe(JOBS)
  } finally {
    db.close()
  }
})
