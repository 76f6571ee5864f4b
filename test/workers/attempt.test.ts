/**
 * One attempt as a worker runs it (the piscina entry called directly): the simulator's
 * faults and latency, the attempt's time limits, and the checks on its output.
 */
import { describe, expect, it } from 'vitest'
import { drawFault, sim } from '../../src/workers/providers/sim'
import runAttempt from '../../src/workers/attempt'
import { renderPrompt } from '../../src/workers/render'
import type { AttemptTask } from '../../src/workers/protocol'

let nextId = 1
const task = (config: Record<string, unknown>, overrides: Partial<AttemptTask> = {}): AttemptTask => ({
  id: nextId++,
  attempt: 1,
  provider: 'sim',
  model: null,
  prompt: 'Write a haiku about queues.',
  config,
  batchId: null,
  artifactsDir: null,
  channel: 'genops-test-attempts',
  ...overrides,
})

const noFaults = { rateLimit: 0, unavailable: 0, timeout: 0, reset: 0, auth: 0, invalidOutput: 0 }

describe('the simulator', () => {
  it('writes the same text for the same prompt and seed, and other text for another seed', async () => {
    const [a, b, c] = await Promise.all([runAttempt(task({})), runAttempt(task({})), runAttempt(task({ seed: 7 }))])
    expect(a).toMatchObject({ ok: true })
    expect(a.ok && b.ok && a.output === b.output).toBe(true)
    expect(a.ok && c.ok && a.output !== c.output).toBe(true)
  })

  it('draws faults at their rates, the same way for the same attempt', () => {
    let seed = 1
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646
    const counts: Record<string, number> = {}
    for (let i = 0; i < 20_000; i++) {
      const fault = drawFault({ ...noFaults, rateLimit: 0.2, reset: 0.1 }, random) ?? 'none'
      counts[fault] = (counts[fault] ?? 0) + 1
    }
    expect(counts.rateLimit! / 20_000).toBeCloseTo(0.2, 1)
    expect(counts.reset! / 20_000).toBeCloseTo(0.1, 1)
    expect(counts.none! / 20_000).toBeCloseTo(0.7, 1)
  })

  it.each([
    ['rateLimit', 'RATE_LIMIT', true],
    ['unavailable', 'SERVICE_UNAVAILABLE', true],
    ['reset', 'NETWORK', true],
    ['auth', 'AUTH', false],
  ] as const)('injects %s as %s (retryable %s)', async (fault, category, retryable) => {
    const outcome = await runAttempt(task({ faults: { [fault]: 1 }, retryAfterMs: 2500 }))
    expect(outcome).toMatchObject({ ok: false, category, retryable })
    if (fault === 'rateLimit') expect(outcome).toMatchObject({ retryAfterMs: 2500 })
  })

  it('streams progress over its latency and reports the first token', async () => {
    const updates: number[] = []
    const outcome = await sim.generate(
      { prompt: 'p', attempt: 1, model: null, config: { latencyMs: 100, outputTokens: 10 } },
      { signal: new AbortController().signal, onProgress: (tokens) => updates.push(tokens) },
    )
    expect(outcome.outputTokens).toBe(10)
    expect(updates).toHaveLength(10)
    expect(updates.at(-1)).toBe(10)
  })

  it('refuses a config it cannot honour, naming the field', async () => {
    expect(await runAttempt(task({ latencyMs: -1 }))).toMatchObject({
      ok: false,
      category: 'VALIDATION',
      message: expect.stringContaining('sim: config.latencyMs'),
    })
    expect(await runAttempt(task({ faults: { meteor: 1 } }))).toMatchObject({ ok: false, category: 'VALIDATION' })
  })
})

describe('time limits', () => {
  it('stops an attempt that runs past its limit, as a retryable TIMEOUT', async () => {
    const outcome = await runAttempt(task({ latencyMs: 60_000, timeoutMs: 50 }))
    expect(outcome).toMatchObject({ ok: false, category: 'TIMEOUT', retryable: true, message: 'the attempt took longer than its limit of 50 ms' })
  })

  it('stops a provider that never sends a first token', async () => {
    const outcome = await runAttempt(task({ faults: { timeout: 1 }, firstTokenTimeoutMs: 30 }))
    expect(outcome).toMatchObject({ ok: false, category: 'TIMEOUT', message: 'no first token within 30 ms' })
  })

  it('lets a slow but streaming attempt through the first-token limit', async () => {
    const outcome = await runAttempt(task({ latencyMs: 200, firstTokenMs: 10, firstTokenTimeoutMs: 100 }))
    expect(outcome).toMatchObject({ ok: true })
  })

  it('refuses a limit that is not a positive number of milliseconds', async () => {
    expect(await runAttempt(task({ timeoutMs: 'soon' }))).toMatchObject({
      ok: false,
      category: 'VALIDATION',
      message: expect.stringContaining('config.timeoutMs'),
    })
  })
})

describe('prompt templates', () => {
  it('fills {{placeholders}} from the job variables', () => {
    expect(renderPrompt('Describe {{ product }} for {{audience}}, {{n}} words.', { product: 'a mug', audience: 'cooks', n: 50 })).toBe(
      'Describe a mug for cooks, 50 words.',
    )
    expect(renderPrompt('No placeholders here.', undefined)).toBe('No placeholders here.')
  })

  it('fails a job whose prompt names a variable it does not have', async () => {
    expect(await runAttempt(task({ vars: { a: 1 } }, { prompt: 'Use {{a}} and {{b}}.' }))).toMatchObject({
      ok: false,
      category: 'VALIDATION',
      message: 'the prompt uses {{b}} but the job has no such variable',
    })
  })

  it('gives the provider the rendered prompt', async () => {
    const [rendered, literal] = await Promise.all([
      runAttempt(task({ vars: { topic: 'queues' } }, { prompt: 'About {{topic}}' })),
      runAttempt(task({}, { prompt: 'About queues' })),
    ])
    expect(rendered.ok && literal.ok && rendered.output === literal.output).toBe(true)
  })
})

describe('output checks', () => {
  it('accepts JSON a job asked for, and JSON that matches its schema', async () => {
    expect(await runAttempt(task({ output: 'json' }))).toMatchObject({ ok: true, output: expect.stringMatching(/^\{"text":/) })
    const schema = { type: 'object', required: ['text'], properties: { text: { type: 'string' } } }
    expect(await runAttempt(task({ output: { schema } }))).toMatchObject({ ok: true })
  })

  it('fails output that is not JSON, or does not match, as VALIDATION with the reason', async () => {
    expect(await runAttempt(task({ output: 'json', faults: { ...noFaults, invalidOutput: 1 } }))).toMatchObject({
      ok: false,
      category: 'VALIDATION',
      retryable: false,
      message: expect.stringContaining('not valid JSON'),
    })
    const schema = { type: 'object', required: ['title'] }
    expect(await runAttempt(task({ output: { schema } }))).toMatchObject({
      ok: false,
      category: 'VALIDATION',
      message: "the output does not match the schema: output must have required property 'title'",
    })
    expect(await runAttempt(task({ output: 'xml' }))).toMatchObject({
      ok: false,
      category: 'VALIDATION',
      message: 'sim: config.output: output must be "text", "json" or {"schema": {...}}',
    })
  })
})
