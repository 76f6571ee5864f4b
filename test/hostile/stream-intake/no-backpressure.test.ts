/**
 * Hostile (found so): "neither ever holds the whole file's jobs" (intake/stream.ts). The
 * intake thread posted every message as fast as it parsed, so when the load was slower than
 * the parse (a busy disk, an engine sharing the write lock) the main thread ended up holding
 * the whole file's jobs, queued as messages, before it had written the second thousand. It
 * now stays a few messages ahead (thread-protocol.ts, MESSAGES_AHEAD).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { intakeThreadMessages } from '../../../src/main/intake/thread-reader'
import { tempDir } from '../../support/temp'

describe('the intake thread beside a slow load', () => {
  it('does not pile the whole file up in the main thread while the first thousand is being written', async () => {
    const dir = tempDir()
    const file = join(dir, 'big.jsonl')
    const lines = 120_000
    const filler = 'x'.repeat(400)
    writeFileSync(file, Array.from({ length: lines }, (_, i) => JSON.stringify({ prompt: `Say ${i}. ${filler}` })).join('\n'))
    const messages = intakeThreadMessages({ path: file })
    expect((await messages.next()).value).toMatchObject({ type: 'size', lines })
    const first = await messages.next()
    expect(first.value).toMatchObject({ type: 'jobs', last: false })
    // The caller is slow with the first thousand (a load waiting on the write lock): the thread is given time.
    const before = process.memoryUsage().heapUsed
    await sleep(5_000)
    const grown = process.memoryUsage().heapUsed - before
    await messages.return()
    // The whole file is ~50 MB of text; a few messages ahead, ~2 MB.
    expect(Math.round(grown / 1e6)).toBeLessThan(20)
  }, 60_000)
})
