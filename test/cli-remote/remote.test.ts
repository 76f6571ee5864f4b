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
import { genops, genopsInBackground } from '../support/cli'

const TOKEN = 'remote-test-token-0123456789'
/** Each test spawns the CLI a dozen times or more: on two busy cores that takes minutes, not the default 30 s. */
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
const remote = (...args: string[]) => genops(['--server', server, '--token', TOKEN, ...args])
/** The same command here, on the server's data directory. */
const local = (...args: string[]) => genops([...args, '--data-dir', join(dir, 'data')])

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
  it('enqueues a file checked here, and drives the queue, the jobs and the batch there', { timeout: SLOW }, () => {
    // Paused, so the server's engine leaves the jobs where the comparisons below find them.
    expect(remote('queue', 'pause').stdout).toBe('queue paused\n')
    expect(JSON.parse(local('queue', 'stats', '--json').stdout).paused).toBe(true)

    const bad = remote('enqueue', file('bad.jsonl', '{"prompt": "fine"}\n{"prompt": \n'))
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/bad\.jsonl:2: /)
    // Refused here: the server never saw a job.
    expect(JSON.parse(remote('batches', 'list', '--json').stdout)).toEqual([])

    const good = remote('enqueue', file('prompts.jsonl', '{"prompt": "one"}\n{"prompt": "two"}\n{"prompt": "three"}\n'), '--json')
    expect(good.status).toBe(0)
    const [batch] = JSON.parse(good.stdout) as { batchId: number; jobIds: number[] }[]
    expect(batch!.jobIds).toHaveLength(3)
    expect(JSON.parse(local('queue', 'stats', '--json').stdout).counts.queued).toBe(3)

    const [first] = batch!.jobIds
    expect(remote('jobs', 'cancel', String(first)).stdout).toBe(`job ${first}: cancelled\n`)
    expect(remote('jobs', 'retry', String(first)).stdout).toBe(`job ${first}: queued\n`)
    expect(JSON.parse(remote('jobs', 'view', String(first), '--json').stdout).events.map((event: { to: string }) => event.to)).toContain('cancelled')

    const missing = remote('jobs', 'view', '9999')
    expect(missing.status).toBe(1)
    expect(oneLine(missing)).toBe('genops: job 9999 does not exist')

    const exported = join(dir, 'results.csv')
    const exportRun = remote('export', String(batch!.batchId), '--out', exported)
    expect(exportRun.stdout).toBe(`${exported}: 0 rows (csv); 3 jobs not finished yet are not in it\n`)
    expect(readFileSync(exported, 'utf8').split('\n')[0]).toContain('prompt')
  })

  it('prints what the same command prints here, on the same data', { timeout: SLOW }, () => {
    for (const command of [
      ['jobs', 'list'],
      ['jobs', 'view', '1'],
      ['queue', 'stats'],
      ['batches', 'view', '1'],
      ['breakers', 'list'],
      ['dlq', 'stats'],
      ['providers', 'list'],
      ['cache', 'stats'],
      ['settings', 'get', 'retention.dead.maxAgeMs'],
    ]) {
      const there = remote(...command, '--json')
      expect(there.status, `${command.join(' ')}: ${there.stderr}`).toBe(0)
      expect(there.stdout, command.join(' ')).toBe(local(...command, '--json').stdout)
    }
  })

  it('changes what every process on the queue shares, and says a machine-local setting is local', { timeout: SLOW }, () => {
    expect(remote('settings', 'set', 'retention.dead.maxAgeMs', '3d').stdout).toBe(
      'retention.dead.maxAgeMs: 259200000 in the store, for every process on the queue; a running engine applies it within 5s\n',
    )
    expect(JSON.parse(local('settings', 'get', 'retention.dead.maxAgeMs', '--json').stdout)).toMatchObject({ value: 259200000, source: 'store' })
    const listed = JSON.parse(remote('settings', 'list', '--json').stdout) as { key: string; lives: string }[]
    expect(listed.map((row) => row.key)).toContain('retention.dead.maxAgeMs')
    expect(listed.every((row) => row.lives === 'store')).toBe(true)

    const machine = remote('settings', 'set', 'logs.level', 'debug')
    expect(machine.status).toBe(2)
    expect(oneLine(machine)).toContain('logs.level lives in settings.json on each machine')

    expect(remote('costs', 'budget', 'set', '--day', '--usd', '5').status).toBe(0)
    expect(JSON.parse(local('costs', 'budget', 'list', '--json').stdout)).toHaveLength(1)
  })

  it("copies the server's bundle here and reads its health", { timeout: SLOW }, () => {
    const zip = join(dir, 'bundle.zip')
    const bundle = remote('bundle', '--out', zip, '--json')
    expect(bundle.status).toBe(0)
    expect(JSON.parse(bundle.stdout).path).toBe(zip)
    expect(readFileSync(zip).subarray(0, 2).toString()).toBe('PK')

    // Degraded: the queue is paused (exit 1, as `genops health` says of a degraded engine).
    const health = remote('health')
    expect(health.status).toBe(1)
    expect(health.stdout).toContain('the queue is paused')
    expect(health.stdout).toContain(`reported by the engine running at ${server}/health`)
  })

  it('takes GENOPS_SERVER and GENOPS_TOKEN, or the address serve printed', { timeout: SLOW }, () => {
    vi.stubEnv('GENOPS_SERVER', server)
    vi.stubEnv('GENOPS_TOKEN', TOKEN)
    try {
      expect(JSON.parse(genops(['queue', 'stats', '--json']).stdout).paused).toBe(true)
    } finally {
      vi.unstubAllEnvs()
    }
    // The address `genops serve` prints, given whole, carries its token.
    expect(JSON.parse(genops(['--server', `${server}/?token=${TOKEN}`, 'queue', 'stats', '--json']).stdout).paused).toBe(true)
  })

  it('says in one line what is wrong with the token, the server or the URL, never the token', { timeout: SLOW }, async () => {
    const wrong = genops(['--server', server, '--token', 'not-the-token-at-all', 'jobs', 'list'])
    expect(wrong.status).toBe(1)
    expect(oneLine(wrong)).toBe(
      `genops: the GenOps server at ${server} refused the token: give the one its \`genops serve\` was started with (--token or GENOPS_TOKEN)`,
    )
    expect(wrong.stderr).not.toContain('not-the-token-at-all')

    const closed = createServer().listen(0, '127.0.0.1')
    await once(closed, 'listening')
    const { port } = closed.address() as { port: number }
    await new Promise((resolve) => closed.close(resolve))
    const gone = genops(['--server', `http://127.0.0.1:${port}`, '--token', TOKEN, 'queue', 'stats'])
    expect(gone.status).toBe(1)
    expect(oneLine(gone)).toContain(`cannot reach the GenOps server at http://127.0.0.1:${port} (ECONNREFUSED)`)
    expect(gone.stderr).not.toContain(TOKEN)

    const notHttp = genops(['--server', `ftp://127.0.0.1/?token=${TOKEN}`, 'jobs', 'list'])
    expect(notHttp.status).toBe(2)
    expect(oneLine(notHttp)).toContain('--server must be an http or https URL')
    expect(notHttp.stderr).not.toContain(TOKEN)

    const plain = genops(['--server', 'http://genops.example:9465', '--token', TOKEN, 'jobs', 'list'])
    expect(plain.status).toBe(2)
    expect(oneLine(plain)).toContain('beyond this machine use https')

    const tokenless = genops(['--server', server, 'jobs', 'list'])
    expect(tokenless.status, tokenless.stderr).toBe(2)
    expect(oneLine(tokenless)).toContain('needs the token')
  })

  it('keeps serve, run, backup and restore on this machine', { timeout: SLOW }, () => {
    for (const command of [['serve'], ['run'], ['backup'], ['restore', join(dir, 'backup.db')]]) {
      const result = remote(...command)
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
