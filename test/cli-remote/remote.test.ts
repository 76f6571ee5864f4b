/**
 * `genops --server URL --token T <command>`: the real CLI against a real `genops serve`
 * (one for the whole file), on the same data directory the local CLI reads, so a command's
 * output through the server can be held against the same command run here.
 */
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { genopsAsync, genopsInBackground } from '../support/cli'

const TOKEN = 'remote-test-token-0123456789'
/**
 * Each test spawns the CLI a dozen times or more: on two busy cores that takes minutes, not the default 30 s.
 * Commands that do not depend on each other run at once (Promise.all), so both cores work; the steps of a story stay in order.
 */
const SLOW = 300_000
const READY = /^GenOps listening on (http:\/\/127\.0\.0\.1:\d+)\//

let dir: string
let server: string
let serve: ChildProcess

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'genops-remote-'))
  serve = genopsInBackground(['serve', '--port', '0', '--no-metrics', '--data-dir', join(dir, 'data'), '--token', TOKEN])
  let stderr = ''
  serve.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  server = await new Promise<string>((resolve, reject) => {
    createInterface({ input: serve.stdout! }).on('line', (line) => {
      const url = READY.exec(line)?.[1]
      if (url) resolve(url)
    })
    serve.once('exit', (code) => reject(new Error(`genops serve exited (${code}): ${stderr}`)))
  })
}, SLOW)

afterAll(async () => {
  if (serve.exitCode === null && serve.signalCode === null) {
    const exited = once(serve, 'exit')
    serve.kill('SIGTERM')
    await exited
  }
  rmSync(dir, { recursive: true, force: true })
})

/** The command through the server. */
const remote = (...args: string[]) => genopsAsync(['--server', server, '--token', TOKEN, ...args])
/** The same command here, on the server's data directory. */
const local = (...args: string[]) => genopsAsync([...args, '--data-dir', join(dir, 'data')])

/** A prompt file in the test's folder. */
function file(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

/** One line on stderr, and what it says. */
function oneLine(result: { stderr: string }): string {
  const lines = result.stderr.trim().split('\n')
  expect(lines).toHaveLength(1)
  return lines[0]!
}

describe('genops --server', () => {
  it('enqueues a file checked here, and drives the queue, the jobs and the batch there', { timeout: SLOW }, async () => {
    // Paused, so the server's engine leaves the jobs where the comparisons below find them.
    expect((await remote('queue', 'pause')).stdout).toBe('queue paused\n')
    const [pausedHere, bad] = await Promise.all([local('queue', 'stats', '--json'), remote('enqueue', file('bad.jsonl', '{"prompt": "fine"}\n{"prompt": \n'))])
    expect(JSON.parse(pausedHere.stdout).paused).toBe(true)
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/bad\.jsonl:2: /)
    // Refused here: the server never saw a job.
    expect(JSON.parse((await remote('batches', 'list', '--json')).stdout)).toEqual([])

    const good = await remote('enqueue', file('prompts.jsonl', '{"prompt": "one"}\n{"prompt": "two"}\n{"prompt": "three"}\n'), '--json')
    expect(good.status).toBe(0)
    const [batch] = JSON.parse(good.stdout) as { batchId: number; jobIds: number[] }[]
    expect(batch!.jobIds).toHaveLength(3)
    const [queuedHere, missing] = await Promise.all([local('queue', 'stats', '--json'), remote('jobs', 'view', '9999')])
    expect(JSON.parse(queuedHere.stdout).counts.queued).toBe(3)
    expect(missing.status).toBe(1)
    expect(oneLine(missing)).toBe('genops: job 9999 does not exist')

    const [first] = batch!.jobIds
    expect((await remote('jobs', 'cancel', String(first))).stdout).toBe(`job ${first}: cancelled\n`)
    expect((await remote('jobs', 'retry', String(first))).stdout).toBe(`job ${first}: queued\n`)
    const exported = join(dir, 'results.csv')
    const [viewed, exportRun] = await Promise.all([
      remote('jobs', 'view', String(first), '--json'),
      remote('export', String(batch!.batchId), '--out', exported),
    ])
    expect(JSON.parse(viewed.stdout).events.map((event: { to: string }) => event.to)).toContain('cancelled')
    expect(exportRun.stdout).toBe(`${exported}: 0 rows (csv); 3 jobs not finished yet are not in it\n`)
    expect(readFileSync(exported, 'utf8').split('\n')[0]).toContain('prompt')
  })

  it('prints what the same command prints here, on the same data', { timeout: SLOW }, async () => {
    const commands = [
      ['jobs', 'list'],
      ['jobs', 'view', '1'],
      ['queue', 'stats'],
      ['batches', 'view', '1'],
      ['breakers', 'list'],
      ['dlq', 'stats'],
      ['providers', 'list'],
      ['cache', 'stats'],
      ['settings', 'get', 'retention.dead.maxAgeMs'],
    ]
    // Reads only: each pair can run beside the others.
    const answers = await Promise.all(commands.map((command) => Promise.all([remote(...command, '--json'), local(...command, '--json')])))
    for (const [i, [there, here]] of answers.entries()) {
      const command = commands[i]!
      expect(there.status, `${command.join(' ')}: ${there.stderr}`).toBe(0)
      expect(there.stdout, command.join(' ')).toBe(here.stdout)
    }
  })

  it('changes what every process on the queue shares, and says a machine-local setting is local', { timeout: SLOW }, async () => {
    const [set, machine, budget] = await Promise.all([
      remote('settings', 'set', 'retention.dead.maxAgeMs', '3d'),
      remote('settings', 'set', 'logs.level', 'debug'),
      remote('costs', 'budget', 'set', '--day', '--usd', '5'),
    ])
    expect(set.stdout).toBe('retention.dead.maxAgeMs: 259200000 in the store, for every process on the queue; a running engine applies it within 5s\n')
    expect(machine.status).toBe(2)
    expect(oneLine(machine)).toContain('logs.level lives in settings.json on each machine')
    expect(budget.status).toBe(0)

    const [setting, listing, budgets] = await Promise.all([
      local('settings', 'get', 'retention.dead.maxAgeMs', '--json'),
      remote('settings', 'list', '--json'),
      local('costs', 'budget', 'list', '--json'),
    ])
    expect(JSON.parse(setting.stdout)).toMatchObject({ value: 259200000, source: 'store' })
    const listed = JSON.parse(listing.stdout) as { key: string; lives: string }[]
    expect(listed.map((row) => row.key)).toContain('retention.dead.maxAgeMs')
    expect(listed.every((row) => row.lives === 'store')).toBe(true)
    expect(JSON.parse(budgets.stdout)).toHaveLength(1)
  })

  it("copies the server's bundle here and reads its health", { timeout: SLOW }, async () => {
    const zip = join(dir, 'bundle.zip')
    const [bundle, health] = await Promise.all([remote('bundle', '--out', zip, '--json'), remote('health')])
    expect(bundle.status).toBe(0)
    expect(JSON.parse(bundle.stdout).path).toBe(zip)
    expect(readFileSync(zip).subarray(0, 2).toString()).toBe('PK')

    // Degraded: the queue is paused (exit 1, as `genops health` says of a degraded engine).
    expect(health.status).toBe(1)
    expect(health.stdout).toContain('the queue is paused')
    expect(health.stdout).toContain(`reported by the engine running at ${server}/health`)
  })

  it('takes GENOPS_SERVER and GENOPS_TOKEN, or the address serve printed', { timeout: SLOW }, async () => {
    vi.stubEnv('GENOPS_SERVER', server)
    vi.stubEnv('GENOPS_TOKEN', TOKEN)
    let fromEnvironment
    try {
      // The process is started, with these variables, before this call returns.
      fromEnvironment = genopsAsync(['queue', 'stats', '--json'])
    } finally {
      vi.unstubAllEnvs()
    }
    // The address `genops serve` prints, given whole, carries its token.
    const fromAddress = genopsAsync(['--server', `${server}/?token=${TOKEN}`, 'queue', 'stats', '--json'])
    expect(JSON.parse((await fromEnvironment).stdout).paused).toBe(true)
    expect(JSON.parse((await fromAddress).stdout).paused).toBe(true)
  })

  it('says in one line what is wrong with the token, the server or the URL, never the token', { timeout: SLOW }, async () => {
    const closed = createServer().listen(0, '127.0.0.1')
    await once(closed, 'listening')
    const { port } = closed.address() as { port: number }
    await new Promise((resolve) => closed.close(resolve))
    const [wrong, gone, notHttp, plain, tokenless] = await Promise.all([
      genopsAsync(['--server', server, '--token', 'not-the-token-at-all', 'jobs', 'list']),
      genopsAsync(['--server', `http://127.0.0.1:${port}`, '--token', TOKEN, 'queue', 'stats']),
      genopsAsync(['--server', `ftp://127.0.0.1/?token=${TOKEN}`, 'jobs', 'list']),
      genopsAsync(['--server', 'http://genops.example:9465', '--token', TOKEN, 'jobs', 'list']),
      genopsAsync(['--server', server, 'jobs', 'list']),
    ])
    expect(wrong.status).toBe(1)
    expect(oneLine(wrong)).toBe(
      `genops: the GenOps server at ${server} refused the token: give the one its \`genops serve\` was started with (--token or GENOPS_TOKEN)`,
    )
    expect(wrong.stderr).not.toContain('not-the-token-at-all')

    expect(gone.status).toBe(1)
    expect(oneLine(gone)).toContain(`cannot reach the GenOps server at http://127.0.0.1:${port} (ECONNREFUSED)`)
    expect(gone.stderr).not.toContain(TOKEN)

    expect(notHttp.status).toBe(2)
    expect(oneLine(notHttp)).toContain('--server must be an http or https URL')
    expect(notHttp.stderr).not.toContain(TOKEN)

    expect(plain.status).toBe(2)
    expect(oneLine(plain)).toContain('beyond this machine use https')

    expect(tokenless.status, tokenless.stderr).toBe(2)
    expect(oneLine(tokenless)).toContain('needs the token')
  })

  it('keeps serve, run, backup and restore on this machine', { timeout: SLOW }, async () => {
    const commands = [['serve'], ['run'], ['backup'], ['restore', join(dir, 'backup.db')]]
    const results = await Promise.all(commands.map((command) => remote(...command)))
    for (const [i, result] of results.entries()) {
      const command = commands[i]!
      expect(result.status, `${command[0]}: ${result.stderr}`).toBe(2)
      expect(oneLine(result)).toBe(
        `genops: \`genops ${command[0]}\` stays on this machine (${REASONS[command[0]!]}): run it without --server (and GENOPS_SERVER)`,
      )
    }
  })
})

const REASONS: Record<string, string> = {
  serve: 'it starts an engine on this machine',
  run: 'it runs the queue with an engine on this machine',
  backup: "it copies this machine's database file",
  restore: "it replaces this machine's database file",
}
