/**
 * `database-integrity`: whether the database file is sound, as `PRAGMA quick_check` (and
 * any read that met damage since) says. Critical: a damaged queue is unhealthy, with the
 * path, what SQLite names and what to do. While the check runs the engine is not healthy
 * yet, only degraded: nothing is known to be wrong, nothing is known to be right.
 */
import type { CheckResult } from '../../shared/health'
import { damageSummary, whatToDo } from '../store/sqlite/db/damage'
import { checkIntegrity, type IntegrityOptions, type IntegrityState } from '../store/sqlite/db/integrity'
import type { HealthCheck } from './registry'

export const INTEGRITY_CHECK = 'database-integrity'
/** How long `genops health` waits for quick_check to read the whole file. Default 5 min. */
const ON_DEMAND_TIMEOUT_MS = 300_000

/** The engine's check: what the integrity check it started at start-up knows now. */
export function databaseIntegrity(integrity: { file: string; current(): IntegrityState }, { timeoutMs = 1_000, now = Date.now } = {}): HealthCheck {
  return { name: INTEGRITY_CHECK, critical: true, timeoutMs, check: () => describeIntegrity(integrity.file, integrity.current(), now()) }
}

/** A process with no engine (`genops health`): quick_check runs each time the check is asked. */
export function databaseIntegrityOnDemand(file: string, options: IntegrityOptions, timeoutMs = ON_DEMAND_TIMEOUT_MS): HealthCheck {
  return { name: INTEGRITY_CHECK, critical: true, timeoutMs, check: async () => describeIntegrity(file, await checkIntegrity(file, options), Date.now()) }
}

export function describeIntegrity(file: string, integrity: IntegrityState, now: number): CheckResult {
  switch (integrity.state) {
    case 'checking':
      return { status: 'warn', detail: `checking ${file} (PRAGMA quick_check, running for ${Math.round((now - integrity.since) / 1000)} s)` }
    case 'sound':
      return { status: 'pass', detail: `${file}: quick_check found no damage (${new Date(integrity.checkedAt).toISOString()}, ${integrity.durationMs} ms)` }
    case 'damaged':
      return { status: 'fail', detail: `${file} is damaged (${damageSummary(integrity.problems)}): ${whatToDo(file)}` }
    case 'unknown':
      return { status: 'warn', detail: `${file} could not be checked: ${integrity.reason}` }
  }
}
