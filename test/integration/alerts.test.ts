/**
 * Alerts end to end: a real engine, the simulator, a failure burst. The failure-rate rule
 * goes pending, fires and resolves with one notification each way; the webhook receiver
 * on loopback gets exactly the firing and the resolved post; the CLI beside the running
 * engine sees the same states and history.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { notifies, type AlertEvent } from '../../src/shared/alerts'
import { createEngine, type Engine } from '../../src/main/engine'
import { genopsAsync } from '../support/cli'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver'

let engine: Engine | undefined
let receiver: WebhookReceiver | undefined
afterEach(async () => {
  await engine?.close(2000)
  await receiver?.close()
})

const BURST = 'FailureBurst'

describe('alerts', () => {
  it('take a failure burst from pending to firing to resolved, with one notification and one webhook post each way', async () => {
    const dataDir = tempDir()
    receiver = await startWebhookReceiver()
    engine = await createEngine({
      dataDir,
      threads: 1,
      pollMs: 50,
      artifacts: false,
      alerts: { intervalMs: 100, webhook: { url: receiver.url, backoffMs: 20 } },
    })
    const running = engine
    const transitions: AlertEvent[] = []
    running.subscribe((event) => event.type === 'alert' && event.data.name === BURST && transitions.push(event.data))

    // Half the attempts of the last 30 seconds failing, of at least 10, for a second.
    await running.call('saveAlertRule', {
      name: BURST,
      signal: 'failure_rate',
      window: '30s',
      minAttempts: 10,
      op: '>',
      threshold: 0.5,
      for: '1s',
      severity: 'critical',
      summary: 'Most attempts are failing',
    })
    const enqueue = (prompt: string, n: number, config?: object) =>
      running.call('enqueueJobs', { jobs: Array.from({ length: n }, (_, i) => ({ prompt: `${prompt} ${i}`, attempts: 1, config })) })

    await enqueue('broken', 20, { failAttempts: 1, failCategory: 'VALIDATION' })
    await waitFor(
      () => transitions.map((t) => t.to),
      (seen) => seen.includes('firing'),
      { what: 'the alert firing' },
    )
    expect(transitions.map((t) => [t.from, t.to])).toEqual([
      ['inactive', 'pending'],
      ['pending', 'firing'],
    ])
    // Pending lasted the rule's `for`; the pending spell is told, not kept: only the firing has a history row.
    expect(transitions[1]!.at - transitions[0]!.at).toBeGreaterThanOrEqual(1000)
    expect(transitions.map((t) => t.id === null)).toEqual([true, false])
    expect(await running.metrics!.text()).toMatch(/genops_alerts_firing\{alertname="FailureBurst",severity="critical"\} 1/)

    // The CLI, a second process beside the running engine, sees it firing.
    const listed = await genopsAsync(['alerts', 'list', '--data-dir', dataDir, '--json'])
    expect(listed.status).toBe(0)
    expect(JSON.parse(listed.stdout)).toContainEqual(expect.objectContaining({ rule: expect.objectContaining({ name: BURST }), state: 'firing' }))

    // Enough successes bring the failure rate under half: it resolves.
    await enqueue('fine', 30)
    await waitFor(
      () => transitions.map((t) => t.to),
      (seen) => seen.includes('resolved'),
      { what: 'the alert resolving', timeoutMs: 30_000 },
    )
    expect(transitions.map((t) => [t.from, t.to])).toEqual([
      ['inactive', 'pending'],
      ['pending', 'firing'],
      ['firing', 'resolved'],
    ])
    expect(transitions.filter(notifies).map((t) => t.to)).toEqual(['firing', 'resolved'])
    expect(await running.metrics!.text()).not.toMatch(/genops_alerts_firing\{alertname="FailureBurst"/)

    await engine.close(2000)
    const posts = receiver.received.map(({ body }) => body.alert as { name: string; state: string })
    expect(posts.map(({ name, state }) => [name, state])).toEqual([
      [BURST, 'firing'],
      [BURST, 'resolved'],
    ])
    expect(receiver.received[0]!.body.text).toMatch(/^:rotating_light: \[FIRING\] FailureBurst \(critical\): Most attempts are failing \(\d+\.\d%\)$/)

    const history = await genopsAsync(['alerts', 'history', '--data-dir', dataDir, '--name', BURST])
    expect(history.stdout).toMatch(/FailureBurst\s+critical\s+firing -> resolved/)
    expect(history.stdout).toMatch(/FailureBurst\s+critical\s+pending -> firing/)
    expect(history.stdout).not.toMatch(/-> pending/)
  })

  it('does not notify again after a restart while an alert stays firing', async () => {
    const dataDir = tempDir()
    const rule = { name: 'AlwaysWaiting', signal: 'jobs_waiting', op: '>=', threshold: 0, for: '0s', severity: 'warning', summary: 'always' } as const
    const start = () => createEngine({ dataDir, threads: 1, artifacts: false, alerts: { intervalMs: 50 } })
    engine = await start()
    await engine.call('saveAlertRule', rule)
    const first = await engine.call('alertHistory', { name: rule.name })
    expect(first.transitions.map((t) => t.to)).toEqual(['firing'])
    await engine.close(2000)

    engine = await start()
    const seen: AlertEvent[] = []
    engine.subscribe((event) => event.type === 'alert' && event.data.name === rule.name && seen.push(event.data))
    await engine.call('saveAlertRule', { ...rule, summary: 'still always' })
    expect((await engine.call('alertHistory', { name: rule.name })).transitions).toHaveLength(1)
    expect(seen).toEqual([])

    // Disabled, it resolves once.
    await engine.call('saveAlertRule', { ...rule, enabled: false })
    expect((await engine.call('alertHistory', { name: rule.name })).transitions.map((t) => t.to)).toEqual(['resolved', 'firing'])
    const { alerts } = await engine.call('listAlerts', {})
    expect(alerts.find((a) => a.rule.name === rule.name)).toMatchObject({ builtin: false, state: 'inactive' })
    expect(alerts.filter((a) => a.builtin).map((a) => a.rule.name)).toContain('GenOpsFailureRateHigh')
  })
})
