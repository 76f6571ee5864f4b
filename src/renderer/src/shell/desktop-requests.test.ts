import { describe, expect, test, vi } from 'vitest'
import type { IntakePreview } from '../../../shared/intake'
import type { Client } from '../api'
import { createIntakeStore } from '../features/intake/intake'
import { applyDesktopRequest } from './desktop-requests'

const ID = '6f1c3a55-1d0e-4b7e-9d59-2a61f0a4c2b1'
const preview: IntakePreview = {
  intakeId: ID,
  files: [{ name: 'prompts.txt', format: 'txt', ok: true, jobs: 3, errors: [], moreErrors: 0 }],
  totalJobs: 3,
  expiresAt: 0,
}

function engine() {
  const client = {
    listProviders: vi.fn(async () => ({ profiles: [] })),
    cancelIntake: vi.fn(async () => ({ cancelled: true })),
    commitIntake: vi.fn(async () => ({ batchId: 1, batchName: 'prompts.txt', jobIds: [1, 2, 3], duplicates: 0, files: [], refusedFiles: [] })),
    // The dialog asks for an estimate and listens for a big load's progress; neither is what these tests look at.
    estimateIntake: vi.fn(() => new Promise(() => {})),
    onEvent: vi.fn(() => () => {}),
  }
  return { client, intake: createIntakeStore(client as unknown as Client) }
}

describe('what the desktop shell asks of the window', () => {
  test('show moves to the place it names, and only to a place in this window', () => {
    const setHash = vi.fn()
    const showPreview = vi.fn()
    applyDesktopRequest({ type: 'show', data: { route: '#/alerts' } }, { setHash, showPreview })
    applyDesktopRequest({ type: 'show', data: { route: 'https://example.com/' } }, { setHash, showPreview })
    expect(setHash.mock.calls).toEqual([['#/alerts']])
  })

  test('files opened show in the drop dialog as a drop would, and enqueue from there', async () => {
    const { client, intake } = engine()
    applyDesktopRequest({ type: 'filesOpened', data: preview }, { setHash: vi.fn(), showPreview: (p) => intake.getState().showPreview(p) })
    expect(intake.getState()).toMatchObject({ phase: 'preview', intakeId: ID, totalJobs: 3, files: preview.files })
    await intake.getState().commit()
    expect(client.commitIntake).toHaveBeenCalledWith({ intakeId: ID, defaults: {}, lane: 'realtime' })
    expect(intake.getState().phase).toBe('done')
  })

  test('files opened while a drop is in hand leave that drop alone, and say so', () => {
    const { client, intake } = engine()
    intake.getState().showPreview(preview)
    const other = { ...preview, intakeId: '0b7d4a8e-53c2-4f4e-a3c8-7d1e1f6b9a20', files: [{ ...preview.files[0]!, name: 'more.txt' }] }
    intake.getState().showPreview(other)
    expect(intake.getState()).toMatchObject({ intakeId: ID, files: preview.files })
    expect(intake.getState().problem).toBe('more.txt was opened while 1 file waited here: open it again once these are enqueued or cancelled.')
    expect(client.cancelIntake).toHaveBeenCalledWith({ intakeId: other.intakeId })
  })
})
