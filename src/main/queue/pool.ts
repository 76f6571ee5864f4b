/**
 * The worker pool: piscina running src/workers/attempt, one attempt per task. Progress
 * comes back and cancels go out on one BroadcastChannel per pool (see workers/protocol).
 */
import { randomUUID } from 'node:crypto'
import { BroadcastChannel } from 'node:worker_threads'
import { Piscina } from 'piscina'
import type { AttemptOutcome, AttemptTask, ChannelMessage } from '../../workers/protocol'

export interface PoolOptions {
  workerFile: string
  threads: number
  /** Attempts one thread runs at once (they mostly wait on I/O or timers). */
  tasksPerThread: number
}

export type ProgressMessage = Extract<ChannelMessage, { type: 'progress' }>

export class AttemptPool {
  private readonly piscina: Piscina
  private readonly channel: BroadcastChannel
  readonly channelName = `genops-attempts-${randomUUID()}`
  private isDestroyed = false

  constructor(options: PoolOptions, onProgress: (message: ProgressMessage) => void) {
    this.piscina = new Piscina({
      filename: options.workerFile,
      minThreads: options.threads,
      maxThreads: options.threads,
      concurrentTasksPerWorker: options.tasksPerThread,
      idleTimeout: Infinity,
      // The local provider sizes llama's threads by it (see workers/providers/local).
      workerData: { poolThreads: options.threads },
      // From source the worker is TypeScript: let tsx load it. A build's bundled .js is an ES module, which piscina's worker
      // first tries to require(): Node 20 then loads it synchronously, and a pool destroyed during that load (an engine closed
      // at once: `genops run --until-empty` on a paused queue) aborted the whole process (FATAL ERROR in
      // v8::Module::IsGraphAsync, about 1 run in 12). Without require(esm) piscina falls back to import(), which a
      // terminated thread leaves cleanly.
      execArgv: options.workerFile.endsWith('.ts') ? ['--import', 'tsx'] : ['--no-experimental-require-module'],
    })
    this.channel = new BroadcastChannel(this.channelName)
    this.channel.onmessage = (event) => {
      const message = (event as { data: ChannelMessage }).data
      if (message.type === 'progress') onProgress(message)
    }
  }

  run(task: Omit<AttemptTask, 'channel'>): Promise<AttemptOutcome> {
    return this.piscina.run({ ...task, channel: this.channelName } satisfies AttemptTask) as Promise<AttemptOutcome>
  }

  /** Asks whichever thread runs the job to abort it. */
  cancel(id: number): void {
    this.channel.postMessage({ type: 'cancel', id } satisfies ChannelMessage)
  }

  /** Stops a thread that did not honour a cancel; piscina starts a fresh one. */
  terminateThread(threadId: number): boolean {
    const thread = this.piscina.threads.find((worker) => worker.threadId === threadId)
    if (!thread) return false
    void thread.terminate()
    return true
  }

  get threads(): number {
    return this.piscina.threads.length
  }

  get utilization(): number {
    return this.piscina.utilization
  }

  get queuedTasks(): number {
    return this.piscina.queueSize
  }

  /** True once destroy() was called: the pool runs no attempt any more (the health check reads it). */
  get destroyed(): boolean {
    return this.isDestroyed
  }

  async destroy(): Promise<void> {
    this.isDestroyed = true
    this.channel.close()
    await this.piscina.destroy()
  }
}
