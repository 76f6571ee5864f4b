/** The shared fixtures, through intake as the code calls it and through the real CLI. */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import Sqlite from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { parsePromptFile } from '../../src/main/intake/parse'
import { readPromptFiles } from '../../src/main/intake/read'
import { databaseFile } from '../../src/main/paths'
import { genops } from '../support/cli'
import { tempDir } from '../support/temp'
import { bad, BAD_ERRORS, FIXTURES, good, GOOD_JOBS, matchers } from './fixtures'

const goodNames = readdirSync(`${FIXTURES}/good`).sort()
const badNames = readdirSync(`${FIXTURES}/bad`).sort()

describe('the good fixtures', () => {
  it('are all known to these tests', () => {
    expect(goodNames).toEqual(Object.keys(GOOD_JOBS).sort())
  })

  it.each(goodNames)('%s gives exactly its jobs', async (name) => {
    const jobs = GOOD_JOBS[name]!
    // Each job with the line it starts on, in order: the checks after parsing name them by it.
    // And what the file wrote for each, kept for exports beside the input.
    const expected = { ok: true, file: name, jobs, lines: expect.any(Array), inputs: expect.any(Array), columns: expect.any(Array) }
    const parsed = parsePromptFile(good(name), readFileSync(good(name)))
    expect(parsed).toEqual(expected)
    expect(await readPromptFiles([good(name)])).toEqual([expected])
    const lines = (parsed as { lines: number[] }).lines
    expect(lines).toHaveLength(jobs.length)
    expect(lines).toEqual([...lines].sort((a, b) => a - b))
    expect((parsed as { inputs: unknown[] }).inputs).toHaveLength(jobs.length)
  })
})

describe('the bad fixtures', () => {
  it('are all known to these tests', () => {
    expect(badNames).toEqual(Object.keys(BAD_ERRORS).sort())
  })

  it.each(badNames)('%s is refused with its message and line', async (name) => {
    const expected = { ok: false, file: name, errors: matchers(BAD_ERRORS[name]!), moreErrors: 0 }
    expect(parsePromptFile(bad(name), readFileSync(bad(name)))).toEqual(expected)
    expect(await readPromptFiles([bad(name)])).toEqual([expected])
  })
})

describe('genops enqueue with the fixtures', () => {
  const readBack = (dataDir: string) => {
    // A call that enqueued nothing need not have made the database at all.
    if (!existsSync(databaseFile(dataDir))) return { batches: [], jobs: [] }
    const db = new Sqlite(databaseFile(dataDir), { readonly: true })
    try {
      return {
        batches: db.prepare('SELECT name, job_count AS jobCount FROM batches ORDER BY id').all(),
        jobs: db.prepare('SELECT prompt FROM jobs ORDER BY id').pluck().all() as string[],
      }
    } finally {
      db.close()
    }
  }

  it('enqueues every good file in one batch named from the files', () => {
    const dataDir = tempDir()
    const result = genops(['enqueue', ...goodNames.map(good), '--data-dir', dataDir])
    const total = Object.values(GOOD_JOBS).reduce((sum, jobs) => sum + jobs.length, 0)
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    expect(result.stdout).toContain(`array.json + 4 more: enqueued ${total} jobs as batch 1`)
    const { batches, jobs } = readBack(dataDir)
    expect(batches).toEqual([{ name: 'array.json + 4 more', jobCount: total }])
    expect(jobs).toEqual(goodNames.flatMap((name) => GOOD_JOBS[name]!.map((job) => job.prompt)))
  })

  it('reports every bad file with its lines, enqueues nothing from them, and still takes the good one', () => {
    const dataDir = tempDir()
    const result = genops(['enqueue', ...badNames.map(bad), good('one-prompt.txt'), '--data-dir', dataDir])
    expect(result.status).toBe(2)
    const stderr = result.stderr.trimEnd().split('\n')
    expect(stderr).toEqual(badNames.flatMap((name) => [...matchers(BAD_ERRORS[name]!), `${name}: nothing enqueued from this file`]))
    expect(result.stdout).toContain('one-prompt.txt: enqueued 1 job as batch 1')
    expect(readBack(dataDir)).toEqual({ batches: [{ name: 'one-prompt.txt', jobCount: 1 }], jobs: [GOOD_JOBS['one-prompt.txt']![0]!.prompt] })
  })

  it('enqueues nothing, not even a batch, when every file is bad', () => {
    const dataDir = tempDir()
    const result = genops(['enqueue', ...badNames.map(bad), '--data-dir', dataDir])
    expect(result.status).toBe(2)
    expect(result.stdout).toBe('')
    expect(readBack(dataDir)).toEqual({ batches: [], jobs: [] })
  })
})
