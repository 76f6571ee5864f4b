/**
 * Two runs of one input side by side. Rows are matched by the input's file (by name) and
 * row when both batches kept their sources, else by order (the n-th job of each). A page
 * walks the first batch's jobs and looks each one's match up in the second
 * (jobs_by_source); rows of the second with no match in the first are left out.
 */
import type { BatchComparison, BatchSource, ComparedJob, ComparedRow } from '../../shared/batches'
import { OperationError } from '../../shared/contract'
import { placeKey, type BatchStore, type ExportJobRow } from './store'

/** Jobs of the first batch looked at per call when only different rows are wanted: the page may then hold fewer than asked. */
const MAX_SCANNED = 5000

export interface CompareQuery {
  a: number
  b: number
  onlyDifferent: boolean
  after: number
  limit: number
}

export function comparedJob(row: ExportJobRow): ComparedJob {
  return {
    jobId: row.id,
    state: row.state,
    output: row.output,
    category: row.category,
    validation: row.category === 'VALIDATION' ? 'failed' : row.checked && row.state === 'completed' ? 'passed' : null,
    inputTokens: row.inputTokens ?? 0,
    outputTokens: row.outputTokens ?? 0,
    costUsd: row.costUsd,
    latencyMs: row.latencyMs,
  }
}

function pair(key: string, a: ExportJobRow | undefined, b: ExportJobRow | undefined): ComparedRow {
  return {
    key,
    a: a ? comparedJob(a) : null,
    b: b ? comparedJob(b) : null,
    same: a !== undefined && b !== undefined && a.state === b.state && a.output === b.output,
  }
}

/** The second batch's file for each of the first's: the one of the same name, else the one in the same place. */
function fileMap(a: readonly BatchSource[], b: readonly BatchSource[]): number[] {
  return a.map((source, index) => {
    const byName = b.findIndex((other) => other.name === source.name)
    return byName !== -1 ? byName : index < b.length ? index : -1
  })
}

export async function compareBatches(store: BatchStore, { a, b, onlyDifferent, after, limit }: CompareQuery): Promise<BatchComparison> {
  const [totalsA, totalsB, sourcesA, sourcesB] = await Promise.all([store.runTotals(a), store.runTotals(b), store.sources(a), store.sources(b)])
  for (const [id, totals] of [
    [a, totalsA],
    [b, totalsB],
  ] as const) {
    if (totals === null) throw new OperationError('NOT_FOUND', `batch ${id} does not exist`)
  }
  const bySource = sourcesA!.length > 0 && sourcesB!.length > 0
  const rows: ComparedRow[] = []
  let next: number | null = null
  const keep = (row: ComparedRow) => {
    if (!onlyDifferent || !row.same) rows.push(row)
  }
  if (bySource) {
    const files = fileMap(sourcesA!, sourcesB!)
    let cursor = after
    let scanned = 0
    for (;;) {
      const page = await store.exportPage(a, cursor, limit)
      const places = page.flatMap((row) =>
        row.sourceFile !== null && row.sourceRow !== null && (files[row.sourceFile] ?? -1) >= 0 ? [{ file: files[row.sourceFile]!, row: row.sourceRow }] : [],
      )
      const matches = await store.jobsAt(b, places)
      let taken = 0
      for (const row of page) {
        const file = row.sourceFile === null ? -1 : (files[row.sourceFile] ?? -1)
        const match = file >= 0 && row.sourceRow !== null ? matches.get(placeKey(file, row.sourceRow)) : undefined
        const name = row.sourceFile === null ? '?' : (sourcesA![row.sourceFile]?.name ?? '?')
        keep(pair(`${name}:${row.sourceRow ?? '?'}`, row, match))
        cursor = row.id
        taken++
        if (rows.length >= limit) break
      }
      scanned += taken
      if (page.length < limit && taken === page.length) break
      if (rows.length >= limit || scanned >= MAX_SCANNED) {
        next = cursor
        break
      }
    }
  } else {
    const [pageA, pageB] = await Promise.all([store.jobsByOrder(a, after, limit), store.jobsByOrder(b, after, limit)])
    const length = Math.max(pageA.length, pageB.length)
    for (let i = 0; i < length; i++) keep(pair(`#${after + i + 1}`, pageA[i], pageB[i]))
    next = length === limit ? after + limit : null
  }
  return { a: totalsA!, b: totalsB!, matchedBy: bySource ? 'input row' : 'order', rows, next }
}
