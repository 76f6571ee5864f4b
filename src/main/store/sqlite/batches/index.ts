/** The SQLite side of batches: progress from kept counts, and jobs a page at a time (job-rows.ts). */
import type { Database } from 'better-sqlite3'
import { sql } from '../db/connection'
import type { BatchStore } from '../../../batches/store'
import { exportPage, jobsAt, jobsByOrder, openJobIds, outputKeys, rerunPage, runTotals, tokenMeans } from './job-rows'
import { batchDetail, batchSources, listBatches } from './progress'

export class SqliteBatchStore implements BatchStore {
  constructor(private readonly db: Database) {}

  list(options: { beforeId?: number | undefined; limit: number }, now: number) {
    return listBatches(this.db, options, now)
  }
  get(batchId: number, now: number) {
    return batchDetail(this.db, batchId, now)
  }
  sources(batchId: number) {
    const exists = sql(this.db, 'SELECT 1 FROM batches WHERE id = ? AND loading_owner IS NULL').get(batchId) !== undefined
    return exists ? batchSources(this.db, batchId) : null
  }
  exportPage(batchId: number, afterId: number, limit: number) {
    return exportPage(this.db, batchId, afterId, limit)
  }
  outputKeys(batchId: number, limit: number) {
    return outputKeys(this.db, batchId, limit)
  }
  runTotals(batchId: number) {
    return runTotals(this.db, batchId)
  }
  jobsAt(batchId: number, places: readonly { file: number; row: number }[]) {
    return jobsAt(this.db, batchId, places)
  }
  jobsByOrder(batchId: number, offset: number, limit: number) {
    return jobsByOrder(this.db, batchId, offset, limit)
  }
  rerunPage(batchId: number, afterId: number, limit: number) {
    return rerunPage(this.db, batchId, afterId, limit)
  }
  tokenMeans(batchId: number) {
    return tokenMeans(this.db, batchId)
  }
  openJobIds(batchId: number, afterId: number, limit: number) {
    return openJobIds(this.db, batchId, afterId, limit)
  }
}
