/**
 * One result line of a provider batch as its job's attempt: the answer checked against
 * the job's output format and written as an artifact as a worker writes one
 * (workers/artifacts.ts), or the provider's error sorted by the one classifier
 * (workers/classify.ts). What comes out is the AttemptOutcome a worker returns, so the
 * queue's own result path (attempt-result.ts, settle) takes it from there.
 */
import { AttemptError } from '../../shared/errors'
import type { ConfigKind } from '../../shared/job-config'
import { allInputTokens, type TokenUsage } from '../../shared/tokens'
import { ArtifactRefused, promptHash, writeArtifact } from '../../workers/artifacts'
import { classify, redactSecrets } from '../../workers/classify'
import { checkOutput, outputFormat } from '../../workers/output'
import type { AttemptOutcome } from '../../workers/protocol'
import type { LineResult } from './api'
import type { SubmittedLine } from './store'

/** A failure as a worker reports it: category, redacted message, retryable flag. */
export function failedOutcome(error: unknown, durationMs: number): AttemptOutcome & { ok: false } {
  const failure = classify(error, { aborted: false })
  return {
    ok: false,
    category: failure.category,
    message: redactSecrets(failure.message),
    retryable: failure.retryable,
    retryAfterMs: null,
    durationMs,
    ...(failure instanceof ArtifactRefused && { diskFull: failure.code }),
  }
}

interface LineContext {
  kind: ConfigKind
  model: string
  artifactsDir: string | null
  endedAt: number
}

/** The attempt a finished line makes (an `unfinished` line is not one: its job goes back to the queue). */
export async function lineOutcome(line: SubmittedLine, result: Exclude<LineResult, { kind: 'unfinished' }>, context: LineContext): Promise<AttemptOutcome> {
  const durationMs = context.endedAt - line.startedAt
  if (result.kind === 'error') return failedOutcome(result.error, durationMs)
  if (result.kind === 'malformed') return failedOutcome(new AttemptError('PROVIDER', `${context.kind}: ${result.reason}`), durationMs)
  try {
    // A provider that echoes a key it was sent gets it masked here, before the output is stored or written.
    const text = redactSecrets(result.text)
    checkOutput(text, line.config.output)
    const artifact = await writeLineArtifact(line, text, result.usage, context, durationMs)
    return {
      ok: true,
      output: text,
      artifact,
      inputTokens: result.usage.inputTokens,
      outputTokens: result.usage.outputTokens,
      cachedInputTokens: result.usage.cachedInputTokens ?? 0,
      cacheWriteTokens: result.usage.cacheWriteTokens ?? 0,
      firstTokenMs: null,
      durationMs,
    }
  } catch (error) {
    return failedOutcome(error, durationMs)
  }
}

async function writeLineArtifact(line: SubmittedLine, text: string, usage: TokenUsage, context: LineContext, durationMs: number): Promise<string | null> {
  // config.artifact false keeps the output in the queue only, as for a real-time attempt.
  if (context.artifactsDir === null || line.config.artifact === false) return null
  const name = typeof line.config.outputName === 'string' ? line.config.outputName : String(line.jobId)
  return writeArtifact(context.artifactsDir, line.batchId, name, outputFormat(line.config.output), text, {
    jobId: line.jobId,
    attempt: line.attempt,
    provider: context.kind,
    model: context.model,
    promptSha256: promptHash(line.prompt),
    inputTokens: allInputTokens(usage),
    outputTokens: usage.outputTokens,
    firstTokenMs: null,
    durationMs,
  })
}
