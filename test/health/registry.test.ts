/** The health registry's rules: how checks add up to a status, timeouts, throws, replacement by name. */
import { describe, expect, it } from 'vitest'
import type { CheckResult } from '../../src/shared/health'
import { HealthRegistry, type HealthCheck } from '../../src/main/health/registry'

const check = (name: string, result: CheckResult, critical = true): HealthCheck => ({ name, critical, timeoutMs: 1000, check: () => result })
const PASS: CheckResult = { status: 'pass', detail: 'fine' }
const WARN: CheckResult = { status: 'warn', detail: 'close to the edge' }
const FAIL: CheckResult = { status: 'fail', detail: 'broken' }

const statusOf = async (...checks: HealthCheck[]) => {
  const registry = new HealthRegistry()
  for (const c of checks) registry.register(c)
  return (await registry.report()).status
}

describe('the health registry', () => {
  it('adds checks up: a critical failure is unhealthy, any other problem degraded', async () => {
    expect(await statusOf()).toBe('healthy')
    expect(await statusOf(check('a', PASS), check('b', PASS, false))).toBe('healthy')
    expect(await statusOf(check('a', PASS), check('b', FAIL))).toBe('unhealthy')
    expect(await statusOf(check('a', PASS), check('b', FAIL, false))).toBe('degraded')
    expect(await statusOf(check('a', WARN), check('b', PASS, false))).toBe('degraded')
    expect(await statusOf(check('a', WARN, false))).toBe('degraded')
    expect(await statusOf(check('a', FAIL), check('b', WARN, false))).toBe('unhealthy')
  })

  it('reports every check with its name, criticality, status, detail and time, in the order registered', async () => {
    const registry = new HealthRegistry().register(check('database', PASS)).register(check('queue', WARN, false))
    const before = Date.now()
    const report = await registry.report()
    expect(report.checkedAt).toBeGreaterThanOrEqual(before)
    expect(report.checks).toEqual([
      { name: 'database', critical: true, status: 'pass', detail: 'fine', durationMs: expect.any(Number) },
      { name: 'queue', critical: false, status: 'warn', detail: 'close to the edge', durationMs: expect.any(Number) },
    ])
  })

  it('fails a check that does not answer within its timeout, without waiting for it', async () => {
    const registry = new HealthRegistry()
      .register({ name: 'hangs', critical: false, timeoutMs: 50, check: () => new Promise<CheckResult>(() => {}) })
      .register(check('database', PASS))
    const report = await registry.report()
    expect(report.status).toBe('degraded')
    expect(report.checks[0]).toMatchObject({ name: 'hangs', status: 'fail', detail: 'did not answer within 50 ms' })
    expect(report.checks[0]!.durationMs).toBeGreaterThanOrEqual(45)
    expect(report.checks[1]).toMatchObject({ name: 'database', status: 'pass' })
  })

  it('runs the checks at once, not one after another', async () => {
    // The first check can only finish once the second has started: run in turn, it would time out.
    let secondStarted!: () => void
    const started = new Promise<void>((resolve) => (secondStarted = resolve))
    const registry = new HealthRegistry()
      .register({ name: 'first', critical: true, timeoutMs: 2000, check: async () => (await started, PASS) })
      .register({ name: 'second', critical: true, timeoutMs: 2000, check: () => (secondStarted(), PASS) })
    expect((await registry.report()).checks.map((c) => c.status)).toEqual(['pass', 'pass'])
  })

  it('fails a check that throws or rejects, with the error message', async () => {
    const registry = new HealthRegistry()
      .register({
        name: 'throws',
        critical: true,
        timeoutMs: 1000,
        check: () => {
          throw new Error('disk on fire')
        },
      })
      .register({ name: 'rejects', critical: false, timeoutMs: 1000, check: () => Promise.reject(new Error('no route to host')) })
      .register({ name: 'malformed', critical: false, timeoutMs: 1000, check: () => ({ status: 'ok' }) as unknown as CheckResult })
    const report = await registry.report()
    expect(report.status).toBe('unhealthy')
    expect(report.checks.map(({ name, status, detail }) => ({ name, status, detail }))).toEqual([
      { name: 'throws', status: 'fail', detail: 'disk on fire' },
      { name: 'rejects', status: 'fail', detail: 'no route to host' },
      { name: 'malformed', status: 'fail', detail: 'the check returned {"status":"ok"}, not a result' },
    ])
  })

  it('replaces a check registered again under its name, and forgets one unregistered, releasing each', async () => {
    const released: string[] = []
    const breaker = (result: CheckResult, tag: string): HealthCheck => ({ ...check('breaker:openai/gpt-4o', result, false), dispose: () => released.push(tag) })
    const registry = new HealthRegistry().register(check('database', PASS)).register(breaker(PASS, 'closed'))
    registry.register(breaker(WARN, 'half-open'))
    expect(released).toEqual(['closed'])
    expect(registry.names).toEqual(['database', 'breaker:openai/gpt-4o'])
    expect((await registry.report()).status).toBe('degraded')
    expect(registry.unregister('breaker:openai/gpt-4o')).toBe(true)
    expect(registry.unregister('breaker:openai/gpt-4o')).toBe(false)
    expect(released).toEqual(['closed', 'half-open'])
    expect((await registry.report()).status).toBe('healthy')
  })

  it('is not ready until marked ready, nor after it closes, and releases every check on close', () => {
    let released = 0
    const registry = new HealthRegistry().register({ ...check('event-loop', PASS, false), dispose: () => (released += 1) })
    expect(registry.ready).toBe(false)
    registry.markReady()
    expect(registry.ready).toBe(true)
    registry.close()
    expect(registry.ready).toBe(false)
    expect(released).toBe(1)
    expect(registry.names).toEqual([])
  })

  it('shares one run between callers who ask at the same time', async () => {
    let runs = 0
    const registry = new HealthRegistry().register({ name: 'database', critical: true, timeoutMs: 1000, check: async () => (runs++, PASS) })
    const [a, b] = await Promise.all([registry.report(), registry.report()])
    expect(a).toBe(b)
    expect(runs).toBe(1)
    await registry.report()
    expect(runs).toBe(2)
  })

  it('refuses a check it could not run, saying which option is wrong', () => {
    const registry = new HealthRegistry()
    expect(() => registry.register({ ...check('x', PASS), timeoutMs: 0 })).toThrow('health check "x": timeoutMs must be a positive integer')
    expect(() => registry.register({ ...check('', PASS) })).toThrow('health check: name must be a non-empty string')
    expect(() => registry.register({ ...check('x', PASS), check: undefined as unknown as HealthCheck['check'] })).toThrow(
      'health check "x": check must be a function',
    )
  })
})
