/**
 * The drop dialog's new choices and its load progress, through a running engine's contract:
 * the estimate of a held drop with the choices on screen, the lane and "don't use cached
 * answers" carried to the jobs enqueued, and a big drop's check and load told as `intakeCheck` and `intakeLoad` events
 * (the first and last at once, the ones between spaced) to its end.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { EngineEvents } from '../../src/shared/contract'
import { createEngine, type Engine } from '../../src/main/engine'
import { tempDir } from '../support/temp'

const engines: Engine[] = []
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close(1000)))
})

async function start(): Promise<Engine> {
  const engine = await createEngine({ dataDir: tempDir(), threads: 1, pollMs: 20 })
  engines.push(engine)
  // Nothing runs: these tests look at what is enqueued, not at what the jobs do.
  await engine.call('pauseQueue', {})
  return engine
}

const jsonl = (lines: readonly object[]) => Buffer.from(lines.map((line) => JSON.stringify(line)).join('\n')).toString('base64')

describe('the drop dialog through the contract', () => {
  it('estimates a held drop with the choices made, and enqueues it with the lane and cache chosen', async () => {
    const engine = await start()
    await engine.call('saveProvider', { name: 'work', provider: 'openai', model: 'gpt-4o-mini' })
    const prompts = [{ prompt: 'Name a river.' }, { prompt: 'Name a lake.', config: { maxTokens: 50 } }]
    const { intakeId } = await engine.call('previewIntake', { files: [{ name: 'p.jsonl', contentBase64: jsonl(prompts) }] })

    const onSim = await engine.call('estimateIntake', { intakeId })
    expect(onSim).toMatchObject({ lane: 'realtime', jobs: 2, batchOffered: false, groups: [{ provider: 'sim', inputCounting: { method: 'estimate' } }] })
    const onWork = await engine.call('estimateIntake', { intakeId, defaults: { provider: 'work' }, lane: 'batch', cache: false })
    expect(onWork).toMatchObject({ lane: 'batch', batchOffered: true, groups: [{ provider: 'work', inputCounting: { method: 'tokenizer' } }] })
    expect(onWork.batchUsd).toBeCloseTo(onWork.realtimeUsd! / 2, 12)
    expect(onWork.notes).toContain('some jobs do not use the response cache (cache off for them): they are not looked up')

    const committed = await engine.call('commitIntake', { intakeId, defaults: { provider: 'work' }, lane: 'batch', cache: false })
    const configs = await Promise.all(committed.jobIds.map(async (id) => (await engine.call('getJob', { id })).config))
    expect(configs).toEqual([
      { lane: 'batch', cache: false },
      { maxTokens: 50, lane: 'batch', cache: false },
    ])
  })

  it('leaves a job its own lane and cache when the dialog says nothing of them', async () => {
    const engine = await start()
    const { intakeId } = await engine.call('previewIntake', { files: [{ name: 'p.jsonl', contentBase64: jsonl([{ prompt: 'Name a sea.' }]) }] })
    const { jobIds } = await engine.call('commitIntake', { intakeId })
    expect((await engine.call('getJob', { id: jobIds[0]! })).config).toEqual({})
  })

  it("tells a big drop's check and load to the window as they go, their first and last steps at once", async () => {
    const engine = await start()
    const told: EngineEvents['intakeLoad'][] = []
    const checked: EngineEvents['intakeCheck'][] = []
    engine.subscribe((event) => {
      if (event.type === 'intakeLoad') told.push(event.data)
      if (event.type === 'intakeCheck') checked.push(event.data)
    })
    const lines = Array.from({ length: 20_000 }, (_, i) => ({ prompt: `prompt ${i}` }))
    const checkId = '0b7d4a8e-53c2-4f4e-a3c8-7d1e1f6b9a20'
    const { intakeId } = await engine.call('previewIntake', { checkId, files: [{ name: 'big.jsonl', contentBase64: jsonl(lines) }] })
    expect(checked.length).toBeGreaterThanOrEqual(2)
    expect(checked.every((event) => event.checkId === checkId && event.name === 'big.jsonl' && event.lines === 20_000)).toBe(true)
    expect(checked[0]!.line).toBeLessThan(20_000)
    expect(checked.at(-1)!.line).toBe(20_000)
    const { batchId, jobIds } = await engine.call('commitIntake', { intakeId })
    expect(jobIds).toHaveLength(20_000)
    expect(told.length).toBeGreaterThanOrEqual(2)
    expect(told.every((event) => event.intakeId === intakeId && event.batchId === batchId && event.total === 20_000)).toBe(true)
    const loaded = told.map((event) => event.loaded)
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b))
    expect(loaded[0]).toBeLessThan(20_000)
    expect(loaded.at(-1)).toBe(20_000)

    // A drop under the store's slicing threshold loads in one transaction: nothing to tell.
    told.length = 0
    const small = await engine.call('previewIntake', { files: [{ name: 'small.jsonl', contentBase64: jsonl(lines.slice(0, 10)) }] })
    await engine.call('commitIntake', { intakeId: small.intakeId })
    expect(told).toEqual([])
  })
})
