/** Headless mode's HTTP face against a real engine on 127.0.0.1 and a free port. */
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../src/main/api/server'
import { createEngine, type Engine } from '../../src/main/engine'

const TOKEN = 'test-token-0123456789abcdef'
let engine: Engine
let server: RunningServer
let base: string
// Made here, not with tempDir(): that one is removed after each test, and these live for the file.
const dir = mkdtempSync(join(tmpdir(), 'genops-api-'))

beforeAll(async () => {
  engine = await createEngine({ dataDir: join(dir, 'data'), threads: 1, pollMs: 50 })
  server = await startServer({ engine, host: '127.0.0.1', port: 0, token: TOKEN, rendererDir: join(dir, 'no-renderer') })
  base = `http://127.0.0.1:${server.port}`
})
afterAll(async () => {
  await server.close()
  await engine.close(1000)
  rmSync(dir, { recursive: true, force: true })
})

const call = (name: string, body: unknown, token = TOKEN) =>
  fetch(`${base}/api/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  })

function withHost(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path: '/api/queueStats', method: 'POST', headers: { Host: host, Authorization: `Bearer ${TOKEN}` } },
      (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      },
    )
    req.on('error', reject)
    req.end()
  })
}

describe('the HTTP API', () => {
  it('prints a loopback URL carrying the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${TOKEN}`)
  })

  it('answers an operation with the token', async () => {
    const response = await call('enqueueJobs', { jobs: [{ prompt: 'hello' }] })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ batchId: 1, jobIds: [1], duplicates: 0 })
  })

  it('refuses a request without the token, or with a wrong one', async () => {
    expect((await fetch(`${base}/api/queueStats`, { method: 'POST' })).status).toBe(401)
    const wrong = await call('queueStats', {}, 'x'.repeat(TOKEN.length))
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.stringContaining('token') } })
  })

  it('refuses a Host header that is not loopback (DNS rebinding)', async () => {
    expect(await withHost('evil.example')).toBe(403)
    expect(await withHost(`localhost:${server.port}`)).toBe(200)
  })

  it('answers bad input with the field and the reason, and unknown operations with 404', async () => {
    const bad = await call('listJobs', { limit: 0 })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^listJobs: limit: /)
    expect((await call('dropTables', {})).status).toBe(404)
    expect((await call('getJob', { id: 424242 })).status).toBe(404)
    const notJson = await fetch(`${base}/api/queueStats`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: '{',
    })
    expect(notJson.status).toBe(400)
  })

  it('streams events, starting with the counts', async () => {
    const controller = new AbortController()
    const response = await fetch(`${base}/api/events`, { headers: { Authorization: `Bearer ${TOKEN}` }, signal: controller.signal })
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    const reader = response.body!.getReader()
    const { value } = await reader.read()
    expect(new TextDecoder().decode(value)).toMatch(/^event: counts\ndata: \{"counts":\{/)
    controller.abort()
  })

  it('says plainly when the renderer is not built', async () => {
    const response = await fetch(`${base}/`)
    expect(response.status).toBe(503)
    expect(await response.text()).toContain('npm run build')
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'")
  })
})
