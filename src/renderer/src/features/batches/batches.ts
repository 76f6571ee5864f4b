/**
 * What the batches screen shows and does: the batches with their progress (refreshed,
 * throttled, while the engine's counts change, so the bars move as jobs finish), the open
 * batch in detail, its actions (pause, resume, cap, cancel, retry the dead, export, run
 * again with changes) and a comparison of two runs. Every action says what it did, or what
 * went wrong, in the notice.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { BatchComparison, BatchDetail, BatchExport, BatchSummary, ExportFormat, RerunChanges, RerunResult } from '../../../../shared/batches'
import { usd } from '../../../../shared/costs'
import type { EngineEvent } from '../../../../shared/contract'
import type { Client } from '../../api'
import type { ScreenNotice } from '../../components/screen'
import { screenAction } from '../../stores/screen-action'
import { throttle } from '../../stores/throttle'
import { plural, sayProblem } from '../../words'
import { downloadBlob } from '../../download'

export const REFRESH_MS = 1000
/** Batches the list shows, newest first: the contract's most (bench/export.ts renders 1,000). */
export const LIST_LIMIT = 1000

export interface ComparePick {
  a: number
  b: number
  onlyDifferent: boolean
}

export interface BatchesState {
  status: 'loading' | 'ready' | 'error'
  loadProblem: string | null
  notice: ScreenNotice | null
  busy: string | null
  batches: BatchSummary[]
  selectedId: number | null
  detail: BatchDetail | null
  lastExport: BatchExport | null
  estimate: RerunResult['estimate'] | null
  compare: ComparePick | null
  comparison: BatchComparison | null
  comparing: 'idle' | 'busy' | 'done' | 'error'

  start(): () => void
  select(id: number | null): void
  pause(): Promise<void>
  resume(): Promise<void>
  cap(maxConcurrency: number | null): Promise<boolean>
  cancel(): Promise<void>
  retryDead(): Promise<void>
  exportAs(format: ExportFormat): Promise<void>
  estimateRerun(changes: RerunChanges): Promise<void>
  rerun(changes: RerunChanges): Promise<boolean>
  runComparison(pick: ComparePick): Promise<void>
  dismissNotice(): void
}

export function createBatchesStore(client: Client, save: (name: string, blob: Blob) => void = downloadBlob): StoreApi<BatchesState> {
  return createStore<BatchesState>()((set, get) => {
    let request = 0

    async function load(): Promise<void> {
      const asked = ++request
      const { selectedId } = get()
      const [list, detail] = await Promise.all([
        client.listBatches({ limit: LIST_LIMIT }),
        selectedId === null ? null : client.getBatch({ batchId: selectedId }).catch(() => null),
      ])
      if (asked !== request) return
      set({ batches: list.batches, detail, status: 'ready', loadProblem: null })
    }

    const refresh = throttle(async () => {
      try {
        await load()
      } catch (error) {
        if (get().status === 'ready') set({ notice: { tone: 'error', text: `Could not refresh the batches: ${sayProblem(error)}` } })
        else set({ status: 'error', loadProblem: sayProblem(error) })
      }
    }, REFRESH_MS)

    const act = screenAction(get, set, () => refresh.request())
    const selected = (): number => {
      const id = get().selectedId
      if (id === null) throw new Error('no batch is open')
      return id
    }

    return {
      status: 'loading',
      loadProblem: null,
      notice: null,
      busy: null,
      batches: [],
      selectedId: null,
      detail: null,
      lastExport: null,
      estimate: null,
      compare: null,
      comparison: null,
      comparing: 'idle',

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

      select(id) {
        if (id === get().selectedId) return
        set({ selectedId: id, detail: null, lastExport: null, estimate: null })
        refresh.request()
      },

      pause: async () => {
        await act('pause', async () => {
          await client.pauseBatch({ batchId: selected() })
          return `Batch ${selected()} paused: its running jobs finish, the rest wait until you resume it.`
        })
      },
      resume: async () => {
        await act('resume', async () => {
          const { resumed } = await client.resumeBatch({ batchId: selected() })
          return resumed ? `Batch ${selected()} resumed.` : `Batch ${selected()} was not paused.`
        })
      },
      cap: (maxConcurrency) =>
        act('cap', async () => {
          await client.setBatchLimit({ batchId: selected(), maxConcurrency })
          return maxConcurrency === null ? `Batch ${selected()} has no cap now.` : `Batch ${selected()} runs at most ${maxConcurrency} jobs at once.`
        }),
      cancel: async () => {
        await act('cancel', async () => {
          const { cancelled } = await client.cancelBatch({ batchId: selected() })
          return `Batch ${selected()}: ${plural(cancelled, 'job')} cancelled.`
        })
      },
      retryDead: async () => {
        await act('retry', async () => {
          const { retried } = await client.retryDead({ batchId: selected() })
          return `Batch ${selected()}: ${plural(retried, 'dead job')} sent back to the queue.`
        })
      },
      exportAs: async (format) => {
        await act('export', async () => {
          const written = await client.exportBatch({ batchId: selected(), format })
          set({ lastExport: written })
          const blob = await client.fetchExport(written.file)
          if (blob) save(written.file, blob)
          const left = written.notFinished > 0 ? `; ${plural(written.notFinished, 'job')} not finished yet are not in it` : ''
          return `Exported ${plural(written.rows, 'row')} as ${format.toUpperCase()}${blob ? ` (${written.file})` : ` to ${written.path}`}${left}.`
        })
      },
      estimateRerun: async (changes) => {
        await act('estimate', async () => {
          const { estimate } = await client.rerunBatch({ batchId: selected(), changes, estimateOnly: true })
          set({ estimate })
          return `Estimate: ${estimate.basis}.`
        })
      },
      rerun: (changes) =>
        act('rerun', async () => {
          const first = selected()
          const { estimate, batchId } = await client.rerunBatch({ batchId: first, changes, estimateOnly: false })
          set({ estimate, compare: batchId === null ? get().compare : { a: first, b: batchId, onlyDifferent: false } })
          const cost = estimate.estimatedUsd === null ? '' : `, about ${usd(estimate.estimatedUsd)}`
          return `Batch ${first} runs again as batch ${batchId} (${plural(estimate.jobs, 'job')}${cost}).`
        }),

      async runComparison(pick) {
        set({ compare: pick, comparing: 'busy' })
        try {
          const comparison = await client.compareBatches({ a: pick.a, b: pick.b, onlyDifferent: pick.onlyDifferent, limit: 200 })
          set({ comparison, comparing: 'done' })
        } catch (error) {
          set({ comparison: null, comparing: 'error', notice: { tone: 'error', text: `Could not compare: ${sayProblem(error)}` } })
        }
      },

      dismissNotice: () => set({ notice: null }),
    }
  })
}
