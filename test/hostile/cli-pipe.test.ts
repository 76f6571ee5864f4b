/** `genops jobs view 1 | head -1`: the reader goes away mid-output, and the CLI ends as Unix tools do, without a stack. */
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { MAX_PROMPT_CHARS } from '../../src/shared/jobs'
import { toNewJob } from '../../src/main/operations'
import { databaseFile } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { genops, genopsInBackground } from '../support/cli'
import { tempDir } from '../support/temp'

/**
 * What the child's stdout holds before a write must wait for the reader: spawn's pipes are
 * socket pairs, a few hundred KiB each way. The output must be well beyond it, or the CLI
 * finishes writing before the reader leaves and the test proves nothing.
 */
const BUFFERED_BYTES = 512 * 1024

describe('the CLI writing into a pipe whose reader has gone', () => {
  it('ends quietly with exit code 0', async () => {
    const dataDir = tempDir()
    const store = SqliteQueueStore.open(databaseFile(dataDir))
    const now = Date.now()
    const prompt = 'a line of the longest prompt a job may have\n'.repeat(MAX_PROMPT_CHARS / 50)
    await store.enqueue([toNewJob({ prompt }, {}, now)], 'pipe', now)
    store.close()
    const whole = genops(['jobs', 'view', '1', '--data-dir', dataDir])
    expect(whole.stdout.length).toBeGreaterThan(BUFFERED_BYTES)

    const child = genopsInBackground(['jobs', 'view', '1', '--data-dir', dataDir])
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const [first] = (await once(child.stdout!, 'data')) as [Buffer]
    // As `head -1` does once it has its line: the read end closes while the CLI still writes.
    child.stdout!.destroy()
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null]

    expect(first.toString()).toMatch(/^job 1/)
    expect(stderr).toBe('')
    expect({ code, signal }).toEqual({ code: 0, signal: null })
  })
})
