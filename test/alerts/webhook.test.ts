/** The alert webhook against a real receiver on 127.0.0.1: retries, give-ups and order. */
import { afterEach, describe, expect, it } from 'vitest'
import { AlertWebhook, WebhookConfig } from '../../src/main/alerts/webhook'
import { AlertRule, type AlertTransition } from '../../src/shared/alerts'
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver'

const rule = AlertRule.parse({
  name: 'Failing',
  signal: 'failure_rate',
  window: '5m',
  op: '>',
  threshold: 0.1,
  severity: 'critical',
  summary: 'Attempts are failing',
  labels: { team: 'ops' },
})
const transition = (to: 'firing' | 'resolved', id = 1): AlertTransition => ({
  id,
  name: 'Failing',
  severity: 'critical',
  from: to === 'firing' ? 'pending' : 'firing',
  to,
  at: Date.UTC(2026, 10, 25, 12),
  value: 0.34,
  summary: 'Attempts are failing',
})

let receiver: WebhookReceiver | undefined
afterEach(async () => receiver?.close())

const webhook = (failures: string[], over: Partial<WebhookConfig> = {}) =>
  new AlertWebhook(WebhookConfig.parse({ url: receiver!.url, backoffMs: 10, ...over }), (message) => failures.push(message))

describe('the alert webhook', () => {
  it('posts a Slack-compatible body, retrying a receiver that answers 503', async () => {
    receiver = await startWebhookReceiver([503, 503])
    const failures: string[] = []
    const hook = webhook(failures)
    hook.send(transition('firing'), rule)
    await hook.flush()
    expect(receiver.received.map((r) => r.status)).toEqual([503, 503, 200])
    expect(receiver.received[2]!.body).toEqual({
      text: ':rotating_light: [FIRING] Failing (critical): Attempts are failing (34.0%)',
      alert: {
        name: 'Failing',
        state: 'firing',
        severity: 'critical',
        summary: 'Attempts are failing',
        value: 0.34,
        rule: 'failure_rate[5m] > 0.1',
        labels: { team: 'ops' },
        at: '2026-11-25T12:00:00.000Z',
      },
    })
    expect(failures).toEqual([])
  })

  it('gives up at once on a 4xx, and after its attempts on 5xx, saying so without the URL’s path', async () => {
    receiver = await startWebhookReceiver([400, 500, 500, 500])
    const failures: string[] = []
    const hook = webhook(failures, { attempts: 3 })
    hook.send(transition('firing'), rule)
    hook.send(transition('resolved', 2), rule)
    await hook.flush()
    expect(receiver.received.map((r) => [r.status, (r.body.alert as { state: string }).state])).toEqual([
      [400, 'firing'],
      [500, 'resolved'],
      [500, 'resolved'],
      [500, 'resolved'],
    ])
    expect(failures).toEqual([
      expect.stringMatching(/^alert webhook: Failing firing not delivered: 127\.0\.0\.1:\d+ answered 400$/),
      expect.stringMatching(/^alert webhook: Failing resolved not delivered: 127\.0\.0\.1:\d+ answered 500$/),
    ])
    expect(failures.join()).not.toContain('/hooks/genops')
  })

  it('keeps the order: a resolve never overtakes the firing it ends', async () => {
    receiver = await startWebhookReceiver([503])
    const hook = webhook([])
    hook.send(transition('firing'), rule)
    hook.send(transition('resolved', 2), rule)
    await hook.flush()
    expect(receiver.received.filter((r) => r.status === 200).map((r) => (r.body.alert as { state: string }).state)).toEqual(['firing', 'resolved'])
  })

  it('refuses a URL that is not http(s)', () => {
    expect(WebhookConfig.safeParse({ url: 'file:///etc/passwd' }).error?.issues[0]?.message).toBe('alerts.webhook.url must be an http or https URL')
  })
})
