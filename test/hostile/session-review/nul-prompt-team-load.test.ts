/**
 * Hostile: a big file of scraped text with one NUL character (valid JSON, "\u0000") in one
 * prompt. The data directory's SQLite store loads it; a team's PostgreSQL store cannot hold a
 * NUL in text, so the load's chunk fails: nothing is enqueued (rightly, one transaction), but
 * the operator gets a stack trace about an "invalid byte sequence" instead of the refusal every
 * other bad job gets at intake, naming file:line, so they cannot find the line among 12,000.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { genopsAsync } from '../../support/cli'
import { postgresServer } from '../../support/postgres'
import { tempDir } from '../../support/temp'

const server = await postgresServer()

describe.skipIf(!server)('genops enqueue --store of a big file with a NUL in one prompt', () => {
  it('is refused at intake naming the line, as any other bad job is, not with a stack trace from the server', { timeout: 120_000 }, async () => {
    const url = await server!.freshDatabase()
    const dir = tempDir()
    const file = join(dir, 'scraped.jsonl')
    const lines = Array.from({ length: 12_000 }, (_, i) => JSON.stringify({ prompt: `page ${i}${i === 10_999 ? '\u0000' : ''}`, provider: 'sim' }))
    writeFileSync(file, `${lines.join('\n')}\n`)

    const result = await genopsAsync(['enqueue', file, '--store', url, '--data-dir', dir])
    expect(result.status).toBe(2)
    expect(result.stderr).not.toMatch(/\n\s+at /)
    expect(result.stderr).toMatch(/scraped\.jsonl:11000: prompt: holds a NUL character \(\\u0000\), which a store cannot keep as text/)
  })
})
