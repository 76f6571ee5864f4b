/**
 * The piscina entry: one task runs one attempt of one job. Workers never open the
 * database: they get the job, stream progress on the pool's channel, and return the
 * outcome for the scheduler to commit.
 */
import { BroadcastChannel, threadId } from 'node:worker_threads'
import { AttemptError } from '../shared/errors'
import { classify } from './classify'
import { armLimits, type AttemptLimits } from './limits'
import { artifactName, promptHash, writeArtifact } from './artifacts'
import { checkOutput, outputFormat } from './output'
import { PhaseClock } from './phases'
import { PROGRESS_INTERVAL_MS, type AttemptOutcome, type AttemptTask, type ChannelMessage } from './protocol'
import { providerFor } from './providers'
import { renderPrompt } from './render'

const running = new Map<number, AbortController>()
const channels = new Map<string, BroadcastChannel>()

function channelFor(name: string): BroadcastChannel {
  let channel = channels.get(name)
  if (!channel) {
    channel = new BroadcastChannel(name)
    channel.onmessage = (event) => {
      const message = (event as { data: ChannelMessage }).data
      // A cancel for a job not running here is for another thread, or early: the scheduler repeats it.
      if (message.type === 'cancel') running.get(message.id)?.abort(new AttemptError('CANCELLED', 'cancelled by the operator'))
    }
    channel.unref()
    channels.set(name, channel)
  }
  return channel
}

export default async function runAttempt(task: AttemptTask): Promise<AttemptOutcome> {
  const started = performance.now()
  const channel = channelFor(task.channel)
  const controller = new AbortController()
  running.set(task.id, controller)
  let firstTokenMs: number | null = null
  let lastReport = started
  let limits: AttemptLimits | undefined
  const phases = PhaseClock.for(task.traceparent)
  try {
    limits = armLimits(task.config, controller)
    artifactName(task.id, task.config.outputName)
    const provider = providerFor(task.provider)
    const call = phases?.begin('provider call')
    const result = await provider.generate(
      { prompt: renderPrompt(task.prompt, task.config.vars), attempt: task.attempt, model: task.model, config: task.config },
      {
        signal: controller.signal,
        traceparent: call && phases?.traceparent(call),
        onProgress(outputTokens, fraction) {
          const now = performance.now()
          if (firstTokenMs === null) {
            firstTokenMs = now - started
            limits?.firstToken()
            if (call) phases?.firstToken(call)
          }
          if (now - lastReport < PROGRESS_INTERVAL_MS && fraction !== 1) return
          lastReport = now
          const message: ChannelMessage = { type: 'progress', id: task.id, threadId, fraction, outputTokens, elapsedMs: now - started }
          channel.postMessage(message)
        },
      },
    )
    phases?.end()
    // A job that names no output format has nothing to validate: no span for it.
    if (task.config.output !== undefined) phases?.begin('validation')
    checkOutput(result.text, task.config.output)
    phases?.end()
    const durationMs = performance.now() - started
    let artifact: string | null = null
    // config.artifact false keeps the output in the queue only (load drills, the queue bench).
    if (task.artifactsDir !== null && task.config.artifact !== false) {
      phases?.begin('artifact write')
      artifact = await writeArtifact(
        task.artifactsDir,
        task.batchId,
        artifactName(task.id, task.config.outputName),
        outputFormat(task.config.output),
        result.text,
        {
          jobId: task.id,
          attempt: task.attempt,
          provider: task.provider,
          model: task.model,
          promptSha256: promptHash(task.prompt),
          inputTokens: result.inputTokens,
          outputTokens: result.outputTokens,
          firstTokenMs,
          durationMs,
        },
      )
      phases?.end()
    }
    return {
      ok: true,
      output: result.text,
      artifact,
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      firstTokenMs,
      durationMs,
      ...(phases && { spans: phases.spans }),
    }
  } catch (error) {
    // The abort reason wins: our TIMEOUT or the operator's cancel, whatever the provider threw on the way out.
    const failure = classify(error, { aborted: controller.signal.aborted, reason: controller.signal.reason })
    phases?.end(true)
    return {
      ok: false,
      category: failure.category,
      message: failure.message,
      retryable: failure.retryable,
      retryAfterMs: failure.retryAfterMs ?? null,
      durationMs: performance.now() - started,
      ...(phases && { spans: phases.spans }),
    }
  } finally {
    limits?.clear()
    running.delete(task.id)
  }
}
