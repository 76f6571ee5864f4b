/**
 * The dead-letter, failure and regression commands as an operator runs them: the CLI as a
 * separate process on a data directory, the failures made by the real simulator through
 * an engine's worker pool.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { FailureGroup, RegressionCase } from '../../src/shared/failures'
import { createEngine, type Engine } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { genops, genopsAsync } from '../support/cli'
import { T0 } from '../support/queue'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'
import { failJobs } from './dying'

const engines: Engine[] = []
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close(1000)))
})

/** Dead letters written straight into a data directory's database, as an engine would have left them. */
function dataDirWithDeadLetters(): string {
  const dataDir = tempDir()
  const store = SqliteQueueStore.open(databaseFile(dataDir))
  failJobs(store, [
    { prompt: 'a', category: 'VALIDATION', message: 'output is not JSON', provider: 'sim' },
    { prompt: 'b', category: 'TIMEOUT', message: 'attempt timed out after 100 ms', provider: 'openai' },
    { prompt: 'c', category: 'TIMEOUT', message: 'attempt timed out after 200 ms', provider: 'sim' },
  ])
  failJobs(store, [{ prompt: 'd', category: 'SERVICE_UNAVAILABLE', message: 'simulated 503', provider: 'openai' }], T0, 'second')
  store.close()
  return dataDir
}

describe('genops dlq', () => {
  it('lists, counts, retries and purges by filter, and names a wrong request', { timeout: 120_000 }, async () => {
    const dataDir = dataDirWithDeadLetters()
    const cli = (...args: string[]) => genopsAsync([...args, '--data-dir', dataDir])
    const [list, stats, nothing, several, badCategory] = await Promise.all([
      cli('dlq', 'list', '--category', 'timeout'),
      cli('dlq', 'stats', '--json'),
      cli('dlq', 'retry'),
      cli('dlq', 'purge', '3', '--all'),
      cli('dlq', 'list', '--category', 'TIMEOUTS'),
    ])
    expect(list.status).toBe(0)
    expect(list.stdout.split('\n').slice(0, 3)).toEqual([
      expect.stringMatching(/^ID {2}CATEGORY {2}PROVIDER {2}BATCH {2}ATTEMPTS {2}DIED {17}LAST ERROR$/),
      expect.stringMatching(/^3 {3}TIMEOUT {3}sim {7}1 {6}1\/1 {7}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}attempt timed out after 200 ms$/),
      expect.stringMatching(/^2 {3}TIMEOUT {3}openai {4}1 {6}1\/1 {7}.+ {2}attempt timed out after 100 ms$/),
    ])
    expect(JSON.parse(stats.stdout)).toEqual({
      total: 4,
      byCategory: [
        { category: 'TIMEOUT', count: 2 },
        { category: 'SERVICE_UNAVAILABLE', count: 1 },
        { category: 'VALIDATION', count: 1 },
      ],
      byProvider: [
        { provider: 'openai', count: 2 },
        { provider: 'sim', count: 2 },
      ],
    })
    expect(nothing).toMatchObject({ status: 2, stderr: 'genops: give one of: a job ID, --all, or filters (--category, --provider, --batch)\n' })
    expect(several.status).toBe(2)
    expect(several.stderr).toContain('give one of: a job ID, --all, or filters (--category, --provider, --batch), not several of these')
    expect(badCategory.status).toBe(2)
    expect(badCategory.stderr).toContain('--category must be one of TIMEOUT, RATE_LIMIT, AUTH, VALIDATION,')

    // Two changes to different jobs (job 3 retried, job 4 purged), then two reads of what they left.
    const [retried, purged] = await Promise.all([
      cli('dlq', 'retry', '--category', 'TIMEOUT', '--provider', 'sim', '--json'),
      cli('dlq', 'purge', '--batch', '2'),
    ])
    expect(JSON.parse(retried.stdout)).toEqual({ retried: 1 })
    expect(purged).toMatchObject({ status: 0, stdout: 'purged 1 dead job\n' })
    const [listed, queue] = await Promise.all([cli('dlq', 'list', '--json'), cli('queue', 'stats', '--json')])
    const left = JSON.parse(listed.stdout) as { id: number; errorCategory: string }[]
    expect(left.map((j) => [j.id, j.errorCategory])).toEqual([
      [2, 'TIMEOUT'],
      [1, 'VALIDATION'],
    ])
    const counts = JSON.parse(queue.stdout) as { counts: Record<string, number> }
    expect(counts.counts).toMatchObject({ queued: 1, dead: 2 })
  })
})

describe('genops failures and regressions', () => {
  it('groups the simulator’s failures, pins the flagged group, and reruns it saying which cases now pass', { timeout: 180_000 }, async () => {
    const dataDir = tempDir()
    // A profile that fails every first attempt: fixing it later is what makes its cases pass.
    const flaky = { failAttempts: 1, failCategory: 'VALIDATION' }
    const engine = await createEngine({ dataDir, threads: 1, pollMs: 50 })
    engines.push(engine)
    await engine.call('saveProvider', { name: 'flaky', provider: 'sim', config: flaky })
    await engine.call('enqueueJobs', {
      jobs: [
        { prompt: 'first', provider: 'flaky' },
        { prompt: 'second', provider: 'flaky' },
        // The same failure with another number in it: still the same group.
        { prompt: 'third', provider: 'sim', config: { failAttempts: 4, failCategory: 'VALIDATION' } },
        { prompt: 'other', provider: 'sim', config: { failAttempts: 1, failCategory: 'MODEL' } },
        { prompt: 'fine', provider: 'sim' },
      ],
      defaults: { attempts: 1 },
    })
    await waitFor(
      () => engine.call('queueStats', {}),
      (s) => s.counts.dead === 4 && s.counts.completed === 1,
      { what: '4 dead jobs and 1 completed' },
    )
    await engine.close()

    const cli = (...args: string[]) => genopsAsync([...args, '--data-dir', dataDir])
    const groups = JSON.parse((await cli('failures', 'list', '--json')).stdout) as FailureGroup[]
    expect(groups.map((g) => [g.category, g.pattern, g.count, g.flagged])).toEqual(
      expect.arrayContaining([
        ['VALIDATION', 'simulated VALIDATION on attempt <n> of the first <n>', 3, true],
        ['MODEL', 'simulated MODEL on attempt <n> of the first <n>', 1, false],
      ]),
    )
    const flagged = groups.find((g) => g.flagged)!
    const other = groups.find((g) => !g.flagged)!

    // Three steps that do not touch each other, at once: the refusal of the group seen once, the pin of the flagged one, the profile's fix.
    const [refused, pinned, fixed] = await Promise.all([
      cli('failures', 'pin', other.fingerprint),
      cli('failures', 'pin', flagged.fingerprint),
      // The profile is fixed; the third job's own config still fails it.
      cli('providers', 'add', 'flaky', '--provider', 'sim'),
    ])
    expect(refused).toMatchObject({
      status: 1,
      stderr: `genops: failure group ${other.fingerprint} was seen 1 time: a group can be pinned once it is seen 3 times\n`,
    })
    expect(pinned.stdout).toBe(`failure group ${flagged.fingerprint} pinned: 3 new regression cases, 3 in all\n`)
    expect(fixed.status).toBe(0)
    expect((await cli('failures', 'list')).stdout).toMatch(new RegExp(`^${flagged.fingerprint} +VALIDATION +3 +.+ pinned +1,2,3 +simulated VALIDATION`, 'm'))

    const run = await cli('regressions', 'run')
    expect(run.stderr).toBe('')
    expect(run.status).toBe(1)
    const lines = run.stdout.split('\n')
    expect(lines[0]).toMatch(/^regression batch \d+:$/)
    expect(lines.slice(2, 5)).toEqual([
      expect.stringMatching(new RegExp(`^ {2}1 +\\d+ +${flagged.fingerprint} +passed$`)),
      expect.stringMatching(new RegExp(`^ {2}2 +\\d+ +${flagged.fingerprint} +passed$`)),
      expect.stringMatching(new RegExp(`^ {2}3 +\\d+ +${flagged.fingerprint} +failed +VALIDATION: simulated VALIDATION on attempt 1 of the first 4$`)),
    ])
    expect(lines).toContain('2 passed, 1 still failing')

    const [listedCases, afterRun] = await Promise.all([cli('regressions', 'list', '--json'), cli('queue', 'stats', '--json')])
    const cases = JSON.parse(listedCases.stdout) as RegressionCase[]
    expect(cases.map((c) => [c.spec?.prompt, c.spec?.provider, c.lastRun?.outcome])).toEqual([
      ['first', 'flaky', 'passed'],
      ['second', 'flaky', 'passed'],
      ['third', 'sim', 'failed'],
    ])
    // The regression jobs ran as one batch of their own, and left nothing waiting.
    const stats = JSON.parse(afterRun.stdout) as { counts: Record<string, number> }
    expect(stats.counts).toMatchObject({ queued: 0, delayed: 0, active: 0, completed: 3, dead: 5 })
  })

  it('says there is nothing to run before any group is pinned', () => {
    const result = genops(['regressions', 'run', '--data-dir', tempDir()])
    expect(result).toMatchObject({ status: 1, stderr: 'genops: there are no regression cases: pin a flagged failure group first\n' })
  })
})
