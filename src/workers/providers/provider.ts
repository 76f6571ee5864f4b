/** The one small interface every provider implements. */
export interface GenerationRequest {
  prompt: string
  /** Which attempt of the job this is, from 1. */
  attempt: number
  model: string | null
  config: Record<string, unknown>
}

export interface Generation {
  text: string
  inputTokens: number | null
  outputTokens: number | null
}

export interface GenerationHooks {
  signal: AbortSignal
  /** Called as output arrives; `fraction` when the provider knows how far along it is. */
  onProgress(outputTokens: number, fraction: number | null): void
  /** The provider call's span as a W3C traceparent, when traces are on: HTTP providers send it as a header. */
  traceparent?: string | undefined
}

export interface Provider {
  readonly label: string
  generate(request: GenerationRequest, hooks: GenerationHooks): Promise<Generation>
}
