/** Enqueue: one batch row and every job of the call in one transaction, all or nothing. */
import type { Database } from 'better-sqlite3'
import { sql } from '../../db/connection'
import type { EnqueueResult, NewJob } from '../store'
import { adjustCounts } from './rows'

const INSERT_JOB = `INSERT INTO jobs (state, priority, run_at, created_at, updated_at, batch_id, provider, model,
  prompt, config, tags, idempotency_key, max_attempts)
  VALUES ('queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

export function enqueueJobs(db: Database, jobs: NewJob[], batchName: string, now: number): EnqueueResult {
  return db
    .transaction((): EnqueueResult => {
      const batchId = Number(sql(db, 'INSERT INTO batches (name, created_at) VALUES (?, ?)').run(batchName, now).lastInsertRowid)
      const insert = sql(db, INSERT_JOB)
      const jobIds = new Array<number>(jobs.length)
      let duplicates = 0
      const changes: EnqueueResult['changes'] = []
      for (let i = 0; i < jobs.length; i++) {
        const job = jobs[i]!
        if (job.idempotencyKey !== null) {
          const existing = sql(db, 'SELECT id FROM jobs WHERE idempotency_key = ?').get(job.idempotencyKey) as { id: number } | undefined
          if (existing) {
            jobIds[i] = existing.id
            duplicates++
            continue
          }
        }
        const id = Number(
          insert.run(
            job.priority,
            job.runAt,
            now,
            now,
            batchId,
            job.provider,
            job.model,
            job.prompt,
            job.config === null ? null : JSON.stringify(job.config),
            job.tags === null ? null : JSON.stringify(job.tags),
            job.idempotencyKey,
            job.maxAttempts,
          ).lastInsertRowid,
        )
        jobIds[i] = id
        changes.push({ id, state: job.runAt > now ? 'delayed' : 'queued', attemptsMade: 0 })
      }
      const added = jobs.length - duplicates
      sql(db, 'UPDATE batches SET job_count = ? WHERE id = ?').run(added, batchId)
      adjustCounts(db, { queued: added })
      return { batchId, jobIds, duplicates, changes }
    })
    .immediate()
}
