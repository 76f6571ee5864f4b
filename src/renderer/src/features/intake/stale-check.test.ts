/**
 * Found by a hostile read: the drop dialog listens for its file's `intakeCheck` events until
 * previewIntake answers. Cancel does not end that call (a first file has no intake id yet,
 * so the engine is not even told), so the listener of the cancelled drop lives on; once the
 * operator dropped other files, the old file's check events took over the new drop's
 * progress. A cancelled drop's listener now ignores them.
 */
import { describe, expect, test, vi } from 'vitest'
import type { EngineEvent, OperationInput } from '../../../../shared/contract'
import type { IntakePreview } from '../../../../shared/intake'
import type { Client } from '../../api'
import { createIntakeStore } from './intake'
import type { ReadFile } from './read-file'

const ID = '6f1c3a55-1d0e-4b7e-9d59-2a61f0a4c2b1'

/** An engine whose previews answer only when the test says so, and that tells events to the window's listeners. */
function slowEngine() {
  const pending: { checkId: string | undefined; name: string; answer: () => void }[] = []
  const previewIntake = vi.fn(
    ({ checkId, files }: OperationInput<'previewIntake'>) =>
      new Promise<IntakePreview>((resolve) => {
        const name = files[0]!.name
        pending.push({
          checkId,
          name,
          answer: () => resolve({ intakeId: ID, files: [{ name, format: 'jsonl', ok: true, jobs: 1, errors: [], moreErrors: 0 }], totalJobs: 1, expiresAt: 0 }),
        })
      }),
  )
  const listeners = new Set<(event: EngineEvent) => void>()
  const client = {
    previewIntake,
    cancelIntake: vi.fn(async () => ({ cancelled: true })),
    listProviders: vi.fn(async () => ({ profiles: [] })),
    estimateIntake: vi.fn(async () => new Promise(() => {})),
    onEvent: (listener: (event: EngineEvent) => void) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  } as unknown as Client
  const emit = (event: EngineEvent) => listeners.forEach((listener) => listener(event))
  return { client, pending, emit }
}

const file = (name: string, size = 1000) => new File([new Uint8Array(size)], name)
const readNow: ReadFile = async (f) => Buffer.from(await f.arrayBuffer()).toString('base64')

describe("a cancelled drop's check", () => {
  test("does not show on the next drop's progress", async () => {
    const engine = slowEngine()
    const store = createIntakeStore(engine.client, readNow)
    // A big file is being checked; the operator cancels, then drops another file.
    void store.getState().take([file('old-big.jsonl')])
    await vi.waitFor(() => expect(engine.pending).toHaveLength(1))
    await store.getState().cancel()
    void store.getState().take([file('new.jsonl')])
    await vi.waitFor(() => expect(engine.pending).toHaveLength(2))
    expect(store.getState().progress).toMatchObject({ name: 'new.jsonl', step: 'checking' })
    // The engine goes on checking the cancelled file, and says so.
    const old = engine.pending[0]!
    engine.emit({ type: 'intakeCheck', data: { checkId: old.checkId!, name: 'old-big.jsonl', line: 400_000, lines: 1_000_000 } })
    const shown = store.getState().progress
    expect({ name: shown?.name, checked: shown?.checked }).toEqual({ name: 'new.jsonl', checked: undefined })
  })
})
