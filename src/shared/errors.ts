/**
 * The categories every failed attempt is sorted into, in one place: what the resilience
 * layer acts on, what the failure screens group by, and what metrics are labelled with.
 */
export const ERROR_CATEGORIES = {
  TIMEOUT: { retryable: true, severity: 'warning' },
  RATE_LIMIT: { retryable: true, severity: 'warning' },
  AUTH: { retryable: false, severity: 'critical' },
  VALIDATION: { retryable: false, severity: 'warning' },
  SERVICE_UNAVAILABLE: { retryable: true, severity: 'warning' },
  NETWORK: { retryable: true, severity: 'warning' },
  MODEL: { retryable: false, severity: 'critical' },
  PROVIDER: { retryable: true, severity: 'warning' },
  CANCELLED: { retryable: false, severity: 'info' },
  UNKNOWN: { retryable: true, severity: 'warning' },
} as const satisfies Record<string, { retryable: boolean; severity: 'info' | 'warning' | 'critical' }>

export type ErrorCategory = keyof typeof ERROR_CATEGORIES

/** A failed attempt with its category; thrown by providers, carried back by workers. */
export class AttemptError extends Error {
  override name = 'AttemptError'
  readonly retryable: boolean
  constructor(
    readonly category: ErrorCategory,
    message: string,
    options: { retryable?: boolean; retryAfterMs?: number } = {},
  ) {
    super(message)
    this.retryable = options.retryable ?? ERROR_CATEGORIES[category].retryable
    this.retryAfterMs = options.retryAfterMs
  }
  readonly retryAfterMs: number | undefined
}

export function isErrorCategory(value: unknown): value is ErrorCategory {
  return typeof value === 'string' && Object.hasOwn(ERROR_CATEGORIES, value)
}

export const ERROR_SEVERITIES = ['info', 'warning', 'critical'] as const
export type ErrorSeverity = (typeof ERROR_SEVERITIES)[number]

/** The declared severity of a category, as each failed attempt stores it; null for a category this build does not know. */
export function severityOf(category: string | null): ErrorSeverity | null {
  return isErrorCategory(category) ? ERROR_CATEGORIES[category].severity : null
}

/** How much of an UNKNOWN failure's stack is kept with its attempt: enough to find where it came from. */
export const MAX_STACK_CHARS = 4096

/**
 * The stack of an error and of its causes (as far as six deep), masked by `mask` (the
 * process's secret mask: a key in a message shows in the stack's first line too) and then
 * cut to MAX_STACK_CHARS, so a cut never leaves half a key unmasked. Null when there is none.
 */
export function errorStack(error: unknown, mask: (text: string) => string): string | null {
  const stacks: string[] = []
  const seen = new Set<unknown>()
  let current = error
  while (typeof current === 'object' && current !== null && stacks.length < 6 && !seen.has(current)) {
    seen.add(current)
    const stack = (current as { stack?: unknown }).stack
    if (typeof stack === 'string' && stack !== '') stacks.push(stack)
    current = (current as { cause?: unknown }).cause
  }
  if (stacks.length === 0) return null
  const masked = mask(stacks.join('\nCaused by: '))
  return masked.length > MAX_STACK_CHARS ? `${masked.slice(0, MAX_STACK_CHARS - 1)}…` : masked
}
