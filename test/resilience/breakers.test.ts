/** The breaker board over real cockatiel breakers, on the real clock with short waits. */
import { describe, expect, it } from 'vitest'
import type { AttemptOutcome } from '../../src/workers/protocol'
import { BreakerBoard, type BreakerChange } from '../../src/main/resilience/breakers'
import { waitFor } from '../support/wait'

const ok: AttemptOutcome = { ok: true, output: 'x', artifact: null, inputTokens: 1, outputTokens: 1, firstTokenMs: null, durationMs: 1 }
const failing = (category: string): AttemptOutcome =>
  ({ ok: false, category, message: `simulated ${category}`, retryable: true, retryAfterMs: null, durationMs: 1 }) as AttemptOutcome

function board() {
  const changes: BreakerChange[] = []
  const breakers = new BreakerBoard({ failureRatio: 0.5, window: 4, minimumAttempts: 4, openMs: 60, maxOpenMs: 1000 }, (change) => changes.push(change))
  return { breakers, changes }
}

async function feed(breakers: BreakerBoard, name: string, outcomes: AttemptOutcome[]) {
  for (const outcome of outcomes) await breakers.run(name, async () => outcome)
}

describe('breakers', () => {
  it('open on provider failures, hold dispatch, let one probe through once the wait is over, and close on its success', async () => {
    const { breakers, changes } = board()
    expect(breakers.allowance('p/m', Date.now())).toBe(Infinity)
    await feed(breakers, 'p/m', [failing('SERVICE_UNAVAILABLE'), failing('TIMEOUT'), ok, failing('RATE_LIMIT')])
    expect(breakers.status('p/m')).toMatchObject({ state: 'open' })
    expect(breakers.status('p/m')!.reason).toMatch(/RATE_LIMIT: simulated RATE_LIMIT/)
    expect(breakers.allowance('p/m', Date.now())).toBe(0)
    // Another provider and model has a breaker of its own.
    expect(breakers.allowance('p/other', Date.now())).toBe(Infinity)

    const until = breakers.status('p/m')!.openUntil!
    expect(until - changes.at(-1)!.at).toBe(60)
    await waitFor(
      () => breakers.allowance('p/m', Date.now()),
      (allowance) => allowance === 1,
      { what: 'the probe to be allowed' },
    )
    let release!: () => void
    const probe = breakers.run('p/m', () => new Promise<AttemptOutcome>((resolve) => (release = () => resolve(ok))))
    expect(breakers.status('p/m')!.state).toBe('half-open')
    expect(breakers.allowance('p/m', Date.now())).toBe(0)
    release()
    await probe
    expect(breakers.status('p/m')!.state).toBe('closed')
    expect(changes.map((c) => `${c.from}>${c.to}`)).toEqual(['closed>open', 'open>half-open', 'half-open>closed'])
  })

  it('reopen for longer when the probe fails', async () => {
    const { breakers, changes } = board()
    await feed(breakers, 'p', Array(4).fill(failing('NETWORK')))
    await waitFor(
      () => breakers.allowance('p', Date.now()),
      (a) => a === 1,
    )
    await feed(breakers, 'p', [failing('SERVICE_UNAVAILABLE')])
    const reopened = changes.at(-1)!
    expect(reopened).toMatchObject({ from: 'half-open', to: 'open' })
    expect(reopened.reason).toMatch(/the probe failed/)
    expect(reopened.openUntil! - reopened.at).toBe(120)
  })

  it("are not tripped by the job's own faults or by AUTH", async () => {
    const { breakers } = board()
    await feed(breakers, 'p', [...Array(6).fill(failing('VALIDATION')), ...Array(6).fill(failing('AUTH'))])
    expect(breakers.status('p')!.state).toBe('closed')
  })

  it('are reset and held open by the operator, each as one recorded transition', async () => {
    const { breakers, changes } = board()
    await feed(breakers, 'p', Array(4).fill(failing('NETWORK')))
    breakers.reset('p')
    expect(breakers.status('p')).toMatchObject({ state: 'closed', reason: 'reset by the operator' })
    expect(changes.at(-1)).toMatchObject({ from: 'open', to: 'closed', origin: 'operator' })
    breakers.isolate('p')
    expect(breakers.status('p')!.state).toBe('isolated')
    expect(changes.at(-1)).toMatchObject({ from: 'closed', to: 'isolated', origin: 'operator' })
    expect(await breakers.run('p', async () => ok)).toBe('held')
    breakers.reset('p')
    expect(breakers.allowance('p', Date.now())).toBe(Infinity)
    expect(changes.map((c) => `${c.from}>${c.to}`)).toEqual(['closed>open', 'open>closed', 'closed>isolated', 'isolated>closed'])
  })
})
