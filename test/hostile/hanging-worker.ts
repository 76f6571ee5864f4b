/**
 * A worker entry whose attempt for the prompt "hang" takes its thread for good, as a native
 * call that never returns or a runaway regular expression would: it says where it runs, then
 * spins, so no timer on its thread can fire. Every other prompt runs as the real worker does.
 */
import { BroadcastChannel, threadId } from 'node:worker_threads'
import runAttempt from '../../src/workers/attempt'
import type { AttemptOutcome, AttemptTask, ChannelMessage } from '../../src/workers/protocol'

export default async function hangOrRun(task: AttemptTask): Promise<AttemptOutcome> {
  if (task.prompt !== 'hang') return runAttempt(task)
  const channel = new BroadcastChannel(task.channel)
  channel.postMessage({ type: 'progress', id: task.id, threadId, fraction: 0.1, outputTokens: 1, elapsedMs: 1 } satisfies ChannelMessage)
  // Long enough for the message to leave the thread before it is taken.
  await new Promise((resolve) => setTimeout(resolve, 100))
  for (;;) {
    // Spins: nothing on this thread runs again.
  }
}
