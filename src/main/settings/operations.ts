/**
 * The contract's saveSetting: a setting every process on the queue shares, written to the
 * store through a running engine (`genops --server URL settings set`); the engines on the
 * queue take a live one within their poll. A setting of settings.json belongs to one
 * machine and is refused: it is changed there.
 */
import type { z } from 'zod'
import { OperationError, type OperationHandlers } from '../../shared/contract'
import type { QueueStore } from '../queue/store'
import { SETTINGS_FILE, SettingsError, settingSpec } from './catalogue'
import { readSharedSettings, writeSharedSetting } from './shared'

/** `schema` is the engine's config schema, which checks the value; without an engine, `genops settings set` writes the store itself. */
export function settingHandlers(
  store: Pick<QueueStore, 'sharedSettings' | 'setSharedSetting'>,
  schema: z.ZodType | undefined,
): OperationHandlers<'saveSetting'> {
  return {
    saveSetting: async ({ key, value }) => {
      if (!schema) throw new OperationError('NOT_FOUND', 'shared settings are changed through a running engine: use `genops settings set`')
      try {
        if (settingSpec(key).home === SETTINGS_FILE) {
          throw new SettingsError(`${key} lives in ${SETTINGS_FILE} on each machine: change it there, with \`genops settings set\``)
        }
        await writeSharedSetting(store, schema, key, value)
      } catch (error) {
        if (error instanceof SettingsError) throw new OperationError('INVALID_INPUT', error.message)
        throw error
      }
      const stored = (await readSharedSettings(store, schema)).find((setting) => setting.spec.key === key)?.stored
      return stored === undefined ? { key } : { key, value: stored as z.core.util.JSONType }
    },
  }
}
