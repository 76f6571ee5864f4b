/**
 * The CLI on a team store: `--store`, GENOPS_STORE and settings.json's `store` each send a
 * command to the PostgreSQL queue instead of the data directory's SQLite file, in that order
 * of precedence; a URL that cannot be used is one line naming it with its password masked.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { jsonOf, unzip } from '../../diagnostics/unzipped'
import { genopsAsync } from '../../support/cli'
import { freePort } from '../../support/ports'
import { postgresServer } from '../../support/postgres'
import { tempDir } from '../../support/temp'

const server = await postgresServer()

async function queued(args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  const stats = await genopsAsync(['queue', 'stats', '--json', ...args], env)
  expect(stats.stderr).toBe('')
  return (JSON.parse(stats.stdout) as { counts: { queued: number } }).counts.queued
}

describe.skipIf(!server)('the CLI on a team store', () => {
  it('takes --store, else GENOPS_STORE, else settings.json, else the SQLite file', { timeout: 60_000 }, async () => {
    const url = await server!.freshDatabase()
    const dataDir = tempDir()
    const file = join(tempDir(), 'jobs.jsonl')
    writeFileSync(file, ['{"prompt":"one"}', '{"prompt":"two"}', '{"prompt":"three"}'].join('\n'))
    const enqueued = await genopsAsync(['enqueue', file, '--store', url, '--data-dir', dataDir])
    expect(enqueued.stderr).toBe('')
    expect(enqueued.status).toBe(0)

    const [byFlag, byVariable, local] = await Promise.all([
      queued(['--store', url, '--data-dir', dataDir]),
      queued(['--data-dir', dataDir], { GENOPS_STORE: url }),
      queued(['--data-dir', dataDir]),
    ])
    expect([byFlag, byVariable, local]).toEqual([3, 3, 0])

    const set = await genopsAsync(['settings', 'set', 'store', url, '--data-dir', dataDir])
    expect(set.status).toBe(0)
    expect(await queued(['--data-dir', dataDir])).toBe(3)
    // The flag wins over the file: another data directory's SQLite file is not asked, the URL is.
    expect(await queued(['--data-dir', dataDir, '--store', url])).toBe(3)

    // A bundle of the team store: its queue, and who checks its pages (the server), not a SQLite file's check.
    const out = join(tempDir(), 'team.zip')
    const bundle = await genopsAsync(['bundle', '--store', url, '--data-dir', tempDir(), '--out', out, '--metrics-port', String(await freePort())])
    expect(bundle.stderr).toBe('')
    const files = unzip(out)
    expect(jsonOf<{ counts: { queued: number } }>(files, 'queue.json').counts.queued).toBe(3)
    expect(files.get('integrity.txt')!.toString()).toMatch(/^postgres:\/\/.*: a database on a PostgreSQL server \(PostgreSQL \d+/)
    expect(jsonOf<{ spans: unknown[] }>(files, 'traces.json').spans).toEqual([])
  })

  it('says in one line which URL cannot be used, its password masked', { timeout: 60_000 }, async () => {
    const port = await freePort()
    const [unreachable, notPostgres] = await Promise.all([
      genopsAsync(['queue', 'stats', '--store', `postgres://team:hunter2secret@127.0.0.1:${port}/queue`, '--data-dir', tempDir()]),
      genopsAsync(['queue', 'stats', '--store', 'mysql://team:hunter2secret@127.0.0.1/queue', '--data-dir', tempDir()]),
    ])
    expect(unreachable.status).toBe(1)
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1)
    expect(unreachable.stderr).toContain(`postgres://team:***@127.0.0.1:${port}/queue`)
    expect(unreachable.stderr).toMatch(/no PostgreSQL server answers there/)
    expect(notPostgres.status).toBe(2)
    expect(notPostgres.stderr.trim().split('\n')).toHaveLength(1)
    expect(notPostgres.stderr).toMatch(/PostgreSQL URL/)
    for (const { stderr } of [unreachable, notPostgres]) expect(stderr).not.toContain('hunter2secret')
  })
})
