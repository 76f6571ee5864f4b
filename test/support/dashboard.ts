/** The Grafana dashboard of resources/prometheus, read for tests. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './cli'

export const PROMETHEUS_RESOURCES = join(ROOT, 'resources/prometheus')

/** Every PromQL expression of the dashboard's panels, with the panel's title. */
export function dashboardQueries(): { title: string; expr: string }[] {
  const file = join(PROMETHEUS_RESOURCES, 'grafana-dashboard.json')
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] }
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ title: panel.title, expr: target.expr })))
}
