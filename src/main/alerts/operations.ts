/**
 * The contract's alert operations, spread into createHandlers (operations.ts). With an
 * engine in this process a rule change is evaluated at once; from the CLI it is written to
 * the database, and a running engine reads it on its next evaluation.
 */
import type { AlertStatus } from '../../shared/alerts'
import type { OperationHandlers } from '../../shared/contract'
import type { QueueStore } from '../queue/store'
import { defaultRules, rulesInForce } from './rules'
import type { AlertsRuntime } from './runner'

type AlertOperation = 'listAlerts' | 'alertHistory' | 'saveAlertRule' | 'removeAlertRule'

export function alertHandlers(store: QueueStore, runtime: AlertsRuntime | undefined): OperationHandlers<AlertOperation> {
  const statuses = async (): Promise<AlertStatus[]> => {
    const { rules } = rulesInForce(defaultRules(), await store.alerts.operatorRules())
    const states = new Map((await store.alerts.states()).map((state) => [state.name, state]))
    return rules.map(({ rule, builtin }) => {
      const state = states.get(rule.name)
      return {
        rule,
        builtin,
        state: state?.state ?? 'inactive',
        since: state?.since ?? null,
        value: state?.value ?? null,
        evaluatedAt: state?.evaluatedAt ?? null,
      }
    })
  }
  return {
    listAlerts: async () => ({ alerts: await statuses() }),
    alertHistory: async (query) => ({ transitions: await store.alerts.history(query) }),
    saveAlertRule: async (rule) => {
      await store.alerts.saveRule(rule.name, rule, Date.now())
      await runtime?.rulesChanged()
      return (await statuses()).find((status) => status.rule.name === rule.name)!
    },
    removeAlertRule: async ({ name }) => {
      const removed = await store.alerts.removeRule(name)
      if (removed) await runtime?.rulesChanged()
      return { removed }
    },
  }
}
