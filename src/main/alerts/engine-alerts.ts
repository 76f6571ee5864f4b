/**
 * Alerts in the engine: the runner over the engine's figures, and where a transition goes.
 * Every transition reaches the event feed (the window's alert list, the desktop shell's
 * tray and notifications); firing and resolved-after-firing also reach the log and, when
 * one is configured, the webhook.
 */
import { setTimeout as delay } from 'node:timers/promises'
import { z } from 'zod'
import { notifies, type AlertEvent } from '../../shared/alerts'
import type { QueueStore } from '../queue/store'
import { defaultRules } from './rules'
import { AlertsRunner } from './runner'
import type { SignalSources } from './signals'
import { AlertWebhook, WebhookConfig } from './webhook'

const DAY = 86_400_000
/** How long a closing engine waits for the webhook: a receiver that is down must not hold up a quit. */
const WEBHOOK_GRACE_MS = 5_000

export const AlertsConfig = z
  .object({
    /** Evaluate the rules (default true). */
    enabled: z.boolean().default(true),
    /** How often. Default 15 s: Prometheus's usual evaluation interval. */
    intervalMs: z.number().int().positive('alerts.intervalMs must be a positive integer').default(15_000),
    /** How long transitions are kept. Default 90 days. */
    historyKeptMs: z
      .number()
      .int()
      .positive()
      .default(90 * DAY),
    /** A JSON POST per alert that fires or resolves (Slack-compatible). */
    webhook: WebhookConfig.optional(),
  })
  .strict()
export type AlertsConfig = z.output<typeof AlertsConfig>

export interface EngineAlertsParts extends Omit<SignalSources, 'alerts'> {
  store: QueueStore
  /** The event feed. */
  emit(transition: AlertEvent): void
  log: { notice(notice: { level: 'info' | 'warning' | 'critical'; message: string }): void; warn(message: string): void }
  /** The genops_alerts_firing gauge, when metrics are recorded. */
  setFiring?(firing: readonly { alertname: string; severity: string }[]): void
  onError(error: unknown, during: string): void
}

export interface EngineAlerts {
  readonly runner: AlertsRunner
  /** Stops evaluating and gives webhook posts under way (their retries included) a few seconds more. */
  close(): Promise<void>
}

export function engineAlerts(config: AlertsConfig, parts: EngineAlertsParts): EngineAlerts | null {
  if (!config.enabled) return null
  const defaults = defaultRules()
  const webhook = config.webhook ? new AlertWebhook(config.webhook, (message) => parts.log.warn(message)) : null
  const runner = new AlertsRunner(
    parts.store.alerts,
    defaults,
    { ...parts, alerts: parts.store.alerts },
    {
      onTransition: (transition, rule) => {
        parts.emit(transition)
        if (!notifies(transition)) return
        const firing = transition.to === 'firing'
        parts.log.notice({
          level: firing ? (transition.severity === 'critical' ? 'critical' : 'warning') : 'info',
          message: `alert ${transition.name} ${firing ? 'firing' : 'resolved'}: ${transition.summary}`,
        })
        webhook?.send(transition, rule)
      },
      onFiring: (firing) => parts.setFiring?.(firing),
      warn: (message) => parts.log.warn(message),
      onError: parts.onError,
    },
    { intervalMs: config.intervalMs, historyKeptMs: config.historyKeptMs },
  )
  return {
    runner,
    async close() {
      await runner.stop()
      if (webhook) await Promise.race([webhook.flush(), delay(WEBHOOK_GRACE_MS, undefined, { ref: false })])
    },
  }
}
