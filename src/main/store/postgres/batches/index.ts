/** The PostgreSQL side of batches: progress from kept counts (their shards summed), and jobs a page at a time (job-rows.ts). */
import type pg from 'pg'
import type { BatchStore } from '../../../batches/store'
import { exportPage, jobsAt, jobsByOrder, openJobIds, outputKeys, rerunPage, runTotals, tokenMeans } from './job-rows'
import { batchDetail, batchSources, listBatches } from './progress'

export class PostgresBatchStore implements BatchStore {
  constructor(private readonly pool: pg.Pool) {}

  list(options: { beforeId?: number | undefined; limit: number }, now: number) {
    return listBatches(this.pool, options, now)
  }
  get(batchId: number, now: number) {
    return batchDetail(this.pool, batchId, now)
  }
  async sources(batchId: number) {
    const { rows } = await this.pool.query('SELECT 1 FROM batches WHERE id = $1', [batchId])
    return rows.length ? batchSources(this.pool, batchId) : null
  }
  exportPage(batchId: number, afterId: number, limit: number) {
    return exportPage(this.pool, batchId, afterId, limit)
  }
  outputKeys(batchId: number, limit: number) {
    return outputKeys(this.pool, batchId, limit)
  }
  runTotals(batchId: number) {
    return runTotals(this.pool, batchId)
  }
  jobsAt(batchId: number, places: readonly { file: number; row: number }[]) {
    return jobsAt(this.pool, batchId, places)
  }
  jobsByOrder(batchId: number, offset: number, limit: number) {
    return jobsByOrder(this.pool, batchId, offset, limit)
  }
  rerunPage(batchId: number, afterId: number, limit: number) {
    return rerunPage(this.pool, batchId, afterId, limit)
  }
  tokenMeans(batchId: number) {
    return tokenMeans(this.pool, batchId)
  }
  openJobIds(batchId: number, afterId: number, limit: number) {
    return openJobIds(this.pool, batchId, afterId, limit)
  }
}
