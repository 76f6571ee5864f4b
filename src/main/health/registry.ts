/**
 * The health registry: named checks, each critical or not and each with a timeout of its
 * own, run together into one report. Parts that come and go (a breaker per provider, the
 * exporter while it listens) register and unregister their checks by name.
 */
import { performance } from 'node:perf_hooks'
import { CheckResult, type CheckReport, type HealthReport, type HealthStatus } from '../../shared/health'

export interface HealthCheck {
  /** Unique in a registry: registering a name again replaces the check. Breakers use `breaker:<provider>/<model>`. */
  name: string
  /** A critical check that fails makes the report unhealthy (not ready); any other problem only degrades it. */
  critical: boolean
  /** How long the check may take; past it, it fails with "did not answer within N ms". */
  timeoutMs: number
  check(): Promise<CheckResult> | CheckResult
  /** Releases what the check holds (a monitor, a timer) once it is unregistered, replaced or the registry closes. */
  dispose?(): void
}

export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>()
  private running: Promise<HealthReport> | null = null
  private isReady = false

  /** Adds a check, or replaces the one already registered under its name. */
  register(check: HealthCheck): this {
    validate(check)
    const previous = this.checks.get(check.name)
    this.checks.set(check.name, check)
    if (previous && previous !== check) previous.dispose?.()
    return this
  }

  has(name: string): boolean {
    return this.checks.has(name)
  }

  /** Removes a check; false when none had that name. */
  unregister(name: string): boolean {
    const check = this.checks.get(name)
    if (!check) return false
    this.checks.delete(name)
    check.dispose?.()
    return true
  }

  get(name: string): HealthCheck | undefined {
    return this.checks.get(name)
  }

  get names(): string[] {
    return [...this.checks.keys()]
  }

  /** False while the engine is still starting (and again once it closes): readiness probes answer 503 meanwhile. */
  get ready(): boolean {
    return this.isReady
  }

  markReady(): void {
    this.isReady = true
  }

  /**
   * Runs every check at once, each bounded by its own timeout. Callers that ask while a
   * report is being made share it: probes from several scrapers do not multiply the work.
   */
  report(): Promise<HealthReport> {
    this.running ??= this.runChecks().finally(() => {
      this.running = null
    })
    return this.running
  }

  /** Not ready any more, and every check's resources released. */
  close(): void {
    this.isReady = false
    for (const check of this.checks.values()) check.dispose?.()
    this.checks.clear()
  }

  private async runChecks(): Promise<HealthReport> {
    const checkedAt = Date.now()
    const checks = await Promise.all([...this.checks.values()].map(runCheck))
    return { status: overallStatus(checks), checkedAt, checks }
  }
}

/** Unhealthy when a critical check fails; degraded when any other check fails or any check warns. */
export function overallStatus(checks: Pick<CheckReport, 'critical' | 'status'>[]): HealthStatus {
  if (checks.some((check) => check.critical && check.status === 'fail')) return 'unhealthy'
  if (checks.some((check) => check.status !== 'pass')) return 'degraded'
  return 'healthy'
}

async function runCheck(check: HealthCheck): Promise<CheckReport> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'fail', detail: `did not answer within ${check.timeoutMs} ms` }), check.timeoutMs)
  })
  const answered = Promise.resolve()
    .then(() => check.check())
    .then(asResult, (error: unknown) => ({ status: 'fail' as const, detail: messageOf(error) }))
  try {
    const result = await Promise.race([answered, timedOut])
    const durationMs = Math.round((performance.now() - started) * 10) / 10
    return { name: check.name, critical: check.critical, status: result.status, detail: result.detail, durationMs }
  } finally {
    clearTimeout(timer)
  }
}

/** A check that returns something malformed is a defect in the check: show it as a failure, not a crash. */
function asResult(value: unknown): CheckResult {
  const parsed = CheckResult.safeParse(value)
  return parsed.success ? parsed.data : { status: 'fail', detail: `the check returned ${JSON.stringify(value) ?? 'nothing'}, not a result` }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name
  return String(error)
}

function validate(check: HealthCheck): void {
  if (typeof check.name !== 'string' || check.name.trim() === '') throw new TypeError('health check: name must be a non-empty string')
  if (!Number.isInteger(check.timeoutMs) || check.timeoutMs <= 0) throw new TypeError(`health check "${check.name}": timeoutMs must be a positive integer`)
  if (typeof check.check !== 'function') throw new TypeError(`health check "${check.name}": check must be a function`)
  if (typeof check.critical !== 'boolean') throw new TypeError(`health check "${check.name}": critical must be true or false`)
}
