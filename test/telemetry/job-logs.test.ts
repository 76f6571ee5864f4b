/** A job's log lines, read back from real log files the engine wrote. */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../src/main/engine'
import { readJobLogs } from '../../src/main/telemetry/job-logs'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const engines: Engine[] = []
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close(1000)))
})

const line = (jobId: number, msg: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ level: 'warn', time: '2026-11-25T10:00:00.000Z', jobId, attempt: 1, traceId: 'ab'.repeat(16), msg, ...extra })

describe("a job's log lines", () => {
  it('come from every log file, oldest first, only for that job, and the newest when there are too many', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'genops.1.log'), [line(7, 'first'), line(70, 'another job'), 'not json', line(7, 'second')].join('\n') + '\n')
    writeFileSync(join(dir, 'genops.2.log'), [line(7, 'third'), line(17, 'another')].join('\n') + '\n')
    const all = await readJobLogs(dir, 7)
    expect(all.lines.map((l) => l.message)).toEqual(['first', 'second', 'third'])
    expect(all.lines[0]).toMatchObject({ level: 'warn', attempt: 1, traceId: 'ab'.repeat(16) })
    expect(all.note).toBeNull()
    const newest = await readJobLogs(dir, 7, { maxLines: 2, maxBytesPerFile: 1 << 20 })
    expect(newest.lines.map((l) => l.message)).toEqual(['second', 'third'])
    expect(newest.note).toBe('the newest 2 lines')
    expect((await readJobLogs(join(dir, 'nowhere'), 7)).note).toBe('there is no log yet')
  })

  it("reach the job detail through the contract: a failed attempt's warning with its trace", async () => {
    const dataDir = tempDir()
    const engine = await createEngine({ dataDir, threads: 1, pollMs: 50, backoff: { baseMs: 10, maxMs: 20 } })
    engines.push(engine)
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'fails once', config: { failAttempts: 1 } }] })
    await waitFor(
      () => engine.call('queueStats', {}),
      (s) => s.counts.completed === 1,
      { what: 'the job to complete' },
    )
    const logs = await waitFor(
      () => engine.call('jobLogs', { jobId: 1 }),
      (l) => l.lines.length > 0,
      { what: 'the warning to reach the log file' },
    )
    expect(logs.lines[0]).toMatchObject({ level: 'warn', attempt: 1 })
    expect(logs.lines[0]!.message).toMatch(/attempt 1 of job 1 failed: SERVICE_UNAVAILABLE/)
    expect(logs.lines[0]!.traceId).toMatch(/^[0-9a-f]{32}$/)
  })
})
