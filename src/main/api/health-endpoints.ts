/**
 * /health, /health/live and /health/ready, as both the API server and the metrics exporter
 * answer them: live while the process answers at all; ready once the engine has started and
 * no critical check fails; /health with the whole report. 503 when not ready or unhealthy.
 */
import type { OperationFailure } from '../../shared/contract'
import type { HealthRegistry } from '../health/registry'

export const isHealthPath = (path: string): boolean => path === '/health' || path.startsWith('/health/')

/**
 * Whether a health endpoint answers without the token. On loopback every one does (a local
 * supervisor or Prometheus carries none); beyond loopback only liveness, which says nothing
 * but a status: the report names the data directory and its checks' details, readiness
 * which checks fail.
 */
export const healthOpenWithoutToken = (path: string, onLoopback: boolean): boolean => onLoopback || path === '/health/live'

export interface HealthAnswer {
  status: number
  body: unknown
}

export async function healthAnswer(health: HealthRegistry, method: string | undefined, path: string): Promise<HealthAnswer> {
  if (method !== 'GET' && method !== 'HEAD') return failure(405, 'INVALID_INPUT', `${path} takes GET`)
  if (path === '/health/live') return { status: 200, body: { status: 'live' } }
  if (path === '/health/ready' && !health.ready) return { status: 503, body: { status: 'starting' } }
  if (path !== '/health' && path !== '/health/ready') {
    return failure(404, 'NOT_FOUND', `no health endpoint ${path}: use /health, /health/live or /health/ready`)
  }
  const report = await health.report()
  const status = report.status === 'unhealthy' ? 503 : 200
  if (path === '/health') return { status, body: report }
  const failing = report.checks.filter((check) => check.critical && check.status === 'fail').map((check) => check.name)
  return { status, body: status === 200 ? { status: 'ready' } : { status: 'unhealthy', failing } }
}

function failure(status: number, code: OperationFailure['error']['code'], message: string): HealthAnswer {
  return { status, body: { error: { code, message } } satisfies OperationFailure }
}
