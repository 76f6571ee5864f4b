/**
 * This process's settings: settings.json in the data directory, GENOPS_* variables and the
 * flags of serve and run (flag > variable > file > default), validated by the engine's schema.
 */
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import type { SettingRow } from '../../src/shared/settings'
import { EngineConfig } from '../../src/main/engine'
import { resolveProcessSettings } from '../../src/main/settings/process'
import { genopsAsync, genopsInBackground } from '../support/cli'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const children: ChildProcess[] = []
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    await exited
  }
})

const writeSettings = (dir: string, settings: unknown) => writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings))

async function list(dir: string, env: Record<string, string> = {}): Promise<SettingRow[]> {
  const saved = { ...process.env }
  Object.assign(process.env, env)
  try {
    const result = await genopsAsync(['settings', 'list', '--data-dir', dir, '--json'])
    expect(result.stderr).toBe('')
    return JSON.parse(result.stdout) as SettingRow[]
  } finally {
    for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key]
  }
}

describe('process settings', () => {
  it('takes a variable over the file over the default, as settings list shows and a started engine runs', async () => {
    const dir = tempDir()
    writeSettings(dir, { threads: 2, concurrency: 5, logs: { level: 'warn', maxFiles: 3 } })
    const rows = await list(dir, { GENOPS_THREADS: '3', GENOPS_LOG_LEVEL: 'error' })
    const row = (key: string) => rows.find((candidate) => candidate.key === key)!
    expect(row('threads')).toMatchObject({ value: 3, source: 'variable', lives: join(dir, 'settings.json'), env: 'GENOPS_THREADS', flag: '--threads' })
    expect(row('logs.level')).toMatchObject({ value: 'error', source: 'variable', default: 'info' })
    expect(row('concurrency')).toMatchObject({ value: 5, source: 'file', default: 128 })
    expect(row('logs.maxFiles')).toMatchObject({ value: 3, source: 'file' })
    expect(row('logs.maxBytes')).toMatchObject({ value: 10 * 1024 * 1024, source: 'default', applies: 'at next start' })
    expect(row('threads').description).toBe('worker threads that run attempts')

    // A started engine runs what they resolve to: the variable's 3 threads over the file's 2.
    process.env.GENOPS_THREADS = '3'
    let child: ChildProcess
    try {
      child = genopsInBackground(['serve', '--port', '0', '--metrics-port', '0', '--data-dir', dir])
    } finally {
      delete process.env.GENOPS_THREADS
    }
    children.push(child)
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => line.startsWith('GenOps listening on') && resolve())
      child.once('exit', (code) => reject(new Error(`genops serve exited (${code})`)))
    })
    await waitFor(
      async () => {
        const report = JSON.parse((await genopsAsync(['health', '--data-dir', dir, '--json'])).stdout) as { checks: { name: string; detail: string }[] }
        return report.checks.find((check) => check.name === 'worker-pool')?.detail
      },
      (detail) => detail?.startsWith('3 worker threads') === true,
      { what: "the engine's 3 worker threads", timeoutMs: 60_000 },
    )
  }, 120_000)

  it('takes a flag over the variable', () => {
    const dir = tempDir()
    writeSettings(dir, { threads: 2, metrics: { exporter: { port: 9999 } } })
    const defaults = EngineConfig.parse({ dataDir: dir })
    const resolved = resolveProcessSettings(dir, {
      schema: EngineConfig,
      defaults,
      flags: { threads: 4 },
      env: { GENOPS_THREADS: '3', GENOPS_METRICS_PORT: '9100' },
    })
    const of = (key: string) => resolved.find((setting) => setting.spec.key === key)
    expect(of('threads')).toMatchObject({ value: 4, source: 'flag' })
    expect(of('metrics.exporter.port')).toMatchObject({ value: 9100, source: 'variable' })
    expect(of('concurrency')).toMatchObject({ value: 128, source: 'default' })
  })

  it('refuses at start a settings file that does not parse, or names an unknown key, with the file and the key', async () => {
    const dir = tempDir()
    const file = join(dir, 'settings.json')
    writeFileSync(file, '{"threads": 2,')
    const broken = await genopsAsync(['run', '--until-empty', '--data-dir', dir])
    expect(broken.status).toBe(2)
    expect(broken.stderr).toContain(`${file} is not valid JSON: `)

    writeSettings(dir, { threads: 2, logs: { level: 'info', colour: 'blue' } })
    const unknown = await genopsAsync(['serve', '--port', '0', '--data-dir', dir])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain(`${file}: unknown key "logs.colour" (not a process setting)`)

    writeSettings(dir, { retention: { dead: { maxAgeMs: 1000 } } })
    const shared = await genopsAsync(['settings', 'list', '--data-dir', dir])
    expect(shared.status).toBe(2)
    expect(shared.stderr).toContain(`${file}: unknown key "retention" (`)

    writeSettings(dir, { logs: { maxFiles: 1 } })
    const refused = await genopsAsync(['run', '--until-empty', '--data-dir', dir])
    expect(refused.status).toBe(2)
    expect(refused.stderr).toContain(`${file}: logs.maxFiles must be at least 2`)

    const badVariable = resolveProcessSettings.bind(null, tempDir(), { schema: EngineConfig, defaults: {}, env: { GENOPS_CONCURRENCY: 'many' } })
    expect(badVariable).toThrow('GENOPS_CONCURRENCY must be a number, not "many"')
  }, 120_000)

  it('writes settings.json with set, keeping the previous valid file as settings.json.bak, both 0600', async () => {
    const dir = tempDir()
    const first = await genopsAsync(['settings', 'set', 'logs.level', 'debug', '--data-dir', dir])
    expect(first.stderr).toBe('')
    expect(first.stdout).toContain('applies at next start')
    const second = await genopsAsync(['settings', 'set', 'traces.retentionMs', '3d', '--data-dir', dir])
    expect(second.status).toBe(0)
    const file = join(dir, 'settings.json')
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ logs: { level: 'debug' }, traces: { retentionMs: 3 * 86_400_000 } })
    expect(JSON.parse(readFileSync(`${file}.bak`, 'utf8'))).toEqual({ logs: { level: 'debug' } })
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(`${file}.bak`).mode & 0o777).toBe(0o600)

    // A value the schema refuses changes nothing.
    const refused = await genopsAsync(['settings', 'set', 'logs.level', 'loud', '--data-dir', dir])
    expect(refused.status).toBe(2)
    expect(refused.stderr).toContain('logs.level: ')
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ logs: { level: 'debug' }, traces: { retentionMs: 3 * 86_400_000 } })

    const get = await genopsAsync(['settings', 'get', 'traces.retentionMs', '--data-dir', dir, '--json'])
    expect(JSON.parse(get.stdout)).toMatchObject({ value: 3 * 86_400_000, source: 'file', default: 7 * 86_400_000 })
  }, 120_000)
})
