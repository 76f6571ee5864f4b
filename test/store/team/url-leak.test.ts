/**
 * A password that starts with digits and holds '#', '?' or '/' (not percent-encoded, as
 * operators type them) parses as a port and a fragment: the one-line error still masks it
 * (maskUrl once trusted `new URL` to find it; a hostile review found it printed whole).
 */
import { describe, expect, it } from 'vitest'
import { genopsAsync } from '../../support/cli'
import { tempDir } from '../../support/temp'

describe('a store URL whose password parses as a port', () => {
  it('is not printed in the one-line error', { timeout: 60_000 }, async () => {
    const stats = await genopsAsync(['queue', 'stats', '--store', 'postgres://team:2024#Winter@127.0.0.1:5432/queue', '--data-dir', tempDir()])
    expect(stats.status).not.toBe(0)
    // Today: "genops: postgres://team:2024#Winter@127.0.0.1:5432/queue: no PostgreSQL server answers there (getaddrinfo ENOTFOUND team) ..."
    expect(stats.stderr).not.toContain('Winter')
  })
})
