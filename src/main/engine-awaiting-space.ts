/**
 * `genops serve` on a disk too full to open the database (even SQLite's WAL index needs a
 * few pages): dying there is a crash loop under any supervisor. Instead the server starts
 * with a stand-in engine whose health says why (`storage` fails, naming the disk and its
 * free space) and whose operations answer that the disk is full; it tries to start the real
 * engine every `retryMs`, and once one starts hands it every call, subscriber and health
 * check the server registered.
 */
import { OperationError, type EngineEvent, type OperationName, type OperationOutput } from '../shared/contract'
import { diskFullCode } from '../shared/disk-full'
import { createEngine, type Engine, type EngineConfig } from './engine'
import { formatBytes, freeDiskBytes } from './health/checks'
import { DISK_FULL_RETRY_MS } from './health/disk-full'
import { HealthRegistry } from './health/registry'
import { databaseFile } from './paths'

export interface AwaitingSpaceHooks {
  /** Once, when the engine cannot start for want of space: a sentence for stderr. */
  waiting(message: string): void
  /** The engine started after all. */
  started(engine: Engine): void
  retryMs?: number
}

/**
 * Why an engine could not start, when the reason is a full disk: one line with the
 * database's path, the free space and what to do; null for any other failure.
 */
export function fullDiskAtStart(error: unknown, dataDir: string): string | null {
  const code = diskFullCode(error)
  if (code === null) return null
  let free = 'no room'
  try {
    free = `${formatBytes(freeDiskBytes(dataDir))} free`
  } catch {
    // The directory cannot even be measured: "no room" says enough.
  }
  return `the disk is full (${free} for ${dataDir}): ${databaseFile(dataDir)} cannot be opened (${code}); free some space`
}

/** The engine, or (on a disk too full to open its database) a stand-in that becomes it once there is room. */
export async function createEngineAwaitingSpace(config: EngineConfig, hooks: AwaitingSpaceHooks): Promise<Engine> {
  try {
    return await createEngine(config)
  } catch (error) {
    const reason = fullDiskAtStart(error, config.dataDir)
    if (reason === null) throw error
    return new EngineAwaitingSpace(config, hooks, reason)
  }
}

class EngineAwaitingSpace implements Engine {
  readonly dataDir: string
  private engine: Engine | null = null
  private readonly waiting = new HealthRegistry()
  /** Subscribers, with their subscription to the engine once it runs. */
  private readonly listeners = new Map<(event: EngineEvent) => void, (() => void) | null>()
  private readonly timer: NodeJS.Timeout
  private starting: Promise<void> | null = null
  private closed = false

  constructor(
    private readonly config: EngineConfig,
    private readonly hooks: AwaitingSpaceHooks,
    private reason: string,
  ) {
    this.dataDir = config.dataDir
    const retryMs = hooks.retryMs ?? DISK_FULL_RETRY_MS
    // Not ready, and unhealthy: a supervisor's probe sees why, and the process stays up.
    this.waiting.register({
      name: 'storage',
      critical: true,
      timeoutMs: 2_000,
      check: () => ({ status: 'fail', detail: `${this.reason}; the engine starts by itself once it can (tried every ${retryMs / 1000} s)` }),
    })
    this.timer = setInterval(() => void this.tryStart(), retryMs)
    hooks.waiting(`${reason}; waiting for room to start the engine`)
  }

  get health(): HealthRegistry {
    return this.engine?.health ?? this.waiting
  }

  get metrics(): Engine['metrics'] {
    return this.engine?.metrics ?? null
  }

  get exporterAddress(): Engine['exporterAddress'] {
    return this.engine?.exporterAddress ?? null
  }

  call<K extends OperationName>(name: K, input?: unknown): Promise<OperationOutput<K>> {
    if (this.engine) return this.engine.call(name, input)
    return Promise.reject(new OperationError('CONFLICT', `${this.reason}: the queue opens once there is room`))
  }

  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.listeners.set(listener, this.engine ? this.engine.subscribe(listener) : null)
    return () => {
      this.listeners.get(listener)?.()
      this.listeners.delete(listener)
    }
  }

  waitingOnOperator(): Promise<number> {
    return this.engine?.waitingOnOperator() ?? Promise.resolve(0)
  }

  idle(): Promise<void> {
    return this.engine?.idle() ?? Promise.resolve()
  }

  private tryStart(): Promise<void> {
    this.starting ??= (async () => {
      try {
        const engine = await createEngine(this.config)
        if (this.closed) return void (await engine.close())
        this.adopt(engine)
      } catch (error) {
        // Still no room, or something else now stands in the way: either way health says what.
        this.reason = fullDiskAtStart(error, this.dataDir) ?? `the engine cannot start: ${error instanceof Error ? error.message : String(error)}`
      } finally {
        this.starting = null
      }
    })()
    return this.starting
  }

  private adopt(engine: Engine): void {
    clearInterval(this.timer)
    // What the server registered (its own listening check) moves to the engine's registry.
    for (const name of this.waiting.names) {
      const check = this.waiting.get(name)
      if (name !== 'storage' && check && !engine.health.has(name)) engine.health.register(check)
    }
    for (const listener of this.listeners.keys()) this.listeners.set(listener, engine.subscribe(listener))
    this.engine = engine
    this.hooks.started(engine)
  }

  async close(timeoutMs?: number): Promise<void> {
    this.closed = true
    clearInterval(this.timer)
    await this.starting
    await this.engine?.close(timeoutMs)
  }
}
