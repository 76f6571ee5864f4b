/**
 * Hostile: a team during a rolling upgrade. A newer engine saves a profile with a setting this
 * engine's schema does not know; to this engine the row no longer parses, and the profile
 * book leaves it out ("dispatches nothing", as profile-book.ts says of a damaged row). But the
 * scheduler treats the claimed jobs of a profile it cannot read as jobs of an unknown profile
 * and fails them: every queued job of that profile goes dead on the old engine, where it
 * should wait for an engine (or a repair) that can read the profile.
 */
import pg from 'pg'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createEngine } from '../../../src/main/engine'
import { postgresServer } from '../../support/postgres'
import { closedAfterTest } from '../../support/serve-child'
import { tempDir } from '../../support/temp'
import { waitFor } from '../../support/wait'

const server = await postgresServer()

describe.skipIf(!server)('jobs of a profile whose row this engine cannot parse', () => {
  it('wait in the queue instead of going dead', { timeout: 60_000 }, async () => {
    const url = await server!.freshDatabase()
    const writer = await createEngine({ dataDir: tempDir(), store: url, threads: 1, concurrency: 1, artifacts: false })
    await writer.call('saveProvider', { name: 'team-openai', provider: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'gpt-test' })
    await writer.call('pauseQueue', {})
    await writer.call('enqueueJobs', { jobs: [1, 2, 3].map((n) => ({ prompt: `job ${n}`, provider: 'team-openai' })) })
    // Enqueued after them, on a provider every engine reads: once it is done, the engine has claimed past them.
    await writer.call('enqueueJobs', { jobs: [{ prompt: 'a marker', provider: 'sim' }] })
    await writer.close(1000)
    // What a newer engine writes: the same profile with a setting this version does not know.
    const db = new pg.Pool({ connectionString: url, max: 1 })
    db.on('error', () => undefined)
    onTestFinished(() => db.end())
    await db.query(`UPDATE provider_profiles SET settings = (settings::jsonb || '{"futureSetting": 1}')::text WHERE name = 'team-openai'`)

    const older = closedAfterTest(await createEngine({ dataDir: tempDir(), store: url, threads: 1, concurrency: 4, artifacts: false }))
    await older.call('resumeQueue', {})
    await waitFor(() => older.call('queueStats', {}), (stats) => stats.counts.completed === 1, { what: 'the marker job to complete' })
    await older.idle()
    const { counts } = await older.call('queueStats', {})
    expect(counts).toMatchObject({ dead: 0, queued: 3, completed: 1 })
  })
})
