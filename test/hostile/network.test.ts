/**
 * `genops serve --host 0.0.0.0` on a network of its own: a network namespace this test
 * makes, with loopback and an interface holding 192.0.2.10 (TEST-NET-1, never routed), so
 * the machine's real address is reached for real and no packet leaves the namespace.
 * Needs root and iproute2: elsewhere it is skipped with one line, but in CI it fails.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from '../support/cli'

const ADDRESS = '192.0.2.10'
const TOKEN = 'network-token-0123456789abcdef'
const ALLOWED = 'genops.test'

const runnable = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0
const inCi = process.env.CI === 'true'
if (!runnable && !inCi) console.log('skipped test/hostile/network.test.ts: it needs Linux, root and iproute2 (ip) to make a network namespace')

const run = promisify(execFile)
const ip = (...args: string[]) => run('ip', args)

/** One request made from inside the namespace, to 192.0.2.10 with this Host header. */
interface Ask {
  method?: 'GET' | 'POST'
  path: string
  host: string
  token?: string
  /** A POST's JSON body; `{}` when none is given. */
  body?: unknown
}

/** What one request from inside the namespace got back. */
interface Answer {
  status: number
  body: unknown
}

/**
 * Requests made from inside the namespace, each to 192.0.2.10:port with the Host header
 * given (fetch would not send a chosen Host), in one node process; their answers in order.
 */
const ASK = `
const { request } = require('node:http')
const [port, asks] = [Number(process.argv[1]), JSON.parse(process.argv[2])]
const ask = ({ method, path, host, token, body }) => new Promise((resolve, reject) => {
  const headers = { Host: host, ...(token ? { Authorization: 'Bearer ' + token } : {}), ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}) }
  const req = request({ host: '${ADDRESS}', port, method, path, headers }, (res) => {
    let text = ''
    res.setEncoding('utf8').on('data', (chunk) => (text += chunk)).on('end', () => resolve({ status: res.statusCode, body: /json/.test(res.headers['content-type'] || '') ? JSON.parse(text) : text }))
  })
  req.on('error', reject)
  req.end(method === 'POST' ? JSON.stringify(body ?? {}) : undefined)
})
;(async () => { const answers = []; for (const one of asks) answers.push(await ask(one)); process.stdout.write(JSON.stringify(answers)) })()
`

describe.skipIf(!runnable && !inCi)('genops serve on a wildcard address, in a network namespace of its own', () => {
  const namespace = `genops-test-${randomBytes(4).toString('hex')}`
  const dataDir = mkdtempSync(join(tmpdir(), 'genops-network-'))
  let made = false
  const children: ChildProcess[] = []
  /** The API's port (`genops serve`), and the metrics exporter's (an engine configured to listen on 0.0.0.0). */
  let port = 0
  let exporterPort = 0

  /** A command inside the namespace, once it printed a line matching `ready`: the port that line names. */
  const startInside = (command: string[], ready: RegExp): Promise<number> => {
    const child = spawn('ip', ['netns', 'exec', namespace, ...command], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    return new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const match = ready.exec(line)
        if (match) resolve(Number(match[1]))
      })
      child.once('exit', (code) => reject(new Error(`${command.join(' ')} exited (${code}) in ${namespace}: ${stderr}`)))
    })
  }

  beforeAll(async () => {
    if (!runnable) throw new Error('CI must run this test: it needs Linux, root and iproute2 (ip) to make a network namespace')
    await ip('netns', 'add', namespace)
    made = true
    await ip('-n', namespace, 'link', 'set', 'lo', 'up')
    // A dummy interface where the kernel has the module; a veth pair (both ends inside) where it does not.
    const dummy = await ip('-n', namespace, 'link', 'add', 'gx0', 'type', 'dummy').then(
      () => true,
      () => false,
    )
    if (!dummy) {
      await ip('-n', namespace, 'link', 'add', 'gx0', 'type', 'veth', 'peer', 'name', 'gx1')
      await ip('-n', namespace, 'link', 'set', 'gx1', 'up')
    }
    await ip('-n', namespace, 'addr', 'add', `${ADDRESS}/24`, 'dev', 'gx0')
    await ip('-n', namespace, 'link', 'set', 'gx0', 'up')

    const cli = [process.execPath, '--import', 'tsx', join(ROOT, 'src/main/cli.ts')]
    const serve = [
      'serve',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--token',
      TOKEN,
      '--allowed-host',
      ALLOWED,
      '--no-metrics',
      '--data-dir',
      join(dataDir, 'serve'),
    ]
    const exporter = { enabled: true, host: '0.0.0.0', port: 0, token: TOKEN }
    const engine = `const { createEngine } = await import(${JSON.stringify(join(ROOT, 'src/main/engine.ts'))})
      const engine = await createEngine({ dataDir: ${JSON.stringify(join(dataDir, 'exporter'))}, metrics: { exporter: ${JSON.stringify(exporter)} } })
      console.log('exporter on ' + engine.exporterAddress.port)`
    ;[port, exporterPort] = await Promise.all([
      startInside([...cli, ...serve], /^GenOps listening on http:\/\/0\.0\.0\.0:(\d+)\//),
      startInside([process.execPath, '--import', 'tsx', '--input-type=module', '-e', engine], /^exporter on (\d+)$/),
    ])
  }, 60_000)

  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    }
    // Even when a test failed: a namespace outlives the process that made it.
    if (made) await ip('netns', 'del', namespace)
    rmSync(dataDir, { recursive: true, force: true })
  }, 30_000)

  /** The answers to these requests, one for each, in order. */
  const ask = async <const Asks extends readonly Ask[]>(asks: Asks, to = port): Promise<{ [K in keyof Asks]: Answer }> => {
    const full = asks.map((one) => ({ method: 'GET', ...one }))
    const { stdout } = await run('ip', ['netns', 'exec', namespace, process.execPath, '-e', ASK, String(to), JSON.stringify(full)])
    return JSON.parse(stdout) as { [K in keyof Asks]: Answer }
  }

  it('answers the API at the machine’s own address, a loopback name and an allowed host name, and refuses any other Host', async () => {
    const at = (host: string, token?: string) => ({ method: 'POST' as const, path: '/api/queueStats', host: `${host}:${port}`, token })
    const [byAddress, byLoopbackName, byAllowedName, rebound, withoutToken] = await ask([
      at(ADDRESS, TOKEN),
      at('localhost', TOKEN),
      at(ALLOWED, TOKEN),
      at('evil.example', TOKEN),
      at(ADDRESS),
    ])
    for (const answer of [byAddress, byLoopbackName, byAllowedName]) expect(answer).toMatchObject({ status: 200, body: { counts: { queued: 0 } } })
    expect(rebound).toEqual({
      status: 403,
      body: {
        error: {
          code: 'UNAUTHORIZED',
          message: `host "evil.example:${port}" is not allowed: use this machine's address or a host name allowed with --allowed-host`,
        },
      },
    })
    expect(withoutToken).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } })
  })

  it('takes a profile from another machine, but not one that names a key file: that file is read here and sent to the profile', async () => {
    const save = (profile: Record<string, unknown>) => ({ method: 'POST' as const, path: '/api/saveProvider', host: `${ADDRESS}:${port}`, token: TOKEN, body: profile })
    const [plain, withKeyFile] = await ask([
      save({ name: 'remote-plain', provider: 'sim' }),
      save({ name: 'steal', provider: 'openai', model: 'm', baseUrl: 'http://127.0.0.1:9/v1', keyFile: '/root/.npmrc' }),
    ])
    expect(plain).toMatchObject({ status: 200, body: { name: 'remote-plain' } })
    expect(withKeyFile).toMatchObject({ status: 403, body: { error: { code: 'UNAUTHORIZED', message: expect.stringContaining('name it from this machine') } } })
  })

  it('asks for the token on /health and /health/ready there, and says only a status on /health/live', async () => {
    const host = `${ADDRESS}:${port}`
    const [report, ready, live, reportWithToken] = await ask([
      { path: '/health', host },
      { path: '/health/ready', host },
      { path: '/health/live', host },
      { path: '/health', host, token: TOKEN },
    ])
    expect(report).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } })
    expect(ready).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } })
    expect(live).toEqual({ status: 200, body: { status: 'live' } })
    expect(JSON.stringify(report.body) + JSON.stringify(ready.body)).not.toContain(dataDir)
    // With the token the whole report answers, as on loopback.
    expect(reportWithToken.body).toMatchObject({ checks: expect.arrayContaining([expect.objectContaining({ name: 'database' })]) })
  })

  it('keeps the metrics exporter beyond loopback to the same health rules, its token deciding instead of the Host', async () => {
    const host = `${ADDRESS}:${exporterPort}`
    const [ready, live, metrics, metricsWithToken, readyWithToken] = await ask(
      [
        { path: '/health/ready', host },
        { path: '/health/live', host },
        { path: '/metrics', host },
        // A remote Prometheus names the machine as it knows it: with the token any name is answered.
        { path: '/metrics', host: `prometheus-knows-it-as.example:${exporterPort}`, token: TOKEN },
        { path: '/health/ready', host, token: TOKEN },
      ],
      exporterPort,
    )
    expect(ready.status).toBe(401)
    expect(live).toEqual({ status: 200, body: { status: 'live' } })
    expect(metrics.status).toBe(401)
    expect(metricsWithToken.status).toBe(200)
    expect(readyWithToken).toEqual({ status: 200, body: { status: 'ready' } })
  })
})
