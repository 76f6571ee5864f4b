/** The contract's saveSetting, as `genops --server URL settings set` reaches it: store-wide settings only, checked by the engine's schema. */
import { describe, expect, it } from 'vitest'
import { OperationError } from '../../src/shared/contract'
import { EngineConfig } from '../../src/main/engine'
import { createHandlers, invoke } from '../../src/main/operations'
import { readSharedSettings } from '../../src/main/settings/shared'
import { tempStore } from '../support/queue'

const quiet = { jobsChanged() {}, countsMayChange() {}, abort() {}, paused() {}, kick() {}, profilesChanged: async () => {} }

describe('saveSetting', () => {
  it('writes a store-wide setting, and takes it back to its default without a value', async () => {
    const store = tempStore()
    const handlers = createHandlers(store, { ...quiet, settingsSchema: EngineConfig })
    expect(await invoke(handlers, 'saveSetting', { key: 'retention.dead.maxAgeMs', value: 259_200_000 })).toEqual({
      key: 'retention.dead.maxAgeMs',
      value: 259_200_000,
    })
    const stored = async () => (await readSharedSettings(store, EngineConfig)).find((setting) => setting.spec.key === 'retention.dead.maxAgeMs')?.stored
    expect(await stored()).toBe(259_200_000)
    expect(await invoke(handlers, 'saveSetting', { key: 'retention.dead.maxAgeMs' })).toEqual({ key: 'retention.dead.maxAgeMs' })
    expect(await stored()).toBeUndefined()
  })

  it("refuses a machine's own setting, an unknown key and a value the schema refuses, as bad input", async () => {
    const handlers = createHandlers(tempStore(), { ...quiet, settingsSchema: EngineConfig })
    const refusal = (input: unknown) => invoke(handlers, 'saveSetting', input).catch((error: unknown) => error)
    for (const [input, message] of [
      [{ key: 'logs.level', value: 'debug' }, 'logs.level lives in settings.json on each machine'],
      [{ key: 'no.such.setting', value: 1 }, 'unknown setting "no.such.setting"'],
      [{ key: 'retention.dead.maxAgeMs', value: 'soon' }, 'retention.dead.maxAgeMs'],
    ] as const) {
      const error = await refusal(input)
      expect(error).toBeInstanceOf(OperationError)
      expect((error as OperationError).code).toBe('INVALID_INPUT')
      expect((error as OperationError).message).toContain(message)
    }
  })

  it('is answered only by a running engine, which knows the schema', async () => {
    const error = await invoke(createHandlers(tempStore()), 'saveSetting', { key: 'retention.dead.maxAgeMs', value: 1 }).catch((caught: unknown) => caught)
    expect((error as OperationError).code).toBe('NOT_FOUND')
  })
})
