/** The resilience commands through the real CLI, as a separate process on a temp data directory. */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { databaseFile } from '../../src/main/paths'
import { genops, genopsAsync } from '../support/cli'
import { tempDir } from '../support/temp'

describe('genops resilience commands', () => {
  it('cap a batch at enqueue and lift the cap later', async () => {
    const dataDir = tempDir()
    const file = join(dataDir, 'prompts.txt')
    writeFileSync(file, 'one prompt')
    const enqueued = genops(['enqueue', file, '--max-concurrency', '2', '--data-dir', dataDir])
    expect(enqueued.stderr).toBe('')
    const cap = () => {
      const db = new Sqlite(databaseFile(dataDir), { readonly: true })
      try {
        return db.prepare('SELECT max_concurrency FROM batches WHERE id = 1').pluck().get()
      } finally {
        db.close()
      }
    }
    expect(cap()).toBe(2)
    expect(genops(['batches', 'limit', '1', 'none', '--data-dir', dataDir]).stdout).toMatch(/batch 1: no cap/)
    expect(cap()).toBe(null)
    // Two refusals, which change nothing: at once.
    const [wrong, missing] = await Promise.all([
      genopsAsync(['batches', 'limit', '1', 'zero', '--data-dir', dataDir]),
      genopsAsync(['batches', 'limit', '99', '3', '--data-dir', dataDir]),
    ])
    expect(wrong.status).toBe(2)
    expect(wrong.stderr).toMatch(/max must be a positive integer or "none"/)
    expect(missing.stderr).toMatch(/batch 99 does not exist/)
  })

  it("keep a profile's limits, pause and resume a provider, and list breakers before any exist", async () => {
    const dataDir = tempDir()
    // Breakers are made by attempts, not by profiles: they are asked for beside the profile's first steps.
    const [added, breakers, reset] = await Promise.all([
      genopsAsync(['providers', 'add', 'metered', '--provider', 'sim', '--rpm', '60', '--max-concurrent', '4', '--data-dir', dataDir]),
      genopsAsync(['breakers', 'list', '--data-dir', dataDir]),
      genopsAsync(['breakers', 'reset', 'nothing/here', '--data-dir', dataDir]),
    ])
    expect(added.status).toBe(0)
    expect(breakers.stdout).toMatch(/no breakers yet/)
    expect(reset.stderr).toMatch(/no breaker named "nothing\/here"/)
    expect(genops(['providers', 'pause', 'metered', '--reason', 'quota review', '--data-dir', dataDir]).status).toBe(0)
    const listed = genops(['providers', 'list', '--data-dir', dataDir]).stdout
    expect(listed).toMatch(/metered: sim, limits 60 requests\/min, 4 at once/)
    expect(listed).toMatch(/paused: metered since .*: quota review/)
    expect(genops(['providers', 'resume', 'metered', '--data-dir', dataDir]).stdout).toMatch(/metered: resumed/)
    const again = genops(['providers', 'resume', 'metered', '--data-dir', dataDir])
    expect(again.status).toBe(1)
    expect(again.stderr).toMatch(/metered is not paused/)
  })

  it('run --until-empty runs what it can and stops, saying why, when only jobs an operator must release are left', async () => {
    const dataDir = tempDir()
    const file = join(dataDir, 'prompts.jsonl')
    writeFileSync(
      file,
      ['{"prompt":"runs","provider":"sim"}', '{"prompt":"held 1","provider":"metered"}', '{"prompt":"held 2","provider":"metered"}'].join('\n'),
    )
    expect(genops(['providers', 'add', 'metered', '--provider', 'sim', '--data-dir', dataDir]).status).toBe(0)
    expect(genops(['providers', 'pause', 'metered', '--reason', 'quota review', '--data-dir', dataDir]).status).toBe(0)
    expect(genops(['enqueue', file, '--data-dir', dataDir]).status).toBe(0)
    const run = genops(['run', '--until-empty', '--threads', '1', '--data-dir', dataDir])
    expect(run.status).toBe(3)
    expect(run.stdout).toBe('stopped: 1 completed, 0 dead, 0 cancelled, 2 held\n')
    expect(run.stderr).toMatch(/^genops: 2 jobs are held until an operator acts \(a provider or batch paused/)
    // A paused queue says so.
    const resumed = await Promise.all([
      genopsAsync(['providers', 'resume', 'metered', '--data-dir', dataDir]),
      genopsAsync(['queue', 'pause', '--data-dir', dataDir]),
    ])
    expect(resumed.map((done) => done.status)).toEqual([0, 0])
    const paused = genops(['run', '--until-empty', '--threads', '1', '--data-dir', dataDir])
    expect(paused.status).toBe(3)
    expect(paused.stderr).toBe('genops: the queue is paused with 2 jobs waiting: `genops queue resume`, then run again\n')
  })
})
