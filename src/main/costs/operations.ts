/**
 * The contract's operations on prices, cost reports, budgets, paused batches and the
 * dashboard's series, spread into createHandlers (operations.ts). With an engine in this
 * process they take effect at once; from the CLI they write to the database, where a
 * running engine picks them up on its next poll.
 */
import { OperationError, type OperationHandlers } from '../../shared/contract'
import type { QueueStore } from '../queue/store'
import { loadPriceList, PriceBook } from './pricing'
import type { CostsRuntime } from './runtime'

const DAY = 86_400_000
/** What `costs` reports when no range is given. */
export const DEFAULT_REPORT_MS = 7 * DAY

type CostOperation =
  'listPrices' | 'setPrice' | 'removePrice' | 'costReport' | 'listBudgets' | 'setBudget' | 'removeBudget' | 'pauseBatch' | 'resumeBatch' | 'series'

export function costHandlers(store: QueueStore, runtime: CostsRuntime | undefined, countsMayChange: () => void): OperationHandlers<CostOperation> {
  const now = () => Date.now()
  return {
    listPrices: async () => ({ prices: new PriceBook(loadPriceList(), await store.costs.priceOverrides()).all() }),
    setPrice: async (price) => {
      const saved = await store.costs.setPriceOverride(price, now())
      await runtime?.pricesChanged()
      return saved
    },
    removePrice: async ({ provider, model }) => {
      const removed = await store.costs.removePriceOverride(provider, model)
      if (removed) await runtime?.pricesChanged()
      return { removed }
    },
    costReport: async ({ by, since, until }) => {
      const at = now()
      return store.costs.costReport({ by, since: since ?? at - DEFAULT_REPORT_MS, until: until ?? at }, at)
    },
    listBudgets: async () => ({ budgets: await store.costs.budgets(now()) }),
    setBudget: async ({ scope, batchId, target, unit, limit, action }) => {
      const budget = await store.costs.setBudget({ scope, batchId: batchId ?? null, target: target ?? null, unit, limit, action }, now())
      await runtime?.budgetsChanged()
      return budget
    },
    removeBudget: async ({ scope, batchId, target, unit }) => {
      const removed = await store.costs.removeBudget({ scope, batchId: batchId ?? null, target: target ?? null, unit })
      if (removed) await runtime?.budgetsChanged()
      return { removed }
    },
    pauseBatch: async ({ batchId, reason }) => {
      if (!(await store.pauseBatch(batchId, reason ?? 'paused by the operator', now())))
        throw new OperationError('NOT_FOUND', `batch ${batchId} does not exist`)
      await runtime?.batchPausesChanged()
      countsMayChange()
      return { pauses: await store.pausedBatches() }
    },
    resumeBatch: async ({ batchId }) => {
      const resumed = await store.resumeBatch(batchId)
      await runtime?.batchPausesChanged()
      countsMayChange()
      return { resumed }
    },
    series: async (query) => store.costs.series(query, now()),
  }
}
