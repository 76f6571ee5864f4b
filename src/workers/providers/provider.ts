/** The one small interface every provider implements. */
import type { QuotaReading } from '../../shared/ratelimit-headers'
import type { TokenUsage } from '../../shared/tokens'
import type { ProfileEndpoint } from '../protocol'

export interface GenerationRequest<Config> {
  prompt: string
  /** Which attempt of the job this is, from 1. */
  attempt: number
  model: string | null
  /** Checked against the provider's schema (shared/job-config) before the provider sees it. */
  config: Config
  /** The profile the job named: its endpoint and key (HTTP providers only). */
  endpoint?: ProfileEndpoint | undefined
}

/** The answer and its tokens by class (shared/tokens: input is plain input, beside what the prompt cache read and wrote). */
export interface Generation extends TokenUsage {
  text: string
}

export interface GenerationHooks {
  signal: AbortSignal
  /** Called as output arrives; `fraction` when the provider knows how far along it is. */
  onProgress(outputTokens: number, fraction: number | null): void
  /** The provider call's span as a W3C traceparent, when traces are on: HTTP providers send it as a header. */
  traceparent?: string | undefined
  /** What the provider's rate-limit headers say remains, from any response that carried them (a 429's too). */
  onQuota?(reading: QuotaReading): void
}

export interface Provider<Config> {
  readonly label: string
  generate(request: GenerationRequest<Config>, hooks: GenerationHooks): Promise<Generation>
}
