/**
 * resources/prometheus: the scrape config and the Grafana dashboard are built on the
 * metric names of the catalogue (src/shared/metrics), which is what keeps them a contract.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_EXPORTER_PORT } from '../../src/main/telemetry/metrics-config'
import { METRICS } from '../../src/shared/metrics'
import { dashboardQueries, PROMETHEUS_RESOURCES as DIR } from '../support/dashboard'

// Under CI=true (.ci/run installs prometheus) a missing promtool fails the test instead of skipping it.
const PROMTOOL = spawnSync('promtool', ['--version']).status === 0 || process.env.CI === 'true'

describe('resources/prometheus', () => {
  it('the dashboard reads only metrics of the catalogue, and shows the ones DESIGN.md asks for', () => {
    const catalogue = new Set<string>(Object.values(METRICS))
    const used = new Set(dashboardQueries().flatMap(({ expr }) => [...expr.matchAll(/genops_[a-z_]+/g)].map(([name]) => name.replace(/_bucket$/, ''))))
    expect([...used].filter((name) => !catalogue.has(name))).toEqual([])
    for (const name of [
      METRICS.jobsFinished,
      METRICS.attempts,
      METRICS.queueJobs,
      METRICS.requestDuration,
      METRICS.tokens,
      METRICS.cost,
      METRICS.breakerState,
    ]) {
      expect(used, name).toContain(name)
    }
    const quantiles = dashboardQueries().filter(({ expr }) => expr.startsWith('histogram_quantile('))
    for (const q of ['0.5', '0.95', '0.99'])
      expect(
        quantiles.some(({ expr }) => expr.startsWith(`histogram_quantile(${q},`)),
        q,
      ).toBe(true)
  })

  it("scrapes the exporter's default address", () => {
    expect(readFileSync(join(DIR, 'prometheus.yml'), 'utf8')).toContain(`targets: ['127.0.0.1:${DEFAULT_EXPORTER_PORT}']`)
  })

  it.skipIf(!PROMTOOL)('the scrape config passes promtool check config (skipped when promtool is not installed: apt-get install prometheus)', () => {
    const checked = spawnSync('promtool', ['check', 'config', join(DIR, 'prometheus.yml')], { encoding: 'utf8' })
    expect(checked.stderr).toBe('')
    expect(checked.status).toBe(0)
  })
})
