/**
 * `genops settings list|get|set|unset`: both kinds of settings (src/main/settings), each with its
 * description, default, current value, where it comes from and where it lives. And the
 * flags of `serve` and `run` that set this process's settings over settings.json and the
 * `GENOPS_*` variables.
 */
import { type Command, InvalidArgumentError, Option } from 'commander'
import type { z } from 'zod'
import type { SettingRow } from '../shared/settings'
import { cacheLine } from './cli-cache'
import { CliError, common, print, printJson, withQueue, type Common } from './cli-support'
import type { EngineConfig } from './engine-config'
import type { OpenedStore } from './store/open'
import { databaseFile, dataDir, ensureDataDir } from './paths'
import { fromText, getPath, settingSpec, SETTINGS, SETTINGS_FILE, SettingsError, SHARED_SETTINGS_POLL_MS, shown, type SettingSpec } from './settings/catalogue'
import { processSettings, resolveProcessSettings, settingsFile, storeSetting, unsetSetting, writeSetting } from './settings/process'
import { appliesText } from './settings/rows'
import { readSharedSettings, unsetSharedSetting, writeSharedSetting } from './settings/shared'

/** The engine's config schema, which settings are checked against: imported when a command needs it, as it reaches much of the engine's code. */
const engineConfigSchema = async (): Promise<typeof EngineConfig> => (await import('./engine-config')).EngineConfig

/** The store of these options, opened by the commands that read or write it (not on every start). */
const openStore = async (options: Common) => (await import('./cli-store')).openCliStore(options.dataDir, options.store)

/** Attribute names commander gives the flags: --log-max-bytes is logMaxBytes. */
const attribute = (flag: string): string => flag.replace(/^--/, '').replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())

/** The flags of every process setting, for `serve` and `run`. */
export function addProcessSettingFlags(command: Command): Command {
  for (const spec of SETTINGS) {
    // --store comes with every command that opens the store (cli-support common).
    if (spec.flag === undefined || command.options.some((option) => option.long === spec.flag)) continue
    command.addOption(
      new Option(`${spec.flag} <value>`, `${spec.description} (default: ${spec.env}, else ${SETTINGS_FILE}, else the engine's)`).argParser((text: string) => {
        try {
          return fromText(spec, text, spec.flag!)
        } catch (error) {
          throw new InvalidArgumentError((error as Error).message)
        }
      }),
    )
  }
  return command
}

/**
 * The engine config's part this process's settings make (flag > variable > file >
 * default), from a command's options. A settings file that cannot be used is refused,
 * naming the file, the key and why.
 */
export async function processSettingsConfig(dir: string, options: Record<string, unknown>): Promise<Record<string, unknown>> {
  const flags: Record<string, unknown> = {}
  for (const spec of SETTINGS) if (spec.flag !== undefined && options[attribute(spec.flag)] !== undefined) flags[spec.key] = options[attribute(spec.flag)]
  const schema = await engineConfigSchema()
  try {
    return processSettings(dir, schema, flags)
  } catch (error) {
    if (error instanceof SettingsError) throw new CliError(error.message, 2)
    throw error
  }
}

async function settingRows(options: Common): Promise<SettingRow[]> {
  const schema = await engineConfigSchema()
  const defaults: unknown = schema.parse({ dataDir: dataDir(options.dataDir) })
  const rows = processRows(options, schema, defaults)
  const store = await openStore(options)
  try {
    return [...rows, ...(await sharedRows(store, schema, defaults))]
  } finally {
    await store.close()
  }
}

/** This process's settings as they resolve for these options, without opening the store. */
function processRows(options: Common, schema: typeof EngineConfig, defaults: unknown): SettingRow[] {
  const dir = dataDir(options.dataDir)
  // A store named with --store is shown as the flag's: the shared settings listed below are that store's.
  const resolved = resolveProcessSettings(dir, { schema, defaults, flags: options.store === undefined ? {} : { store: options.store } })
  return resolved.map(({ spec, value, source }) => ({
    key: spec.key,
    description: spec.description,
    lives: settingsFile(dir),
    default: shown(spec, getPath(defaults, spec.key)),
    value: shown(spec, value),
    source,
    flag: spec.flag,
    env: spec.env,
    applies: appliesText(spec),
  }))
}

async function sharedRows(store: OpenedStore, schema: typeof EngineConfig, defaults: unknown): Promise<SettingRow[]> {
  return (await readSharedSettings(store, schema)).map(({ spec, stored }) => {
    const fallback = getPath(defaults, spec.key)
    return {
      key: spec.key,
      description: spec.description,
      lives: 'store',
      default: fallback,
      value: stored ?? fallback,
      source: stored === undefined ? 'default' : 'store',
      applies: appliesText(spec),
    }
  })
}

const text = (value: unknown): string => (value === undefined ? '-' : typeof value === 'string' ? value : JSON.stringify(value))

function formatRows(rows: SettingRow[]): string {
  const table = [
    ['KEY', 'VALUE', 'SOURCE', 'DEFAULT', 'LIVES IN', 'APPLIES'],
    ...rows.map((row) => [row.key, text(row.value), row.source, text(row.default), row.lives === 'store' ? 'store' : SETTINGS_FILE, row.applies]),
  ]
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => row[column]!.length)))
  return table.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n')
}

function formatRow(row: SettingRow): string {
  return [
    `${row.key} = ${text(row.value)} (${row.source})`,
    `  ${row.description}`,
    `  default: ${text(row.default)}`,
    `  lives in: ${row.lives}${row.flag ? ` (also ${row.flag}, ${row.env})` : ''}`,
    `  a change applies ${row.applies}`,
  ].join('\n')
}

export function addSettingsCommands(program: Command): void {
  const settings = program.command('settings').description(`settings of this machine's engine (${SETTINGS_FILE}) and of every process on the queue (the store)`)

  common(settings.command('list').description('every setting: value, where it comes from, default, where it lives'), true).action(async (options: Common) => {
    const rows = options.server ? await serverRows(options) : await settingRows(options).catch(usage)
    if (options.json) {
      printJson(rows)
      return
    }
    print(formatRows(rows))
    if (options.server) print(`\nthe settings of ${SETTINGS_FILE} are each machine's own: \`genops settings list\` there shows them`)
    // The cache grows until it is cleared (cache.enabled says whether it is used): its size is shown beside the setting.
    print(`\n${cacheLine(await withQueue(options, (h) => h.cacheStats({})))}`)
  })

  common(settings.command('get').description('one setting, described'), true)
    .argument('<key>', 'like logs.level or retention.dead.maxAgeMs')
    .action(async (key: string, options: Common) => {
      const spec = known(key)
      if (options.server && spec.home === SETTINGS_FILE) throw machineOwn(spec, 'get')
      const rows = options.server ? await serverRows(options) : await settingRows(options).catch(usage)
      const row = rows.find((candidate) => candidate.key === spec.key)!
      if (options.json) printJson(row)
      else print(formatRow(row))
    })

  common(settings.command('set').description(`change a setting: in ${SETTINGS_FILE} (at next start) or in the store (every process on the queue)`))
    .argument('<key>', 'like logs.level or retention.dead.maxAgeMs')
    .argument('<value>', 'the new value ("default" removes it, so the default applies)')
    .action(async (key: string, value: string, options: Common) => {
      const spec = known(key)
      if (options.server && spec.home === SETTINGS_FILE) throw machineOwn(spec, 'set')
      const dir = dataDir(options.dataDir)
      try {
        const parsed = value === 'default' ? undefined : fromText(spec, value, spec.key)
        if (options.server) {
          const saved = await withQueue(options, (h) => h.saveSetting({ key: spec.key, value: parsed as z.core.util.JSONType | undefined }))
          print(storeSettingLine(spec, saved.value))
          return
        }
        const schema = await engineConfigSchema()
        if (spec.home === SETTINGS_FILE) {
          ensureDataDir(dir)
          writeSetting(dir, schema, spec.key, parsed)
          print(`${spec.key}: ${parsed === undefined ? 'default' : text(shown(spec, parsed))} in ${settingsFile(dir)}; applies at next start`)
          return
        }
        const store = await openStore(options)
        try {
          await writeSharedSetting(store, schema, spec.key, parsed)
        } finally {
          await store.close()
        }
        print(storeSettingLine(spec, parsed))
      } catch (error) {
        usage(error)
      }
    })

  common(settings.command('unset').description(`remove a setting from ${SETTINGS_FILE} or the store: a flag, a variable or its default gives it again`), true)
    .argument('<key>', 'like store, logs.level or retention.dead.maxAgeMs')
    .action(async (key: string, options: Common) => {
      const spec = known(key)
      if (options.server && spec.home === SETTINGS_FILE) throw machineOwn(spec, 'unset')
      const unset = await (
        options.server ? unsetOnServer(spec, options) : spec.home === SETTINGS_FILE ? unsetInFile(spec, options) : unsetInStore(spec, options)
      ).catch(usage)
      if (options.json) printJson(unset)
      else print(unsetLine(spec, unset))
    })
}

/** What `settings unset` did, and the setting as `settings get` now shows it. */
interface Unset {
  key: string
  /** False when it was not set there: nothing changed. */
  removed: boolean
  /** settings.json's path, or "store". */
  lives: string
  now: SettingRow
  /** For `store`: the queue the commands work on now (a team store's password masked). */
  queue?: { store: 'sqlite'; file: string } | { store: 'postgres'; url: string }
}

async function unsetInFile(spec: SettingSpec, options: Common): Promise<Unset> {
  const dir = dataDir(options.dataDir)
  const schema = await engineConfigSchema()
  const removed = unsetSetting(dir, schema, spec.key)
  const now = processRows(options, schema, schema.parse({ dataDir: dir })).find((row) => row.key === spec.key)!
  return { key: spec.key, removed, lives: settingsFile(dir), now, ...(spec.key === 'store' ? { queue: await queueNow(dir, options.store) } : {}) }
}

/** The queue commands open now, by the order cli-store takes: a team store named elsewhere still wins over the data directory's. */
async function queueNow(dir: string, storeFlag: string | undefined): Promise<NonNullable<Unset['queue']>> {
  const url = storeSetting(dir, storeFlag)
  if (url === undefined) return { store: 'sqlite', file: databaseFile(dir) }
  const { maskUrl } = await import('./store/postgres/connect')
  return { store: 'postgres', url: maskUrl(url) }
}

async function unsetInStore(spec: SettingSpec, options: Common): Promise<Unset> {
  const schema = await engineConfigSchema()
  const defaults: unknown = schema.parse({ dataDir: dataDir(options.dataDir) })
  const store = await openStore(options)
  try {
    const removed = await unsetSharedSetting(store, spec.key)
    const now = (await sharedRows(store, schema, defaults)).find((row) => row.key === spec.key)!
    return { key: spec.key, removed, lives: 'store', now }
  } finally {
    await store.close()
  }
}

async function unsetOnServer(spec: SettingSpec, options: Common): Promise<Unset> {
  const row = async () => (await serverRows(options)).find((candidate) => candidate.key === spec.key)!
  const removed = (await row()).source === 'store'
  await withQueue(options, (h) => h.saveSetting({ key: spec.key }))
  const now = await row()
  // The server shows the value its engine runs with, which takes the default at its next poll of the store.
  return { key: spec.key, removed, lives: 'store', now: now.source === 'default' ? { ...now, value: now.default } : now }
}

function unsetLine(spec: SettingSpec, { removed, lives, now, queue }: Unset): string {
  const where = lives === 'store' ? 'the store' : lives
  const still = now.source === 'variable' ? now.env : now.source === 'flag' ? now.flag : undefined
  const done = `${spec.key}: ${removed ? 'unset' : 'was not set'} in ${where}${still ? `, but still set by ${still}` : ''}`
  if (queue) {
    const named = queue.store === 'sqlite' ? `the data directory's SQLite queue (${queue.file})` : `the team store ${queue.url}`
    return `${done}; queue commands ${still ? 'use' : 'now use'} ${named}${removed && !still ? ', an engine from its next start' : ''}`
  }
  const applies = !removed || still ? '' : lives === 'store' ? `; ${storeApplies(spec)}` : '; applies at next start'
  return `${done}; ${still ? '' : 'now '}${text(now.value)} (${now.source})${applies}`
}

/** What a change of a store-wide setting says, here or through a server. */
function storeSettingLine(spec: SettingSpec, value: unknown): string {
  return `${spec.key}: ${value === undefined ? 'default' : text(value)} in the store, for every process on the queue; ${storeApplies(spec)}`
}

const storeApplies = (spec: SettingSpec): string =>
  spec.live ? `a running engine applies it within ${SHARED_SETTINGS_POLL_MS / 1000}s` : 'applies at next start'

/** The store-wide settings as the server's engine runs with them (--server); those of settings.json are each machine's own. */
async function serverRows(options: Common): Promise<SettingRow[]> {
  const { settings } = await withQueue(options, (h) => h.listSettings({}))
  return settings.filter((row) => row.lives === 'store')
}

/** A setting of settings.json, asked of a server: it belongs to the machine that runs the engine. */
function machineOwn(spec: SettingSpec, verb: 'get' | 'set' | 'unset'): CliError {
  return new CliError(
    `${spec.key} lives in ${SETTINGS_FILE} on each machine, not on the server's queue: run \`genops settings ${verb}\` there, without --server`,
    2,
  )
}

function known(key: string): SettingSpec {
  try {
    return settingSpec(key)
  } catch (error) {
    return usage(error)
  }
}

/** A settings problem is the user's to fix: exit 2 with the message, which names the file and the key. */
function usage(error: unknown): never {
  if (error instanceof SettingsError) throw new CliError(error.message, 2)
  throw error
}
