/**
 * This process's settings: `settings.json` in the data directory, `GENOPS_*` variables and
 * the flags of `serve` and `run`, in that rising order of precedence over the engine's
 * defaults. A file that does not parse, or that names a key which is not a process setting,
 * or whose value the engine's schema refuses, is refused with the file, the key and why.
 * `genops settings set` writes the file, keeping the previous valid one as settings.json.bak.
 */
import { chmodSync, copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { z } from 'zod'
import { PRIVATE_FILE_MODE } from '../paths'
import { STORE_URL, STORE_URL_PROBLEM } from '../store/store-url'
import { checkValue, getPath, setPath, SETTINGS, SETTINGS_FILE, SettingsError, fromText, unknownKeys, type SettingSpec } from './catalogue'

export const settingsFile = (dataDir: string): string => join(dataDir, SETTINGS_FILE)
export const settingsBackup = (dataDir: string): string => `${settingsFile(dataDir)}.bak`

export type SettingSource = 'flag' | 'variable' | 'file' | 'default'

export interface ResolvedSetting {
  spec: SettingSpec
  value: unknown
  source: SettingSource
}

const PROCESS_SETTINGS = SETTINGS.filter((spec) => spec.home === SETTINGS_FILE)

/**
 * The file's settings, validated; {} when there is none. Throws a SettingsError naming the
 * file: when it does not parse, names a key that is not a process setting, or holds a value
 * the engine's schema refuses.
 */
export function readSettingsFile(dataDir: string, schema: z.ZodType): Record<string, unknown> {
  const file = settingsFile(dataDir)
  const parsed = parsedFile(file)
  return parsed === undefined ? {} : checkSettings(file, parsed, schema)
}

/** The file's JSON, undefined when there is no file; a SettingsError naming it when it cannot be read or parsed. */
function parsedFile(file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new SettingsError(`${file} cannot be read: ${(error as Error).message}`)
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown
  } catch (error) {
    throw new SettingsError(`${file} is not valid JSON: ${(error as Error).message}`)
  }
}

function checkSettings(file: string, value: unknown, schema: z.ZodType): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SettingsError(`${file} must hold a JSON object of settings`)
  const unknown = unknownKeys(value as Record<string, unknown>)
  if (unknown.length > 0) {
    const [key] = unknown
    const shared = SETTINGS.find((spec) => spec.key === key && spec.home === 'store')
    const why = shared ? 'it is shared by every process on the queue and lives in the store: `genops settings set`' : 'not a process setting'
    throw new SettingsError(`${file}: unknown key "${key}" (${why})${unknown.length > 1 ? `; also ${unknown.slice(1).join(', ')}` : ''}`)
  }
  for (const spec of PROCESS_SETTINGS) {
    const found = getPath(value, spec.key)
    if (found === undefined) continue
    try {
      checkValue(schema, spec.key, found)
    } catch (error) {
      throw new SettingsError(`${file}: ${(error as Error).message}`)
    }
  }
  return value as Record<string, unknown>
}

/**
 * Every process setting with its value and where it came from. `flags` are the values a
 * command's flags gave, by key (only those given); `defaults` is the engine's config parsed
 * from nothing but a data directory.
 */
export function resolveProcessSettings(
  dataDir: string,
  { schema, flags = {}, env = process.env, defaults }: { schema: z.ZodType; flags?: Record<string, unknown>; env?: NodeJS.ProcessEnv; defaults: unknown },
): ResolvedSetting[] {
  const file = readSettingsFile(dataDir, schema)
  return PROCESS_SETTINGS.map((spec): ResolvedSetting => {
    const flag = flags[spec.key]
    if (flag !== undefined) return { spec, value: checked(schema, spec, flag, spec.flag ?? spec.key), source: 'flag' }
    const variable = spec.env === undefined ? undefined : env[spec.env]
    if (variable !== undefined && variable !== '') {
      return { spec, value: checked(schema, spec, fromText(spec, variable, spec.env!), spec.env!), source: 'variable' }
    }
    const inFile = getPath(file, spec.key)
    if (inFile !== undefined) return { spec, value: inFile, source: 'file' }
    return { spec, value: getPath(defaults, spec.key), source: 'default' }
  })
}

function checked(schema: z.ZodType, spec: SettingSpec, value: unknown, where: string): unknown {
  try {
    return checkValue(schema, spec.key, value)
  } catch (error) {
    throw new SettingsError(`${where}: ${(error as Error).message}`)
  }
}

/**
 * The team store a command works on: the flag, else GENOPS_STORE, else settings.json's
 * `store`; undefined for the data directory's own SQLite file. Only that key of the file is
 * read and checked (the rest is an engine's to check at its start): a command that opens
 * the store is not refused for an unrelated key, and a file that does not parse is refused,
 * rather than taken for one that names no store.
 */
export function storeSetting(dataDir: string, flag: string | undefined, env = process.env): string | undefined {
  const check = (value: unknown, where: string): string => {
    if (typeof value !== 'string' || !STORE_URL.test(value)) throw new SettingsError(`${where}: ${STORE_URL_PROBLEM}`)
    return value
  }
  if (flag !== undefined) return check(flag, '--store')
  const variable = env.GENOPS_STORE
  if (variable !== undefined && variable !== '') return check(variable, 'GENOPS_STORE')
  const file = settingsFile(dataDir)
  const parsed = parsedFile(file)
  const value = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).store : undefined
  return value === undefined ? undefined : check(value, `${file}: store`)
}

/**
 * The engine config's part this process's settings make, from settings.json, the
 * variables and `flags` (by key): what the CLI's `serve` and `run` and the desktop app
 * start their engine with. Throws a SettingsError naming the file, the key and why.
 */
export function processSettings(dataDir: string, schema: z.ZodType, flags: Record<string, unknown> = {}, env = process.env): Record<string, unknown> {
  return processConfig(resolveProcessSettings(dataDir, { schema, flags, env, defaults: schema.parse({ dataDir }) }))
}

/** The engine config's part the process settings make: only those not left at their default. */
export function processConfig(resolved: readonly ResolvedSetting[]): Record<string, unknown> {
  const config: Record<string, unknown> = {}
  for (const { spec, value, source } of resolved) if (source !== 'default' && value !== undefined) setPath(config, spec.key, value)
  return config
}

/**
 * Sets one key in settings.json (undefined removes it), after checking the whole new file
 * against the schema. The file it replaces is kept as settings.json.bak when it was valid;
 * both are 0600.
 */
export function writeSetting(dataDir: string, schema: z.ZodType, key: string, value: unknown): void {
  const file = settingsFile(dataDir)
  let current: Record<string, unknown> = {}
  let currentValid = false
  try {
    current = readSettingsFile(dataDir, schema)
    currentValid = true
  } catch (error) {
    // A file that does not parse cannot be merged into: the user fixes it or removes it. One the schema refuses may be fixed by this very write.
    const text = readFileSync(file, 'utf8')
    try {
      current = JSON.parse(text) as Record<string, unknown>
    } catch {
      throw error
    }
  }
  const next = structuredClone(current)
  if (value === undefined) deletePath(next, key)
  else setPath(next, key, value)
  checkSettings(file, next, schema)
  if (currentValid && Object.keys(current).length > 0) {
    copyFileSync(file, settingsBackup(dataDir))
    chmodSync(settingsBackup(dataDir), PRIVATE_FILE_MODE)
  }
  const partial = `${file}.${process.pid}.tmp`
  writeFileSync(partial, `${JSON.stringify(next, null, 2)}\n`, { mode: PRIVATE_FILE_MODE })
  renameSync(partial, file)
}

function deletePath(target: Record<string, unknown>, key: string): void {
  const parts = key.split('.')
  const parent = getPath(target, parts.slice(0, -1).join('.'))
  const owner = parts.length === 1 ? target : parent
  if (typeof owner === 'object' && owner !== null) delete (owner as Record<string, unknown>)[parts.at(-1)!]
}
