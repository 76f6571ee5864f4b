/**
 * `genops serve` as a child process on a test's data directory, and engines made in the test
 * itself: both stopped after each test (an engine closed, a child still running ended), so a
 * test that kills one with -9 or closes it early leaves nothing behind.
 */
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { afterEach } from 'vitest'
import type { Engine } from '../../src/main/engine'
import { genopsInBackground } from './cli'

const children: ChildProcess[] = []
const engines: Engine[] = []

afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close(2000)))
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    await exited
  }
})

/** Closed after the test (closing it earlier is fine). */
export function closedAfterTest(engine: Engine): Engine {
  engines.push(engine)
  return engine
}

const READY = /^GenOps listening on (http:\/\/127\.0\.0\.1:\d+)\/\?token=([^&\s]+)/

/** `genops serve` on the data directory, once it listens: its API origin and token. */
export async function serveChild(dataDir: string): Promise<{ child: ChildProcess; api: string; token: string }> {
  const child = genopsInBackground(['serve', '--port', '0', '--metrics-port', '0', '--data-dir', dataDir])
  children.push(child)
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const [, api, token] = await new Promise<RegExpExecArray>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const ready = READY.exec(line)
      if (ready) resolve(ready)
    })
    child.once('exit', (code) => reject(new Error(`genops serve exited (${code}): ${stderr}`)))
  })
  return { child, api: api!, token: decodeURIComponent(token!) }
}
