/** The settings as a running engine shows them (the `listSettings` operation): the values it runs with. */
import type { z } from 'zod'
import type { SettingRow } from '../../shared/settings'
import type { QueueStore } from '../queue/store'
import { getPath, SETTINGS, SETTINGS_FILE, SHARED_SETTINGS_POLL_MS, shown, type SettingSpec } from './catalogue'
import { settingsFile } from './process'
import { readSharedSettings } from './shared'

export const appliesText = (spec: SettingSpec): string =>
  spec.home === SETTINGS_FILE || !spec.live ? 'at next start' : `within ${SHARED_SETTINGS_POLL_MS / 1000}s`

export async function engineSettingRows(parts: {
  dataDir: string
  config: unknown
  defaults: unknown
  store: Pick<QueueStore, 'sharedSettings'>
  schema: z.ZodType
}): Promise<SettingRow[]> {
  const shared = new Map((await readSharedSettings(parts.store, parts.schema)).map((setting) => [setting.spec.key, setting.stored]))
  return SETTINGS.map((spec) => ({
    key: spec.key,
    description: spec.description,
    lives: spec.home === SETTINGS_FILE ? settingsFile(parts.dataDir) : 'store',
    default: shown(spec, getPath(parts.defaults, spec.key)),
    value: shown(spec, getPath(parts.config, spec.key)),
    source: spec.home === SETTINGS_FILE ? 'running' : shared.get(spec.key) === undefined ? 'default' : 'store',
    ...(spec.flag === undefined ? {} : { flag: spec.flag, env: spec.env }),
    applies: appliesText(spec),
  }))
}
