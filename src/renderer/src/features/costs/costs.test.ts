import { describe, expect, test, vi } from 'vitest'
import type { EngineEvent } from '../../../../shared/contract'
import type { CostReport } from '../../../../shared/costs'
import type { Client } from '../../api'
import { createCostsStore } from './costs'
import { csvFileName, dailyColumns, reportCsv } from './report'

const totals = { attempts: 0, inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, costUsd: null, unpricedAttempts: 0 }

describe('CSV', () => {
  test('a report: header, one line a row with its label, and the total', () => {
    const report: CostReport = {
      by: 'batch',
      since: 0,
      until: 1,
      rows: [
        { ...totals, key: '3', label: 'prompts, "final".jsonl', attempts: 2, inputTokens: 10, cachedInputTokens: 40, outputTokens: 20, costUsd: 0.0012345678 },
        { ...totals, key: '4', label: null, attempts: 1, inputTokens: 5, cacheWriteTokens: 7, outputTokens: 6, costUsd: null, unpricedAttempts: 1 },
      ],
      total: { attempts: 3, inputTokens: 15, cachedInputTokens: 40, cacheWriteTokens: 7, outputTokens: 26, costUsd: 0.0012345678, unpricedAttempts: 1 },
      notes: [],
    }
    expect(reportCsv(report).split('\r\n')).toEqual([
      'batch,label,attempts,input_tokens,output_tokens,cached_input_tokens,cache_write_tokens,cost_usd,unpriced_attempts',
      '3,"prompts, ""final"".jsonl",2,10,20,40,0,0.001235,0',
      '4,,1,5,6,0,7,,1',
      'total,,3,15,26,40,7,0.001235,1',
      '',
    ])
    expect(csvFileName('batch', '7d', new Date('2025-08-07T10:00:00Z'))).toBe('genops-costs-by-batch-7d-2025-08-07.csv')
  })
})

describe('cost per day as chart columns', () => {
  test('every UTC day of the range, zero where nothing ran, a gap where nothing had a price', () => {
    const day = (d: string) => Date.parse(`${d}T00:00:00Z`)
    const report: CostReport = {
      by: 'day',
      since: day('2025-08-01') + 5 * 3_600_000,
      until: day('2025-08-04') + 3_600_000,
      rows: [
        { ...totals, key: '2025-08-02', label: null, attempts: 2, inputTokens: 100, outputTokens: 50, costUsd: 1.5 },
        { ...totals, key: '2025-08-04', label: null, attempts: 1, inputTokens: 10, cachedInputTokens: 5, outputTokens: 10, costUsd: null, unpricedAttempts: 1 },
      ],
      total: totals,
      notes: [],
    }
    expect(dailyColumns(report)).toEqual([
      ['2025-08-01', '2025-08-02', '2025-08-03', '2025-08-04'].map((d) => day(d) / 1000),
      [0, 1.5, 0, null],
      [0, 150, 0, 25],
    ])
  })
})

describe('the costs store', () => {
  test('loads the report and the days, exports what is shown, saves a budget and says so', async () => {
    const listeners = new Set<(event: EngineEvent) => void>()
    const report = (by: string): CostReport => ({
      by: by as CostReport['by'],
      since: 0,
      until: 1,
      rows: [{ ...totals, key: 'sim', label: 'sim', attempts: 4, inputTokens: 8, outputTokens: 16, costUsd: 0 }],
      total: { ...totals, attempts: 4, costUsd: 0 },
      notes: [],
    })
    const client = {
      costReport: vi.fn(async ({ by }: { by: string }) => report(by)),
      listBudgets: vi.fn(async () => ({ budgets: [] })),
      listPrices: vi.fn(async () => ({ prices: [] })),
      setBudget: vi.fn(async () => ({ scope: 'day', batchId: null, target: null, unit: 'usd', limit: 5, action: 'pause', crossedAt: null, spent: 0, reserved: 0 })),
      onEvent: (listener: (event: EngineEvent) => void) => (listeners.add(listener), () => listeners.delete(listener)),
    }
    const now = Date.parse('2025-08-07T12:00:00Z')
    const store = createCostsStore(client as unknown as Client, () => now)
    const stop = store.getState().start()
    await vi.waitFor(() => expect(store.getState().status).toBe('ready'))
    expect(client.costReport).toHaveBeenCalledWith({ by: 'provider', since: now - 7 * 86_400_000 })
    expect(client.costReport).toHaveBeenCalledWith({ by: 'day', since: now - 7 * 86_400_000 })
    expect(store.getState().exportCsv()).toEqual({
      name: 'genops-costs-by-provider-7d-2025-08-07.csv',
      text: 'provider,label,attempts,input_tokens,output_tokens,cached_input_tokens,cache_write_tokens,cost_usd,unpriced_attempts\r\nsim,sim,4,8,16,0,0,0,0\r\ntotal,,4,0,0,0,0,0,0\r\n',
    })
    expect(await store.getState().saveBudget({ scope: 'day', unit: 'usd', limit: 5, action: 'pause' })).toBe(true)
    expect(client.setBudget).toHaveBeenCalledWith({ scope: 'day', unit: 'usd', limit: 5, action: 'pause' })
    expect(store.getState().notice).toEqual({ tone: 'info', text: 'Saved the day budget: $5.00; attempts that could take it past its limit are held.' })
    stop()
    expect(listeners.size).toBe(0)
  })
})
