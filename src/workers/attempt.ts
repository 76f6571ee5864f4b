/**
 * The piscina entry: one task runs one attempt of one job. Workers never open the
 * database: they get the job, stream progress on the pool's channel, and return the
 * outcome for the scheduler to commit.
 */
import { BroadcastChannel, threadId } from 'node:worker_threads'
import type { z } from 'zod'
import { AttemptError, errorStack } from '../shared/errors'
import type { QuotaReading } from '../shared/ratelimit-headers'
import { type CONFIG_SCHEMAS, configProblem, type ConfigKind } from '../shared/job-config'
import { secretMask } from '../shared/redact'
import { cacheClasses } from '../shared/tokens'
import { classify, redactSecrets } from './classify'
import { armLimits, type AttemptLimits } from './limits'
import { ArtifactRefused, promptHash, writeArtifact } from './artifacts'
import { checkOutput, outputFormat } from './output'
import { PhaseClock } from './phases'
import { PROGRESS_INTERVAL_MS, type AttemptOutcome, type AttemptTask, type ChannelMessage } from './protocol'
import { providerFor, providerKind } from './providers'
import type { Generation, Provider } from './providers/provider'
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

/** The environment's keys as this thread started with them, and every key it has read since. */
const outputMask = secretMask(process.env)

/** The job's config as its provider's schema reads it; a config that fails the schema fails the attempt as VALIDATION. */
/** The tokens by class (a provider may report a class as 0 or null: it is left out). */
function usageOf({ inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens }: Generation) {
  return { inputTokens, outputTokens, ...cacheClasses(cachedInputTokens ?? 0, cacheWriteTokens ?? 0) }
}

function checkedConfig(kind: ConfigKind, config: Record<string, unknown>) {
  const problem = configProblem(kind, config)
  if (problem) throw new AttemptError('VALIDATION', `${kind}: ${problem}`)
  return config as z.infer<(typeof CONFIG_SCHEMAS)[ConfigKind]>
}

export default async function runAttempt(task: AttemptTask): Promise<AttemptOutcome> {
  const started = performance.now()
  const channel = channelFor(task.channel)
  const controller = new AbortController()
  running.set(task.id, controller)
  let firstTokenMs: number | null = null
  let lastReport = started
  let limits: AttemptLimits | undefined
  let quota: QuotaReading | undefined
  const phases = PhaseClock.for(task.traceparent)
  try {
    // The job's config was checked at intake; checked again here, with the same schema, whatever wrote it to the queue.
    const kind = providerKind(task.provider)
    const config = checkedConfig(kind, task.config)
    limits = armLimits(config, controller)
    const provider = providerFor(kind) as Provider<typeof config>
    const call = phases?.begin('provider call')
    const result = await provider.generate(
      { prompt: renderPrompt(task.prompt, config.vars), attempt: task.attempt, model: task.model, config, endpoint: task.endpoint },
      {
        signal: controller.signal,
        traceparent: call && phases?.traceparent(call),
        onQuota: (reading) => (quota = reading),
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
    // A provider that echoes a key it was sent gets it masked here, before the output is stored or written.
    const text = outputMask.maskValues(result.text)
    // A job that names no output format has nothing to validate: no span for it.
    if (config.output !== undefined) phases?.begin('validation')
    checkOutput(text, config.output)
    phases?.end()
    const durationMs = performance.now() - started
    let artifact: string | null = null
    // config.artifact false keeps the output in the queue only (load drills, the queue bench).
    if (task.artifactsDir !== null && config.artifact !== false) {
      phases?.begin('artifact write')
      artifact = await writeArtifact(task.artifactsDir, task.batchId, config.outputName ?? String(task.id), outputFormat(config.output), text, {
        jobId: task.id,
        attempt: task.attempt,
        provider: task.provider,
        model: task.model,
        promptSha256: promptHash(task.prompt),
        ...usageOf(result),
        firstTokenMs,
        durationMs,
      })
      phases?.end()
    }
    return {
      ok: true,
      output: text,
      artifact,
      ...usageOf(result),
      firstTokenMs,
      durationMs,
      ...(phases && { spans: phases.spans }),
      ...(quota && { quota }),
    }
  } catch (error) {
    // The abort reason wins: our TIMEOUT or the operator's cancel, whatever the provider threw on the way out.
    const failure = classify(error, { aborted: controller.signal.aborted, reason: controller.signal.reason })
    phases?.end(true)
    return {
      ok: false,
      category: failure.category,
      // Whatever the provider echoed: every key this thread holds is masked by value before the message leaves it.
      message: redactSecrets(failure.message),
      retryable: failure.retryable,
      retryAfterMs: failure.retryAfterMs ?? null,
      durationMs: performance.now() - started,
      ...(phases && { spans: phases.spans }),
      ...(failure instanceof ArtifactRefused && { diskFull: failure.code }),
      // What nothing classified is what an operator needs to find: where it was thrown.
      ...(failure.category === 'UNKNOWN' && { stack: errorStack(error, redactSecrets) ?? undefined }),
      ...(quota && { quota }),
    }
  } finally {
    limits?.clear()
    running.delete(task.id)
  }
}
