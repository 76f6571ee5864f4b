/**
 * A request body nested thousands of levels deep: refused with a 400 before zod walks it
 * (zod overflows its stack and the API answered 500), on a real engine and server.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_JSON_DEPTH, nestedDeeperThan, nestingProblem } from '../../src/shared/json-depth'
import { startServer, type RunningServer } from '../../src/main/api/server'
import { createEngine, type Engine } from '../../src/main/engine'

/** `{"a":{"a":…1…}}`, `levels` objects deep, as text: building it as a value and stringifying would recurse too. */
const nestedText = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels)
const nested = (levels: number): unknown => JSON.parse(nestedText(levels))

describe('nestedDeeperThan', () => {
  it('counts objects and arrays, not scalars, and stops at the limit without recursing', () => {
    expect(nestedDeeperThan('text', 0)).toBe(false)
    expect(nestedDeeperThan({}, 0)).toBe(true)
    expect(nestedDeeperThan({}, 1)).toBe(false)
    expect(nestedDeeperThan({ a: [1, { b: null }] }, 2)).toBe(true)
    expect(nestedDeeperThan({ a: [1, { b: null }] }, 3)).toBe(false)
    expect(nestedDeeperThan(nested(MAX_JSON_DEPTH))).toBe(false)
    expect(nestedDeeperThan(nested(MAX_JSON_DEPTH + 1))).toBe(true)
    // Deeper than any recursive walk survives.
    expect(nestedDeeperThan(nested(200_000))).toBe(true)
    // A deep branch beside many shallow ones is still found.
    expect(nestedDeeperThan({ wide: Array.from({ length: 10_000 }, () => ({ x: 1 })), deep: nested(MAX_JSON_DEPTH) })).toBe(true)
  })

  it('says why in the operator’s words', () => {
    expect(nestingProblem(nested(65))).toBe('nested deeper than 64 levels')
    expect(nestingProblem(nested(64))).toBeNull()
    expect(nestingProblem(nested(4), 3)).toBe('nested deeper than 3 levels')
  })
})

describe('the API with a deeply nested body', () => {
  const TOKEN = 'depth-token-0123456789abcdef'
  let engine: Engine
  let server: RunningServer
  // Made here, not with tempDir(): that one is removed after each test, and this lives for the file.
  const dir = mkdtempSync(join(tmpdir(), 'genops-depth-'))
  const call = (name: string, body: string) =>
    fetch(`http://127.0.0.1:${server.port}/api/${name}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body,
    })

  beforeAll(async () => {
    engine = await createEngine({ dataDir: join(dir, 'data'), threads: 1 })
    server = await startServer({ engine, host: '127.0.0.1', port: 0, token: TOKEN, rendererDir: join(dir, 'no-renderer') })
  })
  afterAll(async () => {
    await server.close()
    await engine.close(1000)
    rmSync(dir, { recursive: true, force: true })
  })

  it('answers 400 INVALID_INPUT for a job config 5,000 levels deep, and enqueues nothing', async () => {
    const response = await call('enqueueJobs', `{"jobs":[{"prompt":"deep","config":${nestedText(5000)}}]}`)
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ error: { code: 'INVALID_INPUT', message: 'enqueueJobs: the input is nested deeper than 64 levels' } })
    const stats = await (await call('queueStats', '{}')).json()
    expect(stats).toMatchObject({ counts: { queued: 0 } })
  })

  it('passes a body exactly 64 levels deep on to the contract, which judges the config itself', async () => {
    // The body, its jobs array and the job are three levels: a config 61 deep makes 64.
    const response = await call('enqueueJobs', `{"jobs":[{"prompt":"deep","config":${nestedText(MAX_JSON_DEPTH - 3)}}]}`)
    const answer = (await response.json()) as { error?: { code: string; message: string } }
    expect(answer.error?.message ?? '').not.toContain('nested deeper')
    expect(response.status).not.toBe(500)
  })
})
