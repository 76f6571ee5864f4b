/**
 * The alert webhook: one JSON POST per alert that fires or resolves, in a body Slack's
 * incoming webhooks take as it is (`text`), with the alert itself beside it for anything
 * else. Posts go one at a time, in order (a resolve never overtakes its firing), each
 * retried with backoff (cockatiel) when the receiver is unreachable, answers 5xx or 429.
 */
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel'
import { z } from 'zod'
import { describeRule, formatSignalValue, type AlertRule, type AlertTransition } from '../../shared/alerts'

export const WebhookConfig = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'alerts.webhook.url must be an http or https URL' }),
    /** Extra headers, such as Authorization for a receiver that wants a token. Never logged. */
    headers: z.record(z.string(), z.string()).default({}),
    /** How long one POST may take. Default 5 s. */
    timeoutMs: z.number().int().positive().default(5_000),
    /** POSTs per alert, the first included. Default 4. */
    attempts: z.number().int().min(1).max(20).default(4),
    /** The first retry's wait, doubling up to 30 s. Default 1 s. */
    backoffMs: z.number().int().positive().default(1_000),
  })
  .strict()
export type WebhookConfig = z.output<typeof WebhookConfig>

class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message)
  }
}

/** The body: Slack shows `text`; other receivers read `alert`. */
export function webhookBody(transition: Omit<AlertTransition, 'id'>, rule: AlertRule) {
  const state = transition.to === 'firing' ? 'firing' : 'resolved'
  const value = ` (${formatSignalValue(rule.signal, transition.value)})`
  const mark = state === 'firing' ? (transition.severity === 'critical' ? ':rotating_light:' : ':warning:') : ':white_check_mark:'
  return {
    text: `${mark} [${state.toUpperCase()}] ${transition.name} (${transition.severity}): ${transition.summary}${value}`,
    alert: {
      name: transition.name,
      state,
      severity: transition.severity,
      summary: transition.summary,
      value: transition.value,
      rule: describeRule(rule),
      labels: rule.labels,
      at: new Date(transition.at).toISOString(),
    },
  }
}

export class AlertWebhook {
  private queue: Promise<void> = Promise.resolve()
  private readonly policy

  constructor(
    private readonly config: WebhookConfig,
    private readonly onFailure: (message: string) => void,
  ) {
    this.policy = retry(
      handleWhen((error) => error instanceof DeliveryError && error.retryable),
      { maxAttempts: config.attempts - 1, backoff: new ExponentialBackoff({ initialDelay: config.backoffMs, maxDelay: 30_000 }) },
    )
  }

  /** Queues the POST; a delivery that fails for good is reported, never thrown. */
  send(transition: Omit<AlertTransition, 'id'>, rule: AlertRule): void {
    const body = JSON.stringify(webhookBody(transition, rule))
    this.queue = this.queue
      .then(() => this.policy.execute(() => this.post(body)))
      .catch((error: unknown) => this.onFailure(`alert webhook: ${transition.name} ${transition.to} not delivered: ${(error as Error).message}`))
  }

  /** Resolves when every queued POST has been delivered or given up. */
  flush(): Promise<void> {
    return this.queue
  }

  private async post(body: string): Promise<void> {
    let response: Response
    try {
      response = await fetch(this.config.url, {
        method: 'POST',
        headers: { ...this.config.headers, 'Content-Type': 'application/json' },
        body,
        signal: AbortSignal.timeout(this.config.timeoutMs),
      })
    } catch (error) {
      throw new DeliveryError(`${new URL(this.config.url).host} unreachable: ${(error as Error).message}`, true)
    }
    await response.body?.cancel()
    if (response.ok) return
    const retryable = response.status >= 500 || response.status === 429 || response.status === 408
    throw new DeliveryError(`${new URL(this.config.url).host} answered ${response.status}`, retryable)
  }
}
