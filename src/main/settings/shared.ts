/**
 * Settings every process on the queue shares (retention, backoff, breaker thresholds),
 * kept in the store behind its interface. An engine reads them at start, over its
 * defaults; a config its creator gave explicitly wins (a test, a bench). While it runs it
 * reads them again every SHARED_SETTINGS_POLL_MS and takes the live ones (retention and
 * backoff, which the scheduler reads at each use); breaker thresholds wait for the next start.
 */
import type { z } from 'zod'
import type { QueueStore } from '../queue/store'
import { checkValue, getPath, SETTINGS, SHARED_SETTINGS_POLL_MS, SettingsError, setPath, type SettingSpec } from './catalogue'

export const SHARED_SETTINGS = SETTINGS.filter((spec) => spec.home === 'store')

export interface SharedSetting {
  spec: SettingSpec
  /** What the store holds; undefined when it holds nothing (or nothing valid) for the key. */
  stored: unknown
  /** Why a stored value is ignored, when it is. */
  problem?: string
}

/** The store's shared settings, each checked against the engine's schema. */
export async function readSharedSettings(store: Pick<QueueStore, 'sharedSettings'>, schema: z.ZodType): Promise<SharedSetting[]> {
  const stored = await store.sharedSettings()
  return SHARED_SETTINGS.map((spec) => {
    if (!stored.has(spec.key)) return { spec, stored: undefined }
    try {
      return { spec, stored: checkValue(schema, spec.key, stored.get(spec.key)) }
    } catch (error) {
      return { spec, stored: undefined, problem: `the store's value is ignored: ${(error as Error).message}` }
    }
  })
}

/** Checks and writes one shared setting (undefined removes it, so the default applies). */
export async function writeSharedSetting(store: Pick<QueueStore, 'setSharedSetting'>, schema: z.ZodType, key: string, value: unknown): Promise<void> {
  const spec = SHARED_SETTINGS.find((setting) => setting.key === key)
  if (!spec) throw new SettingsError(`${key} is not a setting of the store`)
  await store.setSharedSetting(key, value === undefined ? undefined : checkValue(schema, key, value))
}

/** Removes one shared setting so its default applies again; whether the store held it. */
export async function unsetSharedSetting(store: Pick<QueueStore, 'sharedSettings' | 'setSharedSetting'>, key: string): Promise<boolean> {
  if (!SHARED_SETTINGS.some((setting) => setting.key === key)) throw new SettingsError(`${key} is not a setting of the store`)
  const held = (await store.sharedSettings()).has(key)
  // Removed either way: a row that is not JSON reads as not held, and is gone after too.
  await store.setSharedSetting(key, undefined)
  return held
}

export interface SharedSettingsFollower {
  stop(): void
}

/**
 * Applies the store's shared settings to `config` (the engine's parsed config) in place,
 * now and then every SHARED_SETTINGS_POLL_MS for the live ones. Keys `explicit` (the
 * engine's input) names are left alone. `defaults` restores a key the store no longer holds.
 */
export async function followSharedSettings(parts: {
  store: Pick<QueueStore, 'sharedSettings'>
  schema: z.ZodType
  config: Record<string, unknown>
  explicit: unknown
  defaults: unknown
  onError: (error: unknown, during: string) => void
  warn: (message: string) => void
  intervalMs?: number
}): Promise<SharedSettingsFollower> {
  const { config, explicit, defaults } = parts
  const warned = new Set<string>()
  const apply = async (only: (spec: SettingSpec) => boolean) => {
    for (const { spec, stored, problem } of await readSharedSettings(parts.store, parts.schema)) {
      if (!only(spec) || getPath(explicit, spec.key) !== undefined) continue
      if (problem && !warned.has(spec.key)) {
        warned.add(spec.key)
        parts.warn(`setting ${spec.key}: ${problem}`)
      }
      // Leaves are set in place: the scheduler holds the same retention and backoff objects.
      setPath(config, spec.key, stored ?? getPath(defaults, spec.key))
    }
  }
  // The schema's defaults may hand out its own objects: the engine's copy is changed in place, never theirs.
  for (const top of new Set(SHARED_SETTINGS.map((spec) => spec.key.split('.')[0]!))) config[top] = structuredClone(config[top])
  await apply(() => true)
  const timer = setInterval(() => {
    apply((spec) => spec.live === true).catch((error: unknown) => parts.onError(error, 'reading the shared settings'))
  }, parts.intervalMs ?? SHARED_SETTINGS_POLL_MS)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
