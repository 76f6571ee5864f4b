/**
 * An engine process draining a store-core queue (bench/store-drainer.ts), as the PostgreSQL
 * bench and the crash test drive it: started with its store open, told to go, followed
 * through its progress lines, killed with SIGKILL if need be, and its result read.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { DrainerResult } from '../../bench/store-drainer'

export type { DrainerResult }

const ROOT = join(import.meta.dirname, '..', '..')

export interface DrainerOptions {
  /** Jobs per claim. */
  limit: number
  /** Defaults: the engine's (bench/store-drainer.ts). */
  leaseMs?: number
  sweepMs?: number
  /** How long each claim is held before it is settled, an attempt's stand-in; default 0. */
  attemptMs?: number
  /** Report each claim to onProgress. */
  progress?: boolean
}

/** One claim, reported before it is settled: how many jobs it holds, and how many this process had completed before it. */
export interface Progress {
  held: number
  settled: number
}

export interface StoreDrainer {
  /** Its lease owner, as newLeaseOwner() named it in that process. */
  owner: string
  pid: number
  go(): void
  onProgress(listener: (progress: Progress) => void): void
  /** What it drained, once it has exited after draining; rejects when it exits any other way. */
  result: Promise<DrainerResult>
  /** Sends SIGKILL now (kill -9: no cleanup, no goodbye); resolves once the process has exited. */
  kill(): Promise<void>
  /** Resolves once it has exited, however it ended. */
  exited: Promise<void>
}

const PROGRESS = /^held (\d+) settled (\d+)$/

/** Starts a drainer on `kind`'s store at `target` (a postgres:// URL or a SQLite file); resolves once its store is open. */
export async function startStoreDrainer(kind: 'postgres' | 'sqlite', target: string, options: DrainerOptions): Promise<StoreDrainer> {
  const args = [join(ROOT, 'bench', 'store-drainer.ts'), kind, target, String(options.limit)]
  if (options.leaseMs !== undefined) args.push('--lease-ms', String(options.leaseMs))
  if (options.sweepMs !== undefined) args.push('--sweep-ms', String(options.sweepMs))
  if (options.attemptMs !== undefined) args.push('--attempt-ms', String(options.attemptMs))
  if (options.progress) args.push('--progress')
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] })
  const listeners: ((progress: Progress) => void)[] = []
  let owner: string | undefined
  let result: DrainerResult | undefined
  // 'close', not 'exit': the result line may still be in the pipe when the process has exited.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  )
  const ready = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const progress = PROGRESS.exec(line)
      if (owner === undefined && line.startsWith('ready ')) resolve((owner = line.slice('ready '.length)))
      else if (progress) for (const listener of listeners) listener({ held: Number(progress[1]), settled: Number(progress[2]) })
      else if (line.startsWith('{')) result = JSON.parse(line) as DrainerResult
      else reject(new Error(`drainer said ${JSON.stringify(line)}`))
    })
    void exited.then(({ code, signal }) => reject(new Error(`drainer exited before it was ready (code ${code}, signal ${signal})`)))
  })
  const started = await ready
  const drained = exited.then(({ code, signal }) => {
    if (code === 0 && result) return result
    throw new Error(`drainer ${started} ended without draining (code ${code}, signal ${signal})`)
  })
  // A killed drainer's result is never read: its rejection is expected, not unhandled.
  drained.catch(() => undefined)
  return {
    owner: started,
    pid: child.pid!,
    go: () => void child.stdin!.end('go\n'),
    onProgress: (listener) => void listeners.push(listener),
    result: drained,
    kill() {
      child.kill('SIGKILL')
      return exited.then(() => undefined)
    },
    exited: exited.then(() => undefined),
  }
}
