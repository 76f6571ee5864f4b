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
