/**
 * What the costs screen shows and does: the report of the picked grouping and range, the
 * same range by day for the chart, the budgets and the prices. Loaded once, then refreshed
 * (throttled) while the engine's counts change, so spend and budgets follow running jobs.
 * Every change says what it did, or what went wrong, in the notice.
 */
import type { ScreenNotice } from '../../components/screen'
import { screenAction } from '../../stores/screen-action'
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { EngineEvent, OperationInput } from '../../../../shared/contract'
import { budgetAmount, budgetName, usd, type Budget, type CostReport, type CostReportBy, type Price } from '../../../../shared/costs'
import type { Client } from '../../api'
import { throttle } from '../../stores/throttle'
import { sayProblem } from '../../words'
import { csvFileName, reportCsv, sinceMs, type SinceId } from './report'

export const REFRESH_MS = 3000

export interface CsvExport {
  name: string
  text: string
}

export interface CostsState {
  status: 'loading' | 'ready' | 'error'
  loadProblem: string | null
  notice: ScreenNotice | null
  by: CostReportBy
  since: SinceId
  report: CostReport | null
  /** The same range by day, for the chart. */
  daily: CostReport | null
  budgets: Budget[]
  prices: Price[]
  /** A change on its way; buttons wait for it. */
  busy: string | null

  start(): () => void
  setBy(by: CostReportBy): void
  setSince(since: SinceId): void
  /** The report on screen as a CSV file's name and text. */
  exportCsv(): CsvExport | null
  saveBudget(input: OperationInput<'setBudget'>): Promise<boolean>
  removeBudget(budget: Budget): Promise<void>
  savePrice(input: OperationInput<'setPrice'>): Promise<boolean>
  removePrice(price: Price): Promise<void>
  dismissNotice(): void
}

/** A budget's row key and the e2e's handle: "day", "batch-3", "profile-work", with "-tokens" for a token budget. */
export const budgetKey = (budget: Pick<Budget, 'scope' | 'batchId' | 'target' | 'unit'>): string =>
  `${budget.scope === 'day' ? 'day' : `${budget.scope}-${budget.batchId ?? budget.target}`}${budget.unit === 'tokens' ? '-tokens' : ''}`

export function createCostsStore(client: Client, now: () => number = Date.now): StoreApi<CostsState> {
  return createStore<CostsState>()((set, get) => {
    let request = 0

    async function load(): Promise<void> {
      const asked = ++request
      const { by, since } = get()
      const from = now() - sinceMs(since)
      const [report, daily, budgets, prices] = await Promise.all([
        client.costReport({ by, since: from }),
        by === 'day' ? null : client.costReport({ by: 'day', since: from }),
        client.listBudgets({}),
        client.listPrices({}),
      ])
      if (asked !== request) return
      set({ report, daily: daily ?? report, budgets: budgets.budgets, prices: prices.prices, status: 'ready', loadProblem: null })
    }

    const refresh = throttle(async () => {
      try {
        await load()
      } catch (error) {
        if (get().status === 'ready') set({ notice: { tone: 'error', text: `Could not refresh the costs: ${sayProblem(error)}` } })
        else set({ status: 'error', loadProblem: sayProblem(error) })
      }
    }, REFRESH_MS)

    const act = screenAction(get, set, () => refresh.request())

    return {
      status: 'loading',
      loadProblem: null,
      notice: null,
      by: 'provider',
      since: '7d',
      report: null,
      daily: null,
      budgets: [],
      prices: [],
      busy: null,

      start() {
        const stop = client.onEvent((event: EngineEvent) => {
          if (event.type === 'counts') refresh.request()
        })
        refresh.request()
        return () => {
          stop()
          refresh.cancel()
          request++
        }
      },

      setBy(by) {
        if (by === get().by) return
        set({ by })
        refresh.request()
      },

      setSince(since) {
        if (since === get().since) return
        set({ since })
        refresh.request()
      },

      exportCsv() {
        const { report, by, since } = get()
        if (!report) return null
        return { name: csvFileName(by, since, new Date(now())), text: reportCsv(report) }
      },

      saveBudget: (input) =>
        act('budget', async () => {
          const budget = await client.setBudget(input)
          const does = budget.action === 'pause' ? 'attempts that could take it past its limit are held' : 'told at 50, 80 and 100 %'
          return `Saved ${budgetName(budget)}: ${budgetAmount(budget.unit, budget.limit)}; ${does}.`
        }),

      removeBudget: async (budget) => {
        await act('budget', async () => {
          const target = { scope: budget.scope, batchId: budget.batchId ?? undefined, target: budget.target ?? undefined, unit: budget.unit }
          const { removed } = await client.removeBudget(target)
          return removed ? `Removed ${budgetName(budget)}.` : `There was no ${budgetName(budget).replace(/^the /, '')} to remove.`
        })
      },

      savePrice: (input) =>
        act('price', async () => {
          const price = await client.setPrice(input)
          return `${price.provider} ${price.model === '*' ? '(every model without its own price)' : price.model} now costs ${usd(price.inputPerMillion)} per million input tokens and ${usd(price.outputPerMillion)} per million output tokens.`
        }),

      removePrice: async (price) => {
        await act('price', async () => {
          const { removed } = await client.removePrice({ provider: price.provider, model: price.model })
          return removed
            ? `Removed the override for ${price.provider} ${price.model}: the list price applies again, if there is one.`
            : 'That override was already gone.'
        })
      },

      dismissNotice: () => set({ notice: null }),
    }
  })
}
