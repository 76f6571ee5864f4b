/**
 * The chaos bench: a batch through a provider in an outage (503s, 429s with Retry-After,
 * timeouts) that recovers part-way, run with breakers on and again with them off. It
 * prints what each run finished, what died and why, the attempts spent per job, and how
 * long the queue took to drain once the provider was healthy again.
 */
import Sqlite from 'better-sqlite3'
import { createEngine } from '../src/main/engine'
import { databaseFile } from '../src/main/paths'
import { formatNumber, machine, table, tempDir } from './support'

interface ChaosOptions {
  quick: boolean
  command: string
}

interface ChaosRun {
  breakers: boolean
  completed: number
  dead: Record<string, number>
  attemptsPerJob: number
  maxAttempts: number
  outageAttempts: number
  drainAfterRecoveryMs: number
  totalMs: number
  breakerOpenings: number
}

const FAULTS = { unavailable: 0.3, rateLimit: 0.1, timeout: 0.05 }

async function run(breakers: boolean, jobs: number, outageMs: number): Promise<ChaosRun> {
  const dir = tempDir('chaos')
  const engine = await createEngine({ dataDir: dir.path, artifacts: false, breakers })
  try {
    await engine.call('pauseQueue', {})
    // The outage is measured from the resume below; enqueueing takes well under a second.
    const enqueueBudgetMs = 1000
    const faultsUntil = Date.now() + enqueueBudgetMs + outageMs
    const config = { latencyMs: 20, timeoutMs: 500, faults: FAULTS, retryAfterMs: 1000, faultsUntil }
    for (let i = 0; i < jobs; i += 5000) {
      await engine.call('enqueueJobs', {
        jobs: Array.from({ length: Math.min(5000, jobs - i) }, (_, k) => ({ prompt: `chaos ${i + k}` })),
        defaults: { config },
      })
    }
    const wait = faultsUntil - outageMs - Date.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    const started = Date.now()
    await engine.call('resumeQueue', {})
    for (;;) {
      const { counts } = await engine.call('queueStats', {})
      if (counts.queued + counts.delayed + counts.active === 0) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await engine.idle()
    const db = new Sqlite(databaseFile(dir.path), { readonly: true })
    try {
      const dead = Object.fromEntries(
        (db.prepare(`SELECT error_category, count(*) FROM jobs WHERE state = 'dead' GROUP BY 1`).raw().all() as [string, number][]).map(([c, n]) => [c, n]),
      )
      const attempts = db.prepare('SELECT count(*) FROM job_attempts').pluck().get() as number
      return {
        breakers,
        completed: db.prepare(`SELECT count(*) FROM jobs WHERE state = 'completed'`).pluck().get() as number,
        dead,
        attemptsPerJob: attempts / jobs,
        maxAttempts: db.prepare('SELECT max(n) FROM (SELECT count(*) AS n FROM job_attempts GROUP BY job_id)').pluck().get() as number,
        outageAttempts: db.prepare('SELECT count(*) FROM job_attempts WHERE started_at < ?').pluck().get(faultsUntil) as number,
        drainAfterRecoveryMs: (db.prepare('SELECT max(finished_at) FROM jobs').pluck().get() as number) - faultsUntil,
        totalMs: Date.now() - started,
        breakerOpenings: db.prepare(`SELECT count(*) FROM breaker_events WHERE to_state = 'open'`).pluck().get() as number,
      }
    } finally {
      db.close()
    }
  } finally {
    await engine.close()
    dir.remove()
  }
}

export async function runChaosBench({ quick, command }: ChaosOptions): Promise<void> {
  const jobs = quick ? 1000 : 10_000
  const outageMs = quick ? 3000 : 10_000
  const host = machine()
  console.log('GenOps chaos benchmark' + (quick ? ' (--quick: smaller N, a smoke run)' : ''))
  console.log(`command: ${command}`)
  console.log(`machine: ${host.cpu}, ${host.cores} cores, ${formatNumber(host.memoryGb, 1)} GB, node ${host.node}`)
  console.log(
    `setup: ${formatNumber(jobs)} sim jobs (20 ms each, 500 ms attempt timeout, 3 attempts, default backoff), createEngine defaults;\n` +
      `  for the first ${outageMs / 1000} s after resume: 30% 503, 10% 429 with Retry-After 1 s, 5% timeouts; then healthy.\n` +
      '  Breakers: one per provider and model, open at 50% of the last 20 attempts failing (10 minimum), 10 s then doubling.',
  )
  const results: ChaosRun[] = []
  for (const breakers of [true, false]) {
    console.log(`… breakers ${breakers ? 'on' : 'off'}`)
    results.push(await run(breakers, jobs, outageMs))
  }
  const categories = [...new Set(results.flatMap((r) => Object.keys(r.dead)))].sort()
  console.log(
    table(
      ['', ...results.map((r) => (r.breakers ? 'breakers on' : 'breakers off'))],
      [
        ['completed', ...results.map((r) => formatNumber(r.completed))],
        ...categories.map((c) => [`dead ${c}`, ...results.map((r) => formatNumber(r.dead[c] ?? 0))]),
        ['attempts per job (mean)', ...results.map((r) => formatNumber(r.attemptsPerJob, 2))],
        ['attempts per job (max)', ...results.map((r) => String(r.maxAttempts))],
        ['attempts started in the outage', ...results.map((r) => formatNumber(r.outageAttempts))],
        ['breaker openings', ...results.map((r) => String(r.breakerOpenings))],
        ['drain after recovery (s)', ...results.map((r) => formatNumber(r.drainAfterRecoveryMs / 1000, 1))],
        ['total (s)', ...results.map((r) => formatNumber(r.totalMs / 1000, 1))],
      ],
    ),
  )
}
