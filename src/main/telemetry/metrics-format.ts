/**
 * A registry as text, in the Prometheus text format (0.0.4) or in OpenMetrics, as the
 * scraper asks. prom-client renders either by the registry's content type; its OpenMetrics
 * rendering also renames every counter in place (genops_jobs_finished_total becomes
 * genops_jobs_finished for good), which would break the next Prometheus-format scrape and
 * every other registry sharing the process metrics. So renders run one at a time in the
 * process, and each puts the names back as they were.
 *
 * Several registries render one after the other into one answer (an engine's own series
 * carry a default `engine` label, its store-wide ones none: a registry's default labels
 * apply to all it holds); OpenMetrics ends only the whole answer with `# EOF`.
 */
import { Registry, type RegistryContentType } from 'prom-client'

export type MetricsFormat = 'prometheus' | 'openmetrics'

export const CONTENT_TYPES: Record<MetricsFormat, RegistryContentType> = {
  prometheus: Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
}

let previous: Promise<unknown> = Promise.resolve()

const EOF = '# EOF\n'

export function renderMetrics(registries: readonly Registry<RegistryContentType>[], format: MetricsFormat = 'prometheus'): Promise<string> {
  const render = previous.then(async () => {
    const texts: string[] = []
    for (const registry of registries) texts.push(await renderOne(registry, format))
    if (format !== 'openmetrics') return texts.join('')
    return `${texts.map((text) => (text.endsWith(EOF) ? text.slice(0, -EOF.length) : text)).join('')}${EOF}`
  })
  previous = render.catch(() => undefined)
  return render
}

async function renderOne(registry: Registry<RegistryContentType>, format: MetricsFormat): Promise<string> {
  const names = registry.getMetricsAsArray().map((metric) => [metric, metric.name] as const)
  registry.setContentType(CONTENT_TYPES[format])
  try {
    return await registry.metrics()
  } finally {
    registry.setContentType(Registry.PROMETHEUS_CONTENT_TYPE)
    for (const [metric, name] of names) metric.name = name
  }
}

/**
 * Which format an Accept header asks for: OpenMetrics when it ranks
 * application/openmetrics-text (version 1.0.0, or none given) above the text format, as
 * Prometheus's own scrapes do; the text format otherwise.
 */
export function negotiateFormat(accept: string | undefined): MetricsFormat {
  if (!accept) return 'prometheus'
  let openMetrics = 0
  let text = 0
  for (const range of accept.split(',')) {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase())
    const values = new Map(parameters.map((parameter) => parameter.split('=').map((part) => part.trim()) as [string, string | undefined]))
    const quality = values.has('q') ? Number(values.get('q')) : 1
    if (!Number.isFinite(quality)) continue
    const version = values.get('version')
    if (type === 'application/openmetrics-text' && (version === undefined || version === '1.0.0')) openMetrics = Math.max(openMetrics, quality)
    else if (type === 'text/plain' || type === 'text/*' || type === '*/*') text = Math.max(text, quality)
  }
  return openMetrics > 0 && openMetrics >= text ? 'openmetrics' : 'prometheus'
}
