/**
 * Several prompt files loaded while they are parsed, into one batch (intake/stream.ts): each
 * file all or nothing, as when they are read whole and enqueued in one call. A file refused
 * late has what was written of it removed while the files around it stay; a name taken
 * across files refuses the later one; the batch is named from the files taken. The real
 * thread, a real SQLite file, the real CLI.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { JOBS_PER_MESSAGE } from '../../src/main/intake/limits'
import { loadPromptFiles } from '../../src/main/intake/stream'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import type { JobDefaults } from '../../src/shared/jobs'
import { genopsAsync } from '../support/cli'
import { tempDir } from '../support/temp'
import { enqueueReadWhole } from '../support/read-whole'

const DEFAULTS: JobDefaults = { provider: 'sim', priority: 'normal' }

/** Lines large enough that a few thousand pass the intake thread's threshold; `line(i)` may replace one. */
function jsonl(name: string, lines: number, line: (i: number) => string | null = () => null): string {
  return Array.from({ length: lines }, (_, i) => {
    return (
      line(i) ??
      JSON.stringify({
        prompt: `From ${name}: describe {{thing}} number ${i} in one paragraph, with an example and a caveat.`,
        vars: { thing: `item ${i}` },
        tags: [name, `t${i % 5}`],
        // Keys shared between the files: the later file's job is the earlier one's, as in one enqueue call.
        ...(i % 10 === 0 ? { idempotency_key: `k${i % 3000}` } : {}),
      })
    )
  }).join('\n')
}

const named = (name: string) => JSON.stringify({ prompt: `write ${name}`, config: { outputName: name } })

/** Everything a reader goes by, ids aside. */
function contents(store: SqliteQueueStore) {
  const { db } = store
  return {
    jobs: db.prepare('SELECT state, priority, provider, prompt, config, tags, idempotency_key, source_file, source_row, input FROM jobs ORDER BY id').all(),
    batches: db.prepare('SELECT name, job_count, loading_owner FROM batches').all(),
    sources: db.prepare('SELECT file_index, name, format, jobs, columns FROM batch_sources').all(),
    jobCounts: db.prepare('SELECT state, n FROM job_counts WHERE n <> 0 ORDER BY state').all(),
    batchCounts: db.prepare('SELECT state, n FROM batch_counts ORDER BY state').all(),
    totals: db.prepare('SELECT metric, provider, model, detail, n FROM metric_totals ORDER BY metric, provider, model, detail').all(),
  }
}

describe('several large files load while they are parsed, into one batch', () => {
  it('takes the good files whole and none of a refused one, as one enqueue of the files read whole would', async () => {
    const dir = tempDir()
    const paths = {
      a: join(dir, 'a.jsonl'),
      small: join(dir, 'small.csv'),
      late: join(dir, 'late.jsonl'),
      taken: join(dir, 'taken.jsonl'),
      e: join(dir, 'e.jsonl'),
    }
    writeFileSync(
      paths.a,
      jsonl('a', 5_000, (i) => (i === 10 ? named('Report.md') : null)),
    )
    writeFileSync(paths.small, 'prompt,tone\nSay hello in a {{tone}} way,warm\nSay goodbye in a {{tone}} way,dry\n')
    // Refused at its last line, after thousands of its jobs were written.
    writeFileSync(
      paths.late,
      jsonl('late', 4_000, (i) => (i === 3_999 ? '{"prompt": "x", "provider": "nope"}' : null)),
    )
    // Good on its own; its name is taken by a.jsonl's job (names meet across files, case aside).
    writeFileSync(
      paths.taken,
      jsonl('taken', 4_000, (i) => (i === 3_000 ? named('report.md') : null)),
    )
    writeFileSync(paths.e, jsonl('e', 4_500))
    const files = Object.values(paths)

    const streamed = SqliteQueueStore.open(join(dir, 'streamed.db'))
    const written = new Map<string, number>()
    const answer = await loadPromptFiles(streamed, files, {
      defaults: DEFAULTS,
      profiles: new Map(),
      onProgress: ({ file }) => {
        const rows = streamed.db.prepare('SELECT count(*) FROM jobs').pluck().get() as number
        written.set(file, Math.max(written.get(file) ?? 0, rows))
      },
    })

    // The same files, read whole, then the enqueue operation with the good ones.
    const whole = SqliteQueueStore.open(join(dir, 'whole.db'))
    const { result, files: wholeFiles } = await enqueueReadWhole(whole, files, DEFAULTS)

    expect(answer.files).toEqual(wholeFiles)
    expect(answer.files.map((file) => [file.file, file.ok])).toEqual([
      ['a.jsonl', true],
      ['small.csv', true],
      ['late.jsonl', false],
      ['taken.jsonl', false],
      ['e.jsonl', true],
    ])
    expect(answer.files[2]).toMatchObject({ errors: [expect.stringMatching(/^late\.jsonl:4000: unknown provider or profile "nope"/)] })
    expect(answer.files[3]).toMatchObject({
      errors: [expect.stringMatching(/^taken\.jsonl:3001: config\.outputName "report\.md" is taken by the job at a\.jsonl:11/)],
    })
    const seen = contents(streamed)
    expect(seen).toEqual(contents(whole))
    expect(seen.batches).toEqual([{ name: 'a.jsonl + 2 more', job_count: 5_000 + 2 + 4_500 - result.duplicates, loading_owner: null }])
    expect(answer.enqueued).toMatchObject({ batchId: result.batchId, duplicates: result.duplicates })
    expect(answer.enqueued!.jobIds).toHaveLength(result.jobIds.length)
    // The refused files were written in part before they were refused: their jobs went, the others' stayed.
    expect(written.get('late.jsonl')).toBeGreaterThan(5_002 + JOBS_PER_MESSAGE)
    expect(written.get('taken.jsonl')).toBeGreaterThan(5_002 + JOBS_PER_MESSAGE)
    streamed.close()
    whole.close()
  }, 90_000)

  it('enqueues nothing and begins no batch when every file is refused', async () => {
    const dir = tempDir()
    const bad = join(dir, 'bad.jsonl')
    writeFileSync(
      bad,
      jsonl('bad', 4_000, (i) => (i === 2_500 ? '{"prompt": 7}' : null)),
    )
    const store = SqliteQueueStore.open(join(dir, 'genops.db'))
    const answer = await loadPromptFiles(store, [bad, join(dir, 'missing.jsonl')], { defaults: DEFAULTS, profiles: new Map() })
    expect(answer.enqueued).toBeNull()
    expect(answer.files.map((file) => file.ok)).toEqual([false, false])
    expect(answer.files[1]).toMatchObject({ errors: [expect.stringMatching(/^missing\.jsonl: .*no such file/)] })
    expect(store.db.prepare('SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM batches)').pluck().get()).toBe(0)
    store.close()
  }, 60_000)

  it('`genops enqueue` of two large files says how far each got, takes the good one and names the refused one', async () => {
    const dir = tempDir()
    const good = join(dir, 'good.jsonl')
    const bad = join(dir, 'bad.jsonl')
    writeFileSync(good, jsonl('good', 4_000))
    writeFileSync(
      bad,
      jsonl('bad', 4_000, (i) => (i === 3_900 ? '{"prompt": "x", "provider": "nope"}' : null)),
    )
    const run = await genopsAsync(['enqueue', bad, good, '--data-dir', dir])
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(/^bad\.jsonl:3901: unknown provider or profile "nope"/m)
    expect(run.stderr).toMatch(/^bad\.jsonl: nothing enqueued from this file$/m)
    expect(run.stderr).toMatch(/^bad\.jsonl \+ 1 more: loaded \d+ jobs, good\.jsonl line 4000 of 4000 \(100%\)$/m)
    expect(run.stdout).toMatch(/^good\.jsonl: enqueued \d+ jobs as batch 1 \(\d+ already known by idempotency key\)\n$/)
    const store = SqliteQueueStore.open(join(dir, 'genops.db'))
    expect(store.db.prepare('SELECT name, loading_owner FROM batches').all()).toEqual([{ name: 'good.jsonl', loading_owner: null }])
    expect(store.db.prepare(`SELECT count(*) FROM jobs WHERE tags LIKE '%"bad"%'`).pluck().get()).toBe(0)
    expect(store.db.prepare('SELECT DISTINCT source_file FROM jobs').pluck().all()).toEqual([0])
    store.close()
  }, 120_000)
})
