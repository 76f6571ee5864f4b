import { describe, expect, test, vi } from 'vitest'
import { ApiError, type Client } from '../../api'
import { createBundleStore } from './bundle'

describe('exporting a diagnostic bundle', () => {
  test('busy, then where the zip is; or the error in words', async () => {
    const bundle = { path: '/data/bundles/genops-diagnostics.zip', bytes: 20_480, files: 9, problems: ['logs: none written yet'] }
    const exportBundle = vi.fn().mockResolvedValueOnce(bundle).mockRejectedValueOnce(new ApiError('INTERNAL', 'disk full'))
    const store = createBundleStore({ exportBundle } as unknown as Client)
    const first = store.getState().exportBundle()
    expect(store.getState().phase).toBe('busy')
    await first
    expect(store.getState()).toMatchObject({ phase: 'done', bundle, problem: null })
    await store.getState().exportBundle()
    expect(store.getState()).toMatchObject({ phase: 'error', bundle: null, problem: 'No bundle was written: disk full' })
  })
})
