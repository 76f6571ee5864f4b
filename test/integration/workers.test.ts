/**
 * Engines on one data directory, as operators run them (the app or `genops serve`, and
 * `genops run` beside it): `genops workers` lists each with its process and the jobs it
 * holds, says which one answers, and tells an engine killed with -9 from one that stopped.
 */
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import type { WorkerInfo } from '../../src/shared/workers'
import { createEngine } from '../../src/main/engine'
import { genopsAsync } from '../support/cli'
import { closedAfterTest, serveChild } from '../support/serve-child'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const workers = async (dataDir: string): Promise<WorkerInfo[]> => {
  const result = await genopsAsync(['workers', '--data-dir', dataDir, '--json'])
  expect(result.stderr).toBe('')
  expect(result.status).toBe(0)
  return JSON.parse(result.stdout) as WorkerInfo[]
}

describe('genops workers', () => {
  it('lists the engines on a data directory with the jobs each holds, and tells a killed one from a stopped one', async () => {
    const dataDir = tempDir()
    const { child: served } = await serveChild(dataDir)
    // A second engine in this process, its jobs slow enough to be held while we look.
    const engine = await createEngine({ dataDir, pollMs: 20 })
    closedAfterTest(engine)
    await engine.call('pauseQueue', {})
    await engine.call('enqueueJobs', { jobs: [1, 2, 3].map((i) => ({ prompt: `slow ${i}`, provider: 'sim', config: { latencyMs: 60_000, artifact: false } })) })
    await engine.call('resumeQueue', {})

    const listed = await waitFor(
      () => workers(dataDir),
      (found) => found.length === 2 && found.reduce((sum, worker) => sum + worker.claims, 0) === 3,
      { what: 'two engines, three jobs held' },
    )
    const byPid = new Map(listed.map((worker) => [worker.pid, worker]))
    expect(byPid.get(served.pid!)).toMatchObject({ state: 'running', self: false })
    expect(byPid.get(process.pid)).toMatchObject({ state: 'running', self: false })
    expect(listed.every((worker) => worker.version.length > 0 && worker.heartbeatAt >= worker.startedAt)).toBe(true)
    // Through the engine itself, it is the one asking.
    const { workers: fromEngine } = await engine.call('listWorkers', {})
    expect(fromEngine.find((worker) => worker.pid === process.pid)?.self).toBe(true)

    // kill -9: nothing marks it stopped; it reads as gone once its process is missing here and it has missed two beats.
    served.kill('SIGKILL')
    await once(served, 'exit')
    await waitFor(
      () => workers(dataDir),
      (found) => found.find((worker) => worker.pid === served.pid)?.state === 'gone',
      { what: 'the killed engine shown as gone', timeoutMs: 20_000 },
    )

    await engine.close(1000)
    const after = await workers(dataDir)
    // Closed with its three attempts still running: their leases stay until another engine's sweep takes them back.
    expect(after.find((worker) => worker.pid === process.pid)).toMatchObject({ state: 'stopped', claims: 3 })

    const text = await genopsAsync(['workers', '--data-dir', dataDir])
    expect(text.stdout).toMatch(/WORKER +VERSION +STATE +CLAIMS/)
    expect(text.stdout).toContain(`:${served.pid}`)
  })

  it('says how to start one when none has worked the queue', async () => {
    const result = await genopsAsync(['workers', '--data-dir', tempDir()])
    expect(result).toMatchObject({ status: 0, stderr: '' })
    expect(result.stdout).toMatch(/no engine has worked this queue yet: start one with `genops serve`/)
  })
})
