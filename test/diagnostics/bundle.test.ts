/**
 * The diagnostic bundle as a support engineer receives it: made by a real engine (and by
 * the CLI beside it) over a data directory with real failures, opened with `unzip`, every
 * file accounted for in the manifest, and a planted API key nowhere in it.
 */
import { createHash } from 'node:crypto'
import { appendFileSync, readdirSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { HealthReport } from '../../src/shared/health'
import type { QueueStats } from '../../src/shared/jobs'
import { createEngine, type Engine } from '../../src/main/engine'
import { createHandlers, invoke } from '../../src/main/operations'
import { databaseFile } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { logsDir } from '../../src/main/telemetry/log'
import { genopsAsync } from '../support/cli'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'
import { hasUnzip, jsonOf, manifestOf, unzip } from './unzipped'

/** A local server's key: nothing about its shape says "key", so only the environment's keys can mask it. */
const KEY = 'planted-local-key-0123456789abcdef'
let savedKey: string | undefined
let engine: Engine | undefined
beforeEach(() => {
  savedKey = process.env.OPENAI_API_KEY
  process.env.OPENAI_API_KEY = KEY
})
afterEach(async () => {
  await engine?.close(1000)
  engine = undefined
  if (savedKey === undefined) delete process.env.OPENAI_API_KEY
  else process.env.OPENAI_API_KEY = savedKey
})

const fast = { threads: 1, pollMs: 50, backoff: { baseMs: 10, maxMs: 20 } }

/** A data directory an engine has worked in: completed and dead jobs, failure groups, spans, a log, and the key planted where it could leak. */
async function usedDataDir(): Promise<string> {
  const dataDir = tempDir()
  engine = await createEngine({ dataDir, ...fast })
  await engine.call('saveProvider', { name: 'local-server', provider: 'openai', baseUrl: 'http://127.0.0.1:1/v1', model: `model-for-${KEY}` })
  await engine.call('enqueueJobs', {
    jobs: [
      { prompt: `summarise this, the key is ${KEY}`, attempts: 1, config: { failAttempts: 1 } },
      { prompt: 'times out', attempts: 1, config: { failAttempts: 1, failCategory: 'TIMEOUT' } },
      { prompt: 'flaky', attempts: 2, config: { failAttempts: 1 } },
      { prompt: 'fine' },
    ],
  })
  await waitFor(
    () => engine!.call('queueStats', {}),
    ({ counts }) => counts.completed + counts.dead === 4,
    { what: 'the four jobs to finish' },
  )
  await engine.close(1000)
  engine = undefined
  // A line from before the key was in the environment, when the logger could not know to mask it.
  const newest = readdirSync(logsDir(dataDir)).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))
  appendFileSync(join(logsDir(dataDir), newest.at(-1)!), `${JSON.stringify({ level: 'info', msg: `calling the local server with ${KEY}` })}\n`)
  return dataDir
}

/** (b) Every file but the manifest is in the manifest, with its true size and sha256; (c) the key is in none of them. */
function expectAccountedAndClean(files: Map<string, Buffer>): void {
  const manifest = manifestOf(files)
  expect([...files.keys()].filter((name) => name !== 'manifest.json').sort()).toEqual(manifest.files.map((file) => file.name).sort())
  for (const entry of manifest.files) {
    const content = files.get(entry.name)!
    expect({ name: entry.name, bytes: content.length, sha256: createHash('sha256').update(content).digest('hex') }).toEqual({
      name: entry.name,
      bytes: entry.bytes,
      sha256: entry.sha256,
    })
  }
  for (const [name, content] of files) {
    expect(content.includes(KEY), `${name} holds the planted key`).toBe(false)
    expect(content.includes(KEY.slice(8, 24)), `${name} holds part of the planted key`).toBe(false)
  }
}

describe.skipIf(!hasUnzip)('a diagnostic bundle', () => {
  it('from the engine and from the CLI beside it: every section, accounted for, with no key in it', { timeout: 120_000 }, async () => {
    const dataDir = await usedDataDir()
    engine = await createEngine({ dataDir, ...fast, metrics: { exporter: { enabled: true, port: 0 } } })

    const bundle = await engine.call('exportBundle', {})
    expect(dirname(bundle.path)).toBe(join(dataDir, 'bundles'))
    expect(basename(bundle.path)).toMatch(/^genops-bundle-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.zip$/)
    // Renamed into place once whole: no partial file is left beside it.
    expect(readdirSync(join(dataDir, 'bundles'))).toEqual([basename(bundle.path)])
    expect(bundle.problems).toEqual([])
    const files = unzip(bundle.path)
    expect(bundle.files).toBe(files.size)
    expectAccountedAndClean(files)
    expect([...files.keys()].sort()).toEqual(
      expect.arrayContaining([
        'alerts.json',
        'dead-sample.json',
        'failures.json',
        'health.json',
        'integrity.txt',
        'manifest.json',
        'metrics.txt',
        'queue.json',
        'settings.json',
        'system.json',
        'traces.json',
      ]),
    )
    // (d) and what each section says.
    expect(files.get('integrity.txt')!.toString()).toBe('ok\n')
    expect(manifestOf(files)).toMatchObject({ genopsVersion: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown, problems: [] })
    expect(jsonOf<{ versions: { node: string } }>(files, 'system.json').versions.node).toBe(process.versions.node)
    expect(jsonOf<QueueStats>(files, 'queue.json').counts).toMatchObject({ completed: 2, dead: 2 })
    expect(jsonOf<HealthReport>(files, 'health.json').checks.map((check) => check.name)).toContain('worker-pool')
    expect(jsonOf<{ stats: { total: number }; jobs: { promptPreview: string }[] }>(files, 'dead-sample.json')).toMatchObject({
      stats: { total: 2 },
      jobs: expect.arrayContaining([expect.objectContaining({ promptPreview: expect.stringContaining('[REDACTED]') as unknown })]) as unknown,
    })
    expect(jsonOf<{ groups: unknown[] }>(files, 'failures.json').groups.length).toBeGreaterThanOrEqual(2)
    expect(jsonOf<{ alerts: { rule: { name: string } }[] }>(files, 'alerts.json').alerts.map((alert) => alert.rule.name)).toContain('GenOpsFailureRateHigh')
    expect(jsonOf<{ spans: { jobId: number }[] }>(files, 'traces.json').spans.length).toBeGreaterThanOrEqual(5)
    const settings = jsonOf<{ providers: { name: string; model: string }[] }>(files, 'settings.json')
    expect(settings.providers).toEqual([expect.objectContaining({ name: 'local-server', model: 'model-for-[REDACTED]', hasKey: false })])
    expect(files.get('metrics.txt')!.toString()).toContain('genops_jobs_finished_total')
    const logs = [...files.keys()].filter((name) => name.startsWith('logs/'))
    expect(logs.length).toBeGreaterThanOrEqual(1)
    expect(logs.map((name) => files.get(name)!.toString()).join('')).toContain('calling the local server with [REDACTED]')

    // (f) The CLI, beside the running engine: to --out, with the engine's metrics scraped from its exporter.
    const out = join(tempDir(), 'for-support.zip')
    const cli = await genopsAsync(['bundle', '--data-dir', dataDir, '--out', out, '--metrics-port', String(engine.exporterAddress!.port)])
    expect(cli.stderr).toBe('')
    expect(cli.status).toBe(0)
    expect(cli.stdout).toMatch(new RegExp(`^wrote ${out.replace(/[.\\]/g, '\\$&')}\\n[\\d.]+ (B|KiB|MiB), ${files.size} files\\n$`))
    const fromCli = unzip(out)
    expectAccountedAndClean(fromCli)
    expect(fromCli.get('integrity.txt')!.toString()).toBe('ok\n')
    expect(fromCli.get('metrics.txt')!.toString()).toContain('genops_jobs_finished_total')
    expect(readdirSync(join(dataDir, 'bundles'))).toHaveLength(1)
  })

  it('(e) names a section it could not collect, keeps the rest, and notes what it cut to stay small', { timeout: 60_000 }, async () => {
    const dataDir = await usedDataDir()
    const store = SqliteQueueStore.open(databaseFile(dataDir))
    try {
      // A database missing a table (a damaged file, a bad manual fix): the traces cannot be read, the rest can.
      store.db.exec('DROP TABLE spans')
      const handlers = createHandlers(store, {
        jobsChanged() {},
        countsMayChange() {},
        abort() {},
        paused() {},
        kick() {},
        profilesChanged: async () => {},
        diagnostics: { dataDir, metricsText: async () => null, limits: { maxFileBytes: 600, maxTotalBytes: 2000 } },
      })
      const bundle = await invoke(handlers, 'exportBundle', {})
      expect(bundle.problems).toEqual(['traces.json: no such table: spans'])
      const files = unzip(bundle.path)
      expectAccountedAndClean(files)
      const manifest = manifestOf(files)
      expect(manifest.problems).toEqual(bundle.problems)
      expect(files.has('traces.json')).toBe(false)
      for (const name of [
        'system.json',
        'settings.json',
        'health.json',
        'queue.json',
        'failures.json',
        'dead-sample.json',
        'alerts.json',
        'integrity.txt',
        'metrics.txt',
      ]) {
        expect(files.has(name), name).toBe(true)
      }
      expect(jsonOf<QueueStats>(files, 'queue.json').counts).toMatchObject({ completed: 2, dead: 2 })
      // Bounded: no file over its limit, all of them within the bundle's, and each cut said.
      const sizes = manifest.files.map((file) => file.bytes)
      expect(Math.max(...sizes)).toBeLessThanOrEqual(600)
      expect(sizes.reduce((sum, bytes) => sum + bytes, 0)).toBeLessThanOrEqual(2000)
      expect(manifest.files.find((file) => file.name === 'settings.json')?.truncated).toMatch(/^cut to \d+ B of [\d.]+ (B|KiB): the 600 B limit for one file$/)
      expect(manifest.files.some((file) => /^cut to \d+ B of [\d.]+ (B|KiB): the bundle's 2\.0 KiB limit$/.test(file.truncated ?? ''))).toBe(true)
    } finally {
      store.close()
    }
  })
})
