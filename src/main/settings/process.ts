/**
 * This process's settings: `settings.json` in the data directory, `GENOPS_*` variables and
 * the flags of `serve` and `run`, in that rising order of precedence over the engine's
 * defaults. A file that does not parse, or that names a key which is not a process setting,
 * or whose value the engine's schema refuses, is refused with the file, the key and why.
 * `genops settings set` and `unset` write the file, keeping the previous valid one as settings.json.bak.
 */
import { chmodSync, copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
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
 * One process setting a command needs without an engine: the flag, else its variable, else
 * settings.json's value; undefined when none sets it. Only that key of the file is read and
 * checked (the rest is an engine's to check at its start): a command is not refused for an
 * unrelated key, and a file that does not parse is refused, rather than taken for one that
 * does not set it. `check` throws the problem's words for a value it cannot use.
 */
function oneSetting(dataDir: string, key: string, flag: string | undefined, env: NodeJS.ProcessEnv, check: (value: unknown) => string): string | undefined {
  const spec = SETTINGS.find((each) => each.key === key)!
  const checked = (value: unknown, where: string): string => {
    try {
      return check(value)
    } catch (error) {
      throw new SettingsError(`${where}: ${(error as Error).message}`)
    }
  }
  if (flag !== undefined) return checked(flag, spec.flag ?? key)
  const variable = spec.env === undefined ? undefined : env[spec.env]
  if (variable !== undefined && variable !== '') return checked(variable, spec.env!)
  const file = settingsFile(dataDir)
  const value = getPath(parsedFile(file), key)
  return value === undefined ? undefined : checked(value, `${file}: ${key}`)
}

/** The team store a command works on (--store, GENOPS_STORE, settings.json); undefined for the data directory's own SQLite file. */
export function storeSetting(dataDir: string, flag: string | undefined, env = process.env): string | undefined {
  return oneSetting(dataDir, 'store', flag, env, (value) => {
    if (typeof value !== 'string' || !STORE_URL.test(value)) throw new Error(STORE_URL_PROBLEM)
    return value
  })
}

/** The team key file a command seals and opens profiles' keys with (GENOPS_TEAM_KEY_FILE, settings.json), resolved against the data directory. */
export function teamKeyFileSetting(dataDir: string, env = process.env): string | undefined {
  const file = oneSetting(dataDir, 'teamKeyFile', undefined, env, (value) => {
    if (typeof value !== 'string' || value === '') throw new Error('teamKeyFile must name a file')
    return value
  })
  return file === undefined ? undefined : resolve(dataDir, file)
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
  if (value === undefined) unsetSetting(dataDir, schema, key)
  else
    rewriteSettings(dataDir, schema, (next) => {
      setPath(next, key, value)
      return true
    })
}

/**
 * Removes one key from settings.json, and the objects it leaves empty (`metrics.exporter.port`
 * takes `metrics` with it when nothing else is in there), as writeSetting writes. False, the
 * file untouched, when the file does not hold the key.
 */
export function unsetSetting(dataDir: string, schema: z.ZodType, key: string): boolean {
  return rewriteSettings(dataDir, schema, (next) => deletePath(next, key))
}

/** Applies `change` to a copy of the file's settings and writes it when `change` says it changed them. */
function rewriteSettings(dataDir: string, schema: z.ZodType, change: (next: Record<string, unknown>) => boolean): boolean {
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
  if (!change(next)) return false
  checkSettings(file, next, schema)
  if (currentValid && Object.keys(current).length > 0) {
    copyFileSync(file, settingsBackup(dataDir))
    chmodSync(settingsBackup(dataDir), PRIVATE_FILE_MODE)
  }
  const partial = `${file}.${process.pid}.tmp`
  writeFileSync(partial, `${JSON.stringify(next, null, 2)}\n`, { mode: PRIVATE_FILE_MODE })
  renameSync(partial, file)
  return true
}

/** Removes a key and the objects it leaves empty; whether it was there. */
function deletePath(target: Record<string, unknown>, key: string): boolean {
  const [name, ...below] = key.split('.') as [string, ...string[]]
  if (!Object.hasOwn(target, name)) return false
  if (below.length === 0) {
    delete target[name]
    return true
  }
  const inner = target[name]
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner) || !deletePath(inner as Record<string, unknown>, below.join('.'))) return false
  if (Object.keys(inner).length === 0) delete target[name]
  return true
}
