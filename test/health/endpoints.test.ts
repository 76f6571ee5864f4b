/** /health, /health/live and /health/ready on a real engine and server, on 127.0.0.1 and a free port. */
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../src/main/api/server'
import { createEngine, type Engine } from '../../src/main/engine'
import { freeDisk } from '../../src/main/health/checks'
import { HealthRegistry } from '../../src/main/health/registry'
import { HealthReport } from '../../src/shared/health'
import { tempDir } from '../support/temp'

const TOKEN = 'test-token-0123456789abcdef'
let engine: Engine
let server: RunningServer
let base: string
// Made here, not with tempDir(): that one is removed after each test, and these live for the file.
const dir = mkdtempSync(join(tmpdir(), 'genops-health-'))
const dataDir = join(dir, 'data')

beforeAll(async () => {
  engine = await createEngine({ dataDir, threads: 1, pollMs: 50 })
  server = await startServer({ engine, host: '127.0.0.1', port: 0, token: TOKEN, rendererDir: join(dir, 'no-renderer') })
  base = `http://127.0.0.1:${server.port}`
})
afterAll(async () => {
  await server.close()
  await engine.close(1000)
  rmSync(dir, { recursive: true, force: true })
})

const get = async (path: string, at = base) => {
  const response = await fetch(`${at}${path}`)
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}
const report = async () => {
  const { status, body } = await get('/health')
  return { status, report: HealthReport.parse(body) }
}
const check = (r: HealthReport, name: string) => r.checks.find((c) => c.name === name)

function withHost(path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers: { Host: host } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('the health endpoints', () => {
  it('report every standard check without a token: 200 while nothing critical fails', async () => {
    const { status, report: r } = await report()
    expect(status).toBe(200)
    expect(r.checks.map((c) => [c.name, c.critical])).toEqual([
      ['database', true],
      ['database-integrity', true],
      ['disk', true],
      ['worker-pool', true],
      ['queue', false],
      ['providers', false],
      ['event-loop', false],
      ['storage', true],
      ['profile-keys', false],
      ['api', false],
    ])
    // The event loop of a busy test machine may lag: only what must pass is asserted.
    for (const name of ['database', 'disk', 'worker-pool', 'queue', 'providers', 'api', 'storage', 'profile-keys']) expect(check(r, name)?.status, name).toBe('pass')
    expect(check(r, 'api')?.detail).toBe(`listening on 127.0.0.1:${server.port}`)
  })

  it('say live and ready while the engine runs', async () => {
    expect(await get('/health/live')).toEqual({ status: 200, body: { status: 'live' } })
    expect(await get('/health/ready')).toEqual({ status: 200, body: { status: 'ready' } })
  })

  it('answer 503 on /health and /health/ready when a critical check fails, and stay live', async () => {
    engine.health.register(freeDisk(dataDir, { minFreeBytes: 1e18 }))
    try {
      const { status, report: r } = await report()
      expect(status).toBe(503)
      expect(r.status).toBe('unhealthy')
      expect(check(r, 'disk')).toMatchObject({ status: 'fail', critical: true })
      expect(await get('/health/ready')).toEqual({ status: 503, body: { status: 'unhealthy', failing: ['disk'] } })
      expect((await get('/health/live')).status).toBe(200)
    } finally {
      engine.health.register(freeDisk(dataDir))
    }
    expect((await get('/health/ready')).status).toBe(200)
  })

  it('are degraded, still 200, while the queue is paused', async () => {
    await engine.call('pauseQueue', {})
    try {
      const { status, report: r } = await report()
      expect(status).toBe(200)
      expect(r.status).toBe('degraded')
      expect(check(r, 'queue')).toEqual(expect.objectContaining({ status: 'warn', detail: 'the queue is paused: no new job starts until it is resumed' }))
    } finally {
      await engine.call('resumeQueue', {})
    }
    expect(check((await report()).report, 'queue')?.status).toBe('pass')
  })

  it('are not ready while the engine is still starting, yet live', async () => {
    const starting = new HealthRegistry()
    const early = await startServer({
      engine: { ...engine, health: starting },
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      rendererDir: join(dir, 'no-renderer'),
    })
    try {
      const at = `http://127.0.0.1:${early.port}`
      expect(await get('/health/ready', at)).toEqual({ status: 503, body: { status: 'starting' } })
      expect(await get('/health/live', at)).toEqual({ status: 200, body: { status: 'live' } })
      expect(starting.names).toEqual(['api'])
      starting.markReady()
      expect((await get('/health/ready', at)).status).toBe(200)
    } finally {
      await early.close()
    }
    // The API server's check leaves with the server that registered it.
    expect(starting.names).toEqual([])
  })

  it('keep the Host check, and take only GET', async () => {
    expect(await withHost('/health', 'evil.example')).toBe(403)
    expect(await withHost('/health/live', 'evil.example')).toBe(403)
    expect(await withHost('/health/ready', `localhost:${server.port}`)).toBe(200)
    expect((await fetch(`${base}/health`, { method: 'POST' })).status).toBe(405)
    expect((await fetch(`${base}/health/nothing`)).status).toBe(404)
  })

  it('give the same report through the contract, which still needs the token', async () => {
    const call = (token: string) => fetch(`${base}/api/healthReport`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } })
    expect((await call('x'.repeat(TOKEN.length))).status).toBe(401)
    const response = await call(TOKEN)
    expect(response.status).toBe(200)
    expect(HealthReport.parse(await response.json()).checks.map((c) => c.name)).toContain('api')
  })
})

describe('the engine health options', () => {
  it('refuses a negative disk floor, naming the option', async () => {
    await expect(createEngine({ dataDir: tempDir(), health: { minFreeDiskBytes: -1 } })).rejects.toThrow(
      'createEngine: health.minFreeDiskBytes: health.minFreeDiskBytes must be 0 or more',
    )
  })

  it('is unhealthy with a disk floor above the free space, and not ready once closed', async () => {
    const floored = await createEngine({ dataDir: tempDir(), threads: 1, health: { minFreeDiskBytes: 2 ** 50 } })
    try {
      expect(floored.health.ready).toBe(true)
      const r = await floored.call('healthReport', {})
      expect(r.status).toBe('unhealthy')
      expect(r.checks.find((c) => c.name === 'disk')?.status).toBe('fail')
    } finally {
      await floored.close(1000)
    }
    expect(floored.health.ready).toBe(false)
  })
})
