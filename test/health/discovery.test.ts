/**
 * One health: `genops health` beside a running engine reports that engine's own checks
 * (found through <dataDir>/engine.json); without one it checks what it can and names the
 * rest. A paused queue or a paused provider degrades both answers.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createEngine } from '../../src/main/engine'
import { discoveryFile } from '../../src/main/engine-discovery'
import { HealthReport } from '../../src/shared/health'
import { genopsAsync } from '../support/cli'
import { closedAfterTest, serveChild } from '../support/serve-child'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const health = async (dataDir: string) => {
  const result = await genopsAsync(['health', '--data-dir', dataDir, '--json'])
  expect(result.stderr).toBe('')
  return { status: result.status, report: JSON.parse(result.stdout) as HealthReport & { source: { engine: { pid: number } | null; notChecked?: string[] } } }
}

describe('genops health beside a running engine', () => {
  it("reports the serving engine's own report, then, once it has gone, its own checks", async () => {
    const dataDir = tempDir()
    const { child, api, token } = await serveChild(dataDir)

    // The discovery file: this engine, its API with the token, private.
    const file = discoveryFile(dataDir)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const discovered = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; api: { url: string; token: string }; metrics: { url: string } }
    expect(discovered).toMatchObject({ pid: child.pid, api: { url: api, token } })

    const beside = await health(dataDir)
    expect(beside.status).toBe(0)
    expect(beside.report.source.engine?.pid).toBe(child.pid)
    // Checks only an engine can make, and the API server's own: this is the engine's report.
    const names = beside.report.checks.map((check) => check.name)
    expect(names).toEqual(expect.arrayContaining(['worker-pool', 'event-loop', 'api', 'providers', 'queue']))
    const text = await genopsAsync(['health', '--data-dir', dataDir])
    expect(text.stdout).toContain(`reported by the engine running (pid ${child.pid}) at ${api}/health`)

    // A clean exit removes the file.
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    await exited
    expect(existsSync(file)).toBe(false)

    const alone = await genopsAsync(['health', '--data-dir', dataDir])
    expect(alone.status).toBe(0)
    expect(alone.stdout).toMatch(/^queue\s+pass\s+no\s+running$/m)
    expect(alone.stdout).toContain('not checked (no engine running): worker-pool, event-loop')
  }, 60_000)

  it('ignores a stale discovery file, whose process is gone, and the next engine replaces it', async () => {
    const dataDir = tempDir()
    // A process that has ended: its id is free (the kernel does not hand it out again at once).
    const gone = spawn(process.execPath, ['-e', ''])
    const gonePid = gone.pid!
    await once(gone, 'exit')
    writeFileSync(
      discoveryFile(dataDir),
      JSON.stringify({ pid: gonePid, startedAt: 1, metrics: { url: 'http://127.0.0.1:9' }, api: { url: 'http://127.0.0.1:9', token: 'x'.repeat(32) } }),
      { mode: 0o600 },
    )
    const alone = await health(dataDir)
    expect(alone.status).toBe(0)
    expect(alone.report.source).toMatchObject({ engine: null, notChecked: ['worker-pool', 'event-loop'] })

    const { child } = await serveChild(dataDir)
    expect(JSON.parse(readFileSync(discoveryFile(dataDir), 'utf8'))).toMatchObject({ pid: child.pid })
  }, 60_000)

  it('a paused queue is degraded, with an engine and without', async () => {
    const dataDir = tempDir()
    const paused = await genopsAsync(['queue', 'pause', '--data-dir', dataDir])
    expect(paused.status).toBe(0)
    const alone = await health(dataDir)
    expect(alone.status).toBe(1)
    expect(alone.report.status).toBe('degraded')
    expect(alone.report.checks.find((check) => check.name === 'queue')).toMatchObject({ status: 'warn' })

    await serveChild(dataDir)
    const beside = await health(dataDir)
    expect(beside.status).toBe(1)
    expect(beside.report.source.engine).not.toBeNull()
    expect(beside.report.checks.find((check) => check.name === 'queue')).toMatchObject({ status: 'warn' })
  }, 60_000)

  it('a provider paused after an AUTH failure is degraded in /health, in the healthReport and in the CLI', async () => {
    const dataDir = tempDir()
    const engine = await createEngine({ dataDir, threads: 1, concurrency: 4, pollMs: 50, artifacts: false, metrics: { exporter: { enabled: true, port: 0 } } })
    closedAfterTest(engine)
    await engine.call('saveProvider', { name: 'badkey', provider: 'sim', config: { faults: { auth: 1 } } })
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'refused' }], defaults: { provider: 'badkey', attempts: 1 } })
    await waitFor(
      async () => (await engine.call('listProviderPauses', {})).pauses,
      (pauses) => pauses.some((pause) => pause.provider === 'badkey'),
      { what: 'the provider to be paused' },
    )

    const exporter = new URL(engine.exporterAddress!.url).origin
    const response = await fetch(`${exporter}/health`)
    const report = HealthReport.parse(await response.json())
    expect(report.status).toBe('degraded')
    expect(report.checks.find((check) => check.name === 'providers')).toMatchObject({ status: 'warn', critical: false })
    expect(report.checks.find((check) => check.name === 'providers')?.detail).toMatch(/badkey \(.*key was refused/)
    // The dashboard's "all N checks pass" reads this operation's report.
    const operation = await engine.call('healthReport', {})
    expect(operation.checks.find((check) => check.name === 'providers')?.status).toBe('warn')

    const beside = await health(dataDir)
    expect(beside.status).toBe(1)
    expect(beside.report.source.engine?.pid).toBe(process.pid)
    expect(beside.report.checks.find((check) => check.name === 'providers')?.status).toBe('warn')

    await engine.close()
    const alone = await health(dataDir)
    expect(alone.status).toBe(1)
    expect(alone.report.source.engine).toBeNull()
    expect(alone.report.checks.find((check) => check.name === 'providers')?.detail).toContain('badkey')
  }, 60_000)
})
