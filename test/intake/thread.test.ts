/** The intake thread gives exactly what in-thread intake gives; and what a batch is called. */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { batchName } from '../../src/main/intake/batch'
import { JOBS_PER_MESSAGE, THREAD_THRESHOLD_BYTES } from '../../src/main/intake/limits'
import { parsePromptFile } from '../../src/main/intake/parse'
import { parseOnThread, parsePromptBuffer, readPromptFiles } from '../../src/main/intake/read'
import { tempDir } from '../support/temp'
import { FIXTURES } from './fixtures'

/** A .jsonl over the thread threshold, with every kind of field, and more jobs than one message carries. */
function largeJsonl(lines: number, broken: (i: number) => boolean = () => false): string {
  return Array.from({ length: lines }, (_, i) =>
    broken(i)
      ? `{"prompt": ${i}}`
      : JSON.stringify({
          prompt: `Describe {{thing}} number ${i} in one paragraph.`,
          priority: (['high', 'normal', 'low'] as const)[i % 3],
          tags: ['bench', `t${i % 7}`],
          vars: { thing: `item ${i}` },
          ...(i % 4 === 0 ? { schema: { type: 'object' }, idempotency_key: `k${i}` } : {}),
        }),
  ).join('\n')
}

describe('the intake thread', () => {
  it('gives a large file the same jobs as the main thread would', async () => {
    const file = join(tempDir(), 'large.jsonl')
    writeFileSync(file, largeJsonl(5000))
    const bytes = readFileSync(file)
    expect(bytes.byteLength).toBeGreaterThan(THREAD_THRESHOLD_BYTES)
    const inThread = parsePromptFile(file, bytes)
    expect(inThread).toMatchObject({ ok: true, file: 'large.jsonl' })
    if (inThread.ok) expect(inThread.jobs.length).toBeGreaterThan(2 * JOBS_PER_MESSAGE)
    expect(await parseOnThread({ path: file })).toEqual(inThread)
    // readPromptFiles takes this file to the thread on its own, by its size.
    expect(await readPromptFiles([file])).toEqual([inThread])
  })

  it('gives a large bad file the same report, lines and count of the rest included', async () => {
    const file = join(tempDir(), 'large-bad.jsonl')
    writeFileSync(
      file,
      largeJsonl(5000, (i) => i % 40 === 39),
    )
    const inThread = parsePromptFile(file, readFileSync(file))
    expect(inThread).toMatchObject({ ok: false, moreErrors: 25 })
    expect(await readPromptFiles([file])).toEqual([inThread])
  })

  // A thread starts in about a second from source (tsx compiles it): two fixtures, the formats the large files above do not use.
  it.each([
    ['good', 'products.csv'],
    ['bad', 'wrong-types.json'],
  ])('gives %s/%s the same answer as the main thread', async (kind, name) => {
    const path = join(FIXTURES, kind, name)
    expect(await parseOnThread({ path })).toEqual(parsePromptFile(path, readFileSync(path)))
  })

  it('parses large bytes the caller holds, and leaves them usable', async () => {
    const bytes = new TextEncoder().encode(largeJsonl(5000))
    const inThread = parsePromptFile('dropped.jsonl', bytes)
    expect(await parsePromptBuffer('dropped.jsonl', bytes)).toEqual(inThread)
    expect(await parseOnThread({ name: 'dropped.jsonl', bytes })).toEqual(inThread)
    expect(new TextDecoder().decode(bytes.subarray(0, 11))).toBe('{"prompt":"')
  })

  it('is used from the threshold size up, and only then', async () => {
    const dir = tempDir()
    const noThread = { threadFile: join(dir, 'no-such-thread.js') }
    writeFileSync(join(dir, 'under.jsonl'), `{"prompt":"${'x'.repeat(THREAD_THRESHOLD_BYTES - 14)}"}`)
    writeFileSync(join(dir, 'at.jsonl'), `{"prompt":"${'x'.repeat(THREAD_THRESHOLD_BYTES - 13)}"}`)
    const [under, at] = await readPromptFiles([join(dir, 'under.jsonl'), join(dir, 'at.jsonl')], noThread)
    expect(under).toMatchObject({ ok: true })
    expect(at).toMatchObject({ ok: false, errors: [expect.stringMatching(/^at\.jsonl: the file could not be parsed: /)] })
    expect(await parsePromptBuffer('at.jsonl', readFileSync(join(dir, 'at.jsonl')), noThread)).toEqual(at)
  })

  it('refuses the file, not the caller, when the thread cannot run', async () => {
    const result = await parseOnThread({ path: join(FIXTURES, 'good', 'one-prompt.txt') }, join(tempDir(), 'no-such-thread.js'))
    expect(result).toMatchObject({ ok: false, file: 'one-prompt.txt', errors: [expect.stringMatching(/^one-prompt\.txt: the file could not be parsed: /)] })
  })
})

describe('batch names', () => {
  it('are the file, or the first file and how many more', () => {
    expect(batchName(['prompts.jsonl'])).toBe('prompts.jsonl')
    expect(batchName(['a.jsonl', 'b.csv', 'c.txt'])).toBe('a.jsonl + 2 more')
  })

  it('fit the 200 characters a batch name may have', () => {
    const long = `${'n'.repeat(250)}.jsonl`
    expect(batchName([long])).toHaveLength(200)
    expect(batchName([long, 'b.csv'])).toMatch(/^n+… \+ 1 more$/)
    expect(batchName([long, 'b.csv'])).toHaveLength(200)
  })
})
