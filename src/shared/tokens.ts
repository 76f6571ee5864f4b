/**
 * An attempt's tokens by class, as the providers bill them: plain input, input read from
 * the provider's prompt cache (OpenAI's cached tokens, Anthropic's cache reads), input
 * written to it (Anthropic's cache writes), and output. The classes never overlap: an
 * attempt's input is the sum of the first three, so a token is priced and counted once.
 */

/** The classes, in the words metrics (`direction`), CSV columns and reports use. */
export const TOKEN_CLASSES = ['input', 'cached_input', 'cache_write', 'output'] as const
export type TokenClass = (typeof TOKEN_CLASSES)[number]

export interface TokenUsage {
  /** Input neither read from nor written to a prompt cache; null when the provider reported none. */
  inputTokens: number | null
  outputTokens: number | null
  /** Input read from the provider's prompt cache; absent (as in rows older than migration 0025) is 0. */
  cachedInputTokens?: number | null | undefined
  /** Input written to the provider's prompt cache; absent is 0. */
  cacheWriteTokens?: number | null | undefined
}

/** Each class's count, unknown counts as 0. */
export function tokenClasses(usage: TokenUsage): Record<TokenClass, number> {
  return {
    input: usage.inputTokens ?? 0,
    cached_input: usage.cachedInputTokens ?? 0,
    cache_write: usage.cacheWriteTokens ?? 0,
    output: usage.outputTokens ?? 0,
  }
}

/** Every input token of the attempt, whatever its class: what rate limits and token budgets count. */
export function allInputTokens(usage: TokenUsage): number {
  return (usage.inputTokens ?? 0) + (usage.cachedInputTokens ?? 0) + (usage.cacheWriteTokens ?? 0)
}

/** OpenAI's usage: prompt_tokens counts the cached ones too; what is left is plain input. */
export function openaiUsage(usage: {
  prompt_tokens?: number | null
  completion_tokens?: number | null
  prompt_tokens_details?: { cached_tokens?: number | null } | null
}): TokenUsage {
  const prompt = usage.prompt_tokens ?? null
  const cached = Math.min(usage.prompt_tokens_details?.cached_tokens ?? 0, prompt ?? 0)
  return { inputTokens: prompt === null ? null : prompt - cached, outputTokens: usage.completion_tokens ?? null, ...cacheClasses(cached, 0) }
}

/** Anthropic's usage: input_tokens already leaves out what was read from or written to the cache. */
export function anthropicUsage(usage: {
  input_tokens?: number | null
  output_tokens?: number | null
  cache_read_input_tokens?: number | null
  cache_creation_input_tokens?: number | null
}): TokenUsage {
  return {
    inputTokens: typeof usage.input_tokens === 'number' ? usage.input_tokens : null,
    outputTokens: usage.output_tokens ?? null,
    ...cacheClasses(usage.cache_read_input_tokens ?? 0, usage.cache_creation_input_tokens ?? 0),
  }
}

/** The cache's classes, each only when the provider reported some: most answers touch no cache, and carry two numbers, not four. */
export function cacheClasses(cached: number, written: number): { cachedInputTokens?: number; cacheWriteTokens?: number } {
  return { ...(cached > 0 ? { cachedInputTokens: cached } : {}), ...(written > 0 ? { cacheWriteTokens: written } : {}) }
}
