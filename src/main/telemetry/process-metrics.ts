/**
 * prom-client's default metrics (CPU, memory, event-loop lag, GC, handles) describe the
 * process, not an engine, and each collection starts monitors that are never stopped: so
 * they are collected once per process, on a registry of their own that every engine's
 * registry merges, never on prom-client's global one.
 */
import { collectDefaultMetrics, Registry } from 'prom-client'

/**
 * Gauges that only sum another metric's series (nodejs_active_handles by type...) under a
 * name that says counter: `promtool check metrics` rejects them, and sum() gives the same.
 */
const LEFT_OUT = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']

let registry: Registry | undefined

export function processMetrics(): Registry {
  if (!registry) {
    registry = new Registry()
    collectDefaultMetrics({ register: registry })
    for (const name of LEFT_OUT) registry.removeSingleMetric(name)
  }
  return registry
}
