/** Settings every process on the queue shares live in the store: written by the CLI, read back, and taken by a running engine. */
import { afterEach, describe, expect, it } from 'vitest'
import type { SettingRow } from '../../src/shared/settings'
import { createEngine, EngineConfig, type Engine } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { followSharedSettings, readSharedSettings } from '../../src/main/settings/shared'
import { genopsAsync } from '../support/cli'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const engines: Engine[] = []
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close(2000)))
})

describe('store settings', () => {
  it('are written to the store by set, read back by get and list, and refused when the schema refuses them', async () => {
    const dir = tempDir()
    const set = await genopsAsync(['settings', 'set', 'retention.dead.maxAgeMs', '3d', '--data-dir', dir])
    expect(set.stderr).toBe('')
    expect(set.stdout).toContain('in the store, for every process on the queue; a running engine applies it within 5s')
    const breaker = await genopsAsync(['settings', 'set', 'breaker.failureRatio', '0.25', '--data-dir', dir])
    expect(breaker.stdout).toContain('applies at next start')

    const get = await genopsAsync(['settings', 'get', 'retention.dead.maxAgeMs', '--data-dir', dir, '--json'])
    expect(JSON.parse(get.stdout)).toMatchObject({ value: 3 * 86_400_000, source: 'store', lives: 'store', default: 90 * 86_400_000 })
    const rows = JSON.parse((await genopsAsync(['settings', 'list', '--data-dir', dir, '--json'])).stdout) as SettingRow[]
    expect(rows.find((row) => row.key === 'breaker.failureRatio')).toMatchObject({ value: 0.25, source: 'store', applies: 'at next start' })
    expect(rows.find((row) => row.key === 'backoff.baseMs')).toMatchObject({ source: 'default', lives: 'store' })

    const refused = await genopsAsync(['settings', 'set', 'breaker.failureRatio', '2', '--data-dir', dir])
    expect(refused.status).toBe(2)
    expect(refused.stderr).toContain('breaker.failureRatio must be at most 1')
    const unknown = await genopsAsync(['settings', 'set', 'retention.dead.forever', '1', '--data-dir', dir])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain('unknown setting "retention.dead.forever"')

    const reset = await genopsAsync(['settings', 'set', 'retention.dead.maxAgeMs', 'default', '--data-dir', dir])
    expect(reset.status).toBe(0)
    const store = SqliteQueueStore.open(databaseFile(dir))
    try {
      const shared = await readSharedSettings(store, EngineConfig)
      expect(shared.find((setting) => setting.spec.key === 'retention.dead.maxAgeMs')?.stored).toBeUndefined()
      expect(shared.find((setting) => setting.spec.key === 'breaker.failureRatio')?.stored).toBe(0.25)
    } finally {
      store.close()
    }
  }, 120_000)

  it('a running engine prunes by the retention the CLI set, without a restart', async () => {
    const dir = tempDir()
    const engine = await createEngine({ dataDir: dir, threads: 1, pollMs: 50, retentionSweepMs: 100, artifacts: false })
    engines.push(engine)
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'kept until the setting changes' }] })
    await waitFor(
      () => engine.call('queueStats', {}),
      (stats) => stats.counts.completed === 1,
      { what: 'the job to complete' },
    )

    // Keep no completed job: the engine's next poll of the store takes it, its next sweep prunes.
    const set = await genopsAsync(['settings', 'set', 'retention.completed.maxCount', '0', '--data-dir', dir])
    expect(set.status).toBe(0)
    await waitFor(
      () => engine.call('queueStats', {}),
      (stats) => stats.counts.completed === 0,
      { what: 'the completed job pruned', timeoutMs: 30_000 },
    )
  }, 120_000)

  it('an explicit engine config wins over the store, and the store over the default', async () => {
    const dir = tempDir()
    const store = SqliteQueueStore.open(databaseFile(dir))
    try {
      store.setSharedSetting('backoff.baseMs', 5000)
      store.setSharedSetting('breaker.window', 40)
      const config = EngineConfig.parse({ dataDir: dir, breaker: { failureRatio: 0.5, window: 10, minimumAttempts: 5, openMs: 100, maxOpenMs: 1000 } })
      const defaults = EngineConfig.parse({ dataDir: dir })
      const follower = await followSharedSettings({
        store,
        schema: EngineConfig,
        config,
        explicit: { dataDir: dir, breaker: config.breaker },
        defaults,
        onError: (error) => {
          throw error
        },
        warn: () => {},
      })
      follower.stop()
      expect(config.backoff.baseMs).toBe(5000)
      expect(config.breaker.window).toBe(10)
      // The schema's own default objects are not changed.
      expect(EngineConfig.parse({ dataDir: dir }).backoff.baseMs).toBe(defaults.backoff.baseMs)
    } finally {
      store.close()
    }
  })
})
