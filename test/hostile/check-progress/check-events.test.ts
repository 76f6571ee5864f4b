/**
 * Found by a hostile read: a big dropped file's check is told as `intakeCheck` events (line N
 * of M), spaced by the EventHub, which keeps when each check id was last told until its last
 * step (line >= lines). A file refused midway never sent one, so its id stayed in the hub
 * for good; a CSV with CR line ends told lines past the file's count. A refused check now
 * tells its last step, and lines are counted as the parsers count them. Wired here exactly
 * as the engine wires it (engine.ts: checkProgress -> hub.intakeCheck), with the real thread.
 */
import { describe, expect, it, vi } from 'vitest'
import type { EngineEvent, EngineEvents, OperationInput } from '../../../src/shared/contract'
import { EventHub } from '../../../src/main/event-hub'
import { intakeHandlers } from '../../../src/main/intake/operations'
import { THREAD_THRESHOLD_BYTES } from '../../../src/main/intake/limits'
import { createHandlers, invoke, type Handlers } from '../../../src/main/operations'
import { tempStore } from '../../support/queue'

const base64 = (text: string) => Buffer.from(text).toString('base64')

function setUp(progressMs = 250) {
  const store = tempStore()
  const hub = new EventHub(async () => store.stats(Date.now()), { changesMs: 100, countsMs: 250, progressMs, maxChanges: 500 })
  const checks: EngineEvents['intakeCheck'][] = []
  // A window is open: the hub tells it.
  hub.subscribe((event: EngineEvent) => {
    if (event.type === 'intakeCheck') checks.push(event.data)
  })
  const runtime = {
    countsMayChange: vi.fn(),
    kick: vi.fn(),
    reloadGates: vi.fn(async () => {}),
    checkProgress: (progress: EngineEvents['intakeCheck']) => hub.intakeCheck(progress),
  }
  const handlers = { ...createHandlers(store), ...intakeHandlers(store, runtime) } as Handlers
  const call = (input: OperationInput<'previewIntake'>) => invoke(handlers, 'previewIntake', input)
  const toldAt = () => (hub as unknown as { toldAt: Map<string, number> }).toldAt
  return { hub, call, checks, toldAt }
}

describe("a big file's check events", () => {
  it('leave nothing behind in the hub when the file is refused midway (a leak a drop)', async () => {
    const { hub, call, checks, toldAt } = setUp()
    // 6,000 good lines, then one that is not JSON: the thread sends five messages of jobs, then refuses the file.
    const good = Array.from({ length: 6000 }, (_, i) => JSON.stringify({ prompt: `Describe item ${i} in one paragraph, with care.` }))
    const text = [...good, '{ not json'].join('\n')
    expect(Buffer.byteLength(text)).toBeGreaterThan(THREAD_THRESHOLD_BYTES)
    const drops = 5
    for (let i = 0; i < drops; i++) {
      const preview = await call({ checkId: crypto.randomUUID(), files: [{ name: 'late-bad.jsonl', contentBase64: base64(text) }] })
      expect(preview.files[0]!.ok).toBe(false)
    }
    hub.close()
    // The checks were told (so each id went into the map)...
    expect(new Set(checks.map((check) => check.checkId)).size).toBe(drops)
    // ...and none reached its last line, so none was ever deleted: one entry a refused big drop, for as long as the engine runs.
    expect({ left: toldAt().size }).toEqual({ left: 0 })
  }, 60_000)

  it('never tells a line past the file\'s last (a CSV saved with CR line ends, "CSV (Macintosh)")', async () => {
    const { hub, call, checks } = setUp()
    const rows = Array.from({ length: 6000 }, (_, i) => `"Describe item ${i} in one paragraph, with care and in some detail.",${i}`)
    const text = ['prompt,sku', ...rows].join('\r')
    expect(Buffer.byteLength(text)).toBeGreaterThan(THREAD_THRESHOLD_BYTES)
    const preview = await call({ checkId: crypto.randomUUID(), files: [{ name: 'mac.csv', contentBase64: base64(text) }] })
    hub.close()
    expect(preview.files[0]).toMatchObject({ ok: true, jobs: 6000 })
    // The dialog shows `line N of M` and a bar of N/M: N past M is a bar over 100% ("line 1,002 of 1").
    const past = checks.filter((check) => check.line > check.lines)
    expect(past.map(({ line, lines }) => `line ${line} of ${lines}`)).toEqual([])
  }, 60_000)
})
