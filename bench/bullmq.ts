/**
 * BullMQ (on a private redis-server) on the queue bench's workloads, for the comparison:
 * bulk enqueue, one-at-a-time enqueue, and a drain of no-op jobs timed as GenOps's is (warm,
 * paused with the backlog stored, resume to the last completion).
 */
import { createRequire } from 'node:module'
import { Queue, Worker } from 'bullmq'
import { chunks, countAsOwn, expectCount, span, specs, WAIT_LIMIT_MS, type Drain, type Figure } from './measured'
import { lagMonitor, redisServerVersion, startRedis } from './support'

/** The workload sizes BullMQ runs (bench/queue.ts's Sizes). */
export interface BullmqSizes {
  bulk: number
  single: number
  drain: number
  chunk: number
  warmUp: number
}

export interface BullmqDrain extends Drain {
  concurrency: number
}

export interface BullmqFigures {
  bulk: Figure
  single: Figure
  drains: BullmqDrain[]
}

export interface Connection {
  host: string
  port: number
  maxRetriesPerRequest: null
}

async function withQueue<T>(connection: Connection, name: string, run: (queue: Queue) => Promise<T>): Promise<T> {
  const queue = new Queue(name, { connection })
  try {
    await queue.waitUntilReady()
    return await run(queue)
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined)
    await queue.close()
  }
}

const bullmqJobs = (count: number, from = 0) => specs(count, from).map((data) => ({ name: 'generate', data }))

export async function bullmqBulk(connection: Connection, sizes: BullmqSizes): Promise<Figure> {
  return withQueue(connection, 'bench-bulk', async (queue) => {
    const batches = chunks(bullmqJobs(sizes.bulk), sizes.chunk)
    const measured = await span(sizes.bulk)
    for (const batch of batches) await queue.addBulk(batch)
    const figure = measured.stop()
    expectCount('BullMQ bulk', await queue.getWaitingCount(), sizes.bulk)
    return figure
  })
}

export async function bullmqSingle(connection: Connection, sizes: BullmqSizes): Promise<Figure> {
  return withQueue(connection, 'bench-single', async (queue) => {
    const inputs = bullmqJobs(sizes.single)
    const measured = await span(sizes.single)
    for (const { name, data } of inputs) await queue.add(name, data)
    const figure = measured.stop()
    expectCount('BullMQ single', await queue.getWaitingCount(), sizes.single)
    return figure
  })
}

/** Same shape as the GenOps drain: warm up, pause, store the backlog, time resume → all completed. */
export async function bullmqDrain(connection: Connection, sizes: Pick<BullmqSizes, 'drain' | 'warmUp' | 'chunk'>, concurrency: number): Promise<BullmqDrain> {
  return withQueue(connection, `bench-drain-${concurrency}`, async (queue) => {
    // removeOnComplete left at its default (keep every completed job), as GenOps keeps its rows.
    const worker = new Worker(queue.name, async () => undefined, { connection, concurrency, autorun: false })
    try {
      let completed = 0
      let failed = 0
      let target = sizes.warmUp
      let reached: (() => void) | undefined
      worker.on('completed', () => {
        if (++completed === target) reached?.()
      })
      worker.on('failed', () => failed++)
      const until = (count: number) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`BullMQ drain: ${completed} of ${count} completed after ${WAIT_LIMIT_MS / 1000} s`)), WAIT_LIMIT_MS)
          target = count
          reached = () => {
            clearTimeout(timer)
            resolve()
          }
          if (completed >= count) reached()
        })

      await queue.addBulk(bullmqJobs(sizes.warmUp, -sizes.warmUp))
      void worker.run()
      await until(sizes.warmUp)
      await worker.pause()
      for (const batch of chunks(bullmqJobs(sizes.drain), sizes.chunk)) await queue.addBulk(batch)
      expectCount('BullMQ drain backlog', await queue.getWaitingCount(), sizes.drain)

      const measured = await span(sizes.drain)
      const lag = lagMonitor()
      const done = until(sizes.warmUp + sizes.drain)
      worker.resume()
      await done
      const result = { concurrency, ...measured.stop(), lag: lag.stop() }
      if (failed > 0) throw new Error(`BullMQ drain: ${failed} jobs failed`)
      return result
    } finally {
      await worker.close()
    }
  })
}

/**
 * Why BullMQ cannot run on this machine, or null when it can: it needs redis-server on PATH
 * and ioredis (BullMQ 6 loads its Redis driver lazily; ioredis is only its optional peer).
 */
export function bullmqMissing(): string | null {
  if (redisServerVersion() === null) return 'redis-server is not installed (apt-get install redis-server for the comparison)'
  if (ioredisVersion() === null) return 'ioredis is not installed (BullMQ 6 needs it for Redis; npm install -D ioredis@5)'
  return null
}

/** Runs `run` against a private redis-server, whose CPU counts as the bench's own (not busy elsewhere) meanwhile. */
export async function withRedis<T>(run: (connection: Connection) => Promise<T>): Promise<T> {
  const redis = await startRedis()
  try {
    countAsOwn([redis.pid])
    return await run({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null })
  } finally {
    countAsOwn([])
    await redis.stop()
  }
}

/** BullMQ 6 loads its Redis driver lazily and ioredis is only its optional peer. */
export function ioredisVersion(): string | null {
  try {
    return (createRequire(import.meta.url)('ioredis/package.json') as { version: string }).version
  } catch {
    return null
  }
}

export function bullmqVersion(): string {
  return (createRequire(import.meta.url)('bullmq/package.json') as { version: string }).version
}
