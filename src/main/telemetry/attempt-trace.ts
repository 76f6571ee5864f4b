/**
 * One attempt's trace: begun at dispatch (its ids, and what the spans will say about the
 * request), and turned into spans when the attempt ends, from the phases the worker timed.
 *
 *   attempt                    root: from when the job was due to when its result came back
 *   ├─ queue wait              due → claimed
 *   ├─ provider call           client span, with a `first token` event
 *   ├─ validation
 *   └─ artifact write
 *
 * Attributes follow the OpenTelemetry GenAI semantic conventions (gen_ai.*), so the traces
 * read correctly in Jaeger, Tempo, Phoenix or Langfuse, plus genops.* for the job. The
 * gen_ai names are incubating: they are written out here rather than imported from the
 * semantic-conventions package's incubating entry, as that package advises; the stable
 * ones (server.*, error.type) come from the package.
 */
import { ROOT_CONTEXT } from '@opentelemetry/api'
import { RandomIdGenerator, SamplingDecision, type Sampler } from '@opentelemetry/sdk-trace-base'
import { ATTR_ERROR_TYPE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions'
import { isProviderKind } from '../../shared/providers'
import { redact } from '../../shared/redact'
import { allInputTokens } from '../../shared/tokens'
import type { StoredSpan } from '../../shared/traces'
import type { AttemptOutcome } from '../../workers/protocol'
import type { Resolved } from '../queue/profiles'
import type { ClaimedJob } from '../queue/store'

type Attributes = StoredSpan['attributes']

/** An attempt's trace as begun at dispatch. */
export interface AttemptTrace {
  traceId: string
  /** The attempt's (root) span. */
  spanId: string
  /** The root span as a W3C traceparent: the worker's phases become its children. */
  traceparent: string
  /** Kept whatever the outcome; an attempt not sampled keeps its spans only if it fails. */
  sampled: boolean
  /** The gen_ai.* and server.* attributes of the request, for the provider call's span. */
  request: Attributes
}

/** What the scheduler knows when an attempt ends (or a breaker hands it back before it ran). */
export interface TracedAttempt {
  job: ClaimedJob
  trace: AttemptTrace | null
  /** Null when a breaker handed the job back before the attempt started. */
  outcome: AttemptOutcome | null
  endedAt: number
}

/** gen_ai.operation.name: the chat APIs, or plain completion for a local model and the simulator. */
const OPERATION: Record<string, string> = { openai: 'chat', anthropic: 'chat', local: 'text_completion', sim: 'text_completion' }
/** gen_ai.provider.name: the conventions' well-known values where there is one. */
const PROVIDER_NAME: Record<string, string> = { openai: 'openai', anthropic: 'anthropic', local: 'llama.cpp', sim: 'genops.simulator' }
const DEFAULT_ENDPOINT: Record<string, string> = { openai: 'https://api.openai.com/v1', anthropic: 'https://api.anthropic.com' }

/** Job config fields that are request parameters, by their gen_ai.request.* name. */
const REQUEST_PARAMETERS: [field: string, attribute: string][] = [
  ['maxTokens', 'gen_ai.request.max_tokens'],
  ['temperature', 'gen_ai.request.temperature'],
  ['topP', 'gen_ai.request.top_p'],
  ['topK', 'gen_ai.request.top_k'],
  ['seed', 'gen_ai.request.seed'],
]

const ids = new RandomIdGenerator()

export function beginAttemptTrace(job: ClaimedJob, ran: Resolved, sampler?: Sampler): AttemptTrace {
  const traceId = ids.generateTraceId()
  const spanId = ids.generateSpanId()
  const sampled = !sampler || sampler.shouldSample(ROOT_CONTEXT, traceId, 'attempt', 0, {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED
  const request: Attributes = {
    'gen_ai.operation.name': OPERATION[ran.provider] ?? 'chat',
    'gen_ai.provider.name': PROVIDER_NAME[ran.provider] ?? ran.provider,
  }
  if (ran.model !== null) request['gen_ai.request.model'] = redact(ran.model)
  for (const [field, attribute] of REQUEST_PARAMETERS) {
    const value = ran.config[field]
    if (typeof value === 'number') request[attribute] = value
  }
  const endpoint = typeof ran.config.baseUrl === 'string' ? ran.config.baseUrl : DEFAULT_ENDPOINT[ran.provider]
  if (endpoint !== undefined) Object.assign(request, serverOf(endpoint))
  // The sampled flag tells the provider's side whether this trace is kept (W3C trace context).
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`, sampled, request }
}

/** server.address and server.port of an endpoint; nothing for one that is not a URL (the worker fails that job). */
function serverOf(endpoint: string): Attributes {
  try {
    const url = new URL(endpoint)
    return { [ATTR_SERVER_ADDRESS]: url.hostname, [ATTR_SERVER_PORT]: Number(url.port) || (url.protocol === 'https:' ? 443 : 80) }
  } catch {
    return {}
  }
}

/** The attempt's spans: the root, the queue wait, and the phases the worker timed; none for an attempt not sampled that did not fail. */
export function attemptSpans({ job, trace, outcome, endedAt }: TracedAttempt): StoredSpan[] {
  if (!trace || (!trace.sampled && (outcome === null || outcome.ok))) return []
  const { traceId, spanId } = trace
  const failure = outcome && !outcome.ok ? outcome : null
  const message = failure ? redact(failure.message) : null
  const phases = outcome?.spans ?? []
  const span = (name: string, startMs: number, endMs: number, fields: Partial<StoredSpan> = {}): StoredSpan => ({
    jobId: job.id,
    attempt: job.attempt,
    traceId,
    spanId: fields.spanId ?? ids.generateSpanId(),
    parentSpanId: spanId,
    name,
    startMs,
    endMs: Math.max(startMs, endMs),
    status: 'unset',
    statusMessage: null,
    attributes: {},
    events: [],
    ...fields,
  })

  const claimedAt = Math.max(job.readyAt, job.startedAt)
  // The request's attributes are the provider call's alone: stored once, as a drain writes thousands of traces a second.
  const rootAttributes: Attributes = { 'genops.job.id': job.id, 'genops.attempt': job.attempt }
  if (job.batchId !== null) rootAttributes['genops.batch.id'] = job.batchId
  // The job's own provider name when it named a profile: the one the operator chose.
  if (!isProviderKind(job.provider)) rootAttributes['genops.provider'] = redact(job.provider)
  if (failure) rootAttributes[ATTR_ERROR_TYPE] = failure.category
  const spans: StoredSpan[] = [
    span('attempt', job.readyAt, Math.max(endedAt, ...phases.map((phase) => phase.endMs)), {
      spanId,
      parentSpanId: null,
      // Handed back before it ran (a breaker): neither a success nor the job's failure.
      status: failure ? 'error' : outcome ? 'ok' : 'unset',
      statusMessage: outcome ? message : 'handed back before it ran: its breaker is open',
      attributes: rootAttributes,
    }),
    span('queue wait', job.readyAt, claimedAt),
  ]
  for (const phase of phases) {
    const failed = phase.failed === true && failure !== null
    const attributes: Attributes = phase.name === 'provider call' ? { ...trace.request } : {}
    if (phase.name === 'provider call' && outcome?.ok) {
      // The conventions count every input token here, cached ones included (ours are split by class: shared/tokens).
      if (outcome.inputTokens !== null) attributes['gen_ai.usage.input_tokens'] = allInputTokens(outcome)
      if (outcome.outputTokens !== null) attributes['gen_ai.usage.output_tokens'] = outcome.outputTokens
      // The GenAI conventions' cache attributes: what the input above read from and wrote to the provider's prompt cache.
      if (outcome.cachedInputTokens) attributes['gen_ai.usage.cache_read.input_tokens'] = outcome.cachedInputTokens
      if (outcome.cacheWriteTokens) attributes['gen_ai.usage.cache_creation.input_tokens'] = outcome.cacheWriteTokens
    }
    if (failed) attributes[ATTR_ERROR_TYPE] = failure.category
    spans.push(
      span(phase.name, phase.startMs, phase.endMs, {
        spanId: phase.spanId,
        status: failed ? 'error' : 'unset',
        statusMessage: failed ? message : null,
        attributes,
        events: phase.firstTokenMs === undefined ? [] : [{ name: 'first token', timeMs: phase.firstTokenMs }],
      }),
    )
  }
  return spans
}
