/**
 * The rules in force: the defaults shipped in resources/alerts.json, each as the operator
 * left it (a change is kept in the database over the default), then the operator's own.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { AlertRule } from '../../shared/alerts'
import { describeZodError } from '../../shared/contract'
import type { StoredRule } from './store'

const here = dirname(fileURLToPath(import.meta.url))

/** From source, the repository's resources/; in a build, the copy beside the bundle (electron.vite.config.ts). */
export const ALERTS_FILE = import.meta.url.endsWith('.ts') ? join(here, '../../../resources/alerts.json') : join(here, 'resources/alerts.json')

const RuleFile = z.object({ note: z.string().optional(), rules: z.array(AlertRule) }).strict()

export class AlertRulesError extends Error {
  override name = 'AlertRulesError'
}

/** The shipped defaults, validated; a damaged file is an error naming the file and the rule. */
export function loadDefaultRules(file = ALERTS_FILE): AlertRule[] {
  let data: unknown
  try {
    data = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new AlertRulesError(`${file}: ${(error as Error).message}`)
  }
  const parsed = RuleFile.safeParse(data)
  if (!parsed.success) throw new AlertRulesError(`${file}: ${describeZodError(parsed.error)}`)
  const seen = new Set<string>()
  for (const rule of parsed.data.rules) {
    if (seen.has(rule.name)) throw new AlertRulesError(`${file}: the rule ${rule.name} is listed twice`)
    seen.add(rule.name)
  }
  return parsed.data.rules
}

let shipped: AlertRule[] | undefined

/** The shipped defaults, read once a process. */
export function defaultRules(): AlertRule[] {
  return (shipped ??= loadDefaultRules())
}

export interface RuleInForce {
  rule: AlertRule
  builtin: boolean
}

/**
 * Defaults first (in the file's order, each replaced by the operator's change), then the
 * operator's rules by name. A stored rule that no longer parses is left out and named in
 * `unreadable`, so one bad row never stops the others being evaluated.
 */
export function rulesInForce(defaults: readonly AlertRule[], stored: readonly StoredRule[]): { rules: RuleInForce[]; unreadable: string[] } {
  const operator = new Map<string, AlertRule>()
  const unreadable: string[] = []
  for (const row of stored) {
    const parsed = AlertRule.safeParse(row.rule)
    if (parsed.success && parsed.data.name === row.name) operator.set(row.name, parsed.data)
    else unreadable.push(`alert rule ${row.name}: ${parsed.success ? 'its name does not match' : describeZodError(parsed.error)}`)
  }
  const builtin = new Set(defaults.map((rule) => rule.name))
  const rules: RuleInForce[] = defaults.map((rule) => ({ rule: operator.get(rule.name) ?? rule, builtin: true }))
  for (const [name, rule] of operator) if (!builtin.has(name)) rules.push({ rule, builtin: false })
  return { rules, unreadable }
}
