/**
 * Hostile (found so): several files loaded while parsed. A file written in part before it was
 * refused reached a key another batch still loading held; the refusal of that key ended the
 * whole call (exit 1, the good files lost, the refused file's problems never told), where the
 * files read whole keep the good ones. The key now counts only once its file is known good. And
 * each small file's end printed a progress line of its own, unthrottled: a call of sixty small
 * files printed sixty. The real thread, real SQLite files, the real CLI.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { OperationError } from '../../../src/shared/contract'
import { loadPromptFiles } from '../../../src/main/intake/stream'
import { SqliteQueueStore } from '../../../src/main/store/sqlite/queue'
import { genopsAsync } from '../../support/cli'
import { tempDir } from '../../support/temp'
import { DEFAULTS, lateRefusal } from './late-refusal'

const lines = (n: number, name: string) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ prompt: `${name} says ${i}, at some length to fill the file.` })).join('\n')

/** The file's lines, the one at `index` given the key `held`. */
function keyedAt(index: number, text: string): string {
  const all = text.split('\n')
  all[index] = JSON.stringify({ prompt: 'mine too', idempotency_key: 'held' })
  return all.join('\n')
}

/** A data directory whose other batch, still loading, holds the key `held`. */
async function heldKey(): Promise<{ dir: string; store: SqliteQueueStore }> {
  const dir = tempDir()
  const store = SqliteQueueStore.open(join(dir, 'genops.db'))
  const holder = store.beginLoad('another operator', Date.now(), null)
  await holder.add([
    { prompt: 'theirs', provider: 'sim', model: null, priority: 0, runAt: 0, maxAttempts: 3, idempotencyKey: 'held', tags: null, config: null },
  ])
  return { dir, store }
}

describe('several files, one of them holding a key another load holds', () => {
  it('keeps the good files when the file with the key is refused, and tells its problem', async () => {
    const { dir, store } = await heldKey()
    const good = join(dir, 'good.jsonl')
    const bad = join(dir, 'bad.jsonl')
    writeFileSync(good, lines(6_000, 'good'))
    // The held key near the end of the first thousand (in a later slice of its write than the first, as a rule), refused at its
    // last line: thousands of its rows come between.
    writeFileSync(bad, keyedAt(995, lateRefusal(20_000)))
    const answer = await loadPromptFiles(store, [good, bad], { defaults: DEFAULTS, profiles: new Map() })
    expect(answer.files).toMatchObject([
      { ok: true, file: 'good.jsonl', jobs: 6_000 },
      { ok: false, file: 'bad.jsonl', errors: [expect.stringMatching(/^bad\.jsonl:20000: /)] },
    ])
    expect(answer.enqueued!.jobIds).toHaveLength(6_000)
    expect(store.db.prepare('SELECT count(*) FROM jobs WHERE batch_id = ?').pluck().get(answer.enqueued!.batchId)).toBe(6_000)
    expect(store.db.prepare(`SELECT count(*) FROM jobs WHERE idempotency_key = 'held'`).pluck().get()).toBe(1)
    store.close()
  }, 60_000)

  it('refuses the whole call, leaving nothing, when the file with the key is good (as the files read whole do)', async () => {
    const { dir, store } = await heldKey()
    const good = join(dir, 'good.jsonl')
    const keyed = join(dir, 'keyed.jsonl')
    writeFileSync(good, lines(6_000, 'good'))
    writeFileSync(keyed, keyedAt(995, lateRefusal(20_000)).split('\n').slice(0, -1).join('\n'))
    const refused = loadPromptFiles(store, [good, keyed], { defaults: DEFAULTS, profiles: new Map() })
    await expect(refused).rejects.toBeInstanceOf(OperationError)
    await expect(refused).rejects.toThrow(/^idempotency key "held" is taken by job 1 of batch 1, which is still being enqueued: try again once it is$/)
    // Only the other operator's loading batch and its one job are left: the keyed file's rows written before its key, gone too.
    expect(store.db.prepare('SELECT count(*) FROM jobs').pluck().get()).toBe(1)
    expect(store.db.prepare('SELECT count(*) FROM batches').pluck().get()).toBe(1)
    store.close()
  }, 60_000)
})

describe('several small files taken while parsed', () => {
  it('tell their progress at most once a second and at the end, not once a file', async () => {
    const dir = tempDir()
    // Sixty files of 5 KB: each parsed here, together past the size from which a call loads while it reads.
    const files = Array.from({ length: 60 }, (_, i) => join(dir, `f${i}.jsonl`))
    for (const [i, file] of files.entries()) writeFileSync(file, lines(80, `f${i}`))
    const run = await genopsAsync(['enqueue', ...files, '--data-dir', dir])
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/^f0\.jsonl \+ 59 more: enqueued 4800 jobs as batch 1\n$/m)
    const progress = run.stderr.split('\n').filter((line) => line.includes(': loaded '))
    expect(progress.at(-1)).toBe('f0.jsonl + 59 more: loaded 4800 jobs, f59.jsonl line 80 of 80 (100%)')
    // One a second at most, plus the last: far fewer than one a file.
    expect(progress.length).toBeLessThan(files.length / 2)
  }, 60_000)
})
