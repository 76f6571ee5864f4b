/**
 * Prompt files as people really send them: artifact names that collide or imitate another
 * job's files, a config typo repeated on thousands of lines, file names that carry terminal
 * escapes, and the temporary files a killed attempt leaves. Each is refused or cleaned with
 * the file, line and reason, and nothing of a refused file is enqueued.
 */
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { OutputName } from '../../src/shared/job-config'
import { createEngine, type Engine } from '../../src/main/engine'
import type { OperationName } from '../../src/shared/contract'
import { createHandlers, invoke } from '../../src/main/operations'
import { databaseFile } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { STALE_AFTER_MS, sweepTemporaries } from '../../src/main/artifacts/sweep'
import { failJobs } from '../failures/dying'
import { genops, genopsAsync } from '../support/cli'
import { T0 } from '../support/queue'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const lines = (jobs: unknown[]): string => jobs.map((job) => JSON.stringify(job)).join('\n')
const jobsIn = (dir: string): number => {
  const { counts } = JSON.parse(genops(['queue', 'stats', '--json', '--data-dir', dir]).stdout) as { counts: Record<string, number> }
  return Object.values(counts).reduce((sum, n) => sum + n, 0)
}

describe('artifact names: one job, one file', () => {
  it('never takes a name another job is given by default, or a metadata name', () => {
    for (const name of ['27', '0042', '27.meta', 'report.META', 'con', 'NUL', 'aux.txt', 'COM1', 'lpt9.log', 'x.']) {
      expect(OutputName.safeParse(name).success, name).toBe(false)
    }
    for (const name of ['report', 'r27', '27.txt', 'report.meta.json', 'a_b-c.d']) expect(OutputName.safeParse(name).success, name).toBe(true)
  })

  it('refuses two jobs of a batch asking for one name, across its files and whatever the case, naming both', () => {
    const dir = tempDir()
    writeFileSync(
      join(dir, 'first.jsonl'),
      lines([
        { prompt: 'a', config: { outputName: 'report' } },
        { prompt: 'b', config: { outputName: 'r2' } },
      ]),
    )
    writeFileSync(
      join(dir, 'second.jsonl'),
      lines([
        { prompt: 'c', config: { outputName: 'summary' } },
        { prompt: 'd', config: { outputName: 'Summary' } },
      ]),
    )
    writeFileSync(join(dir, 'third.jsonl'), lines([{ prompt: 'e', config: { outputName: 'REPORT' } }]))
    writeFileSync(
      join(dir, 'digits.jsonl'),
      lines([
        { prompt: 'f', config: { outputName: '27' } },
        { prompt: 'g', config: { outputName: '27.meta' } },
      ]),
    )
    const files = ['first', 'second', 'third', 'digits'].map((name) => join(dir, `${name}.jsonl`))
    const result = genops(['enqueue', ...files, '--data-dir', dir])
    expect(result.status).toBe(2)
    expect(result.stderr.split('\n').filter((line) => /:\d+: /.test(line))).toEqual([
      'second.jsonl:2: config.outputName "Summary" is taken by the job at second.jsonl:1: each job of a batch writes its own file',
      'third.jsonl:1: config.outputName "REPORT" is taken by the job at first.jsonl:1: each job of a batch writes its own file',
      "digits.jsonl:1: config.outputName: outputName cannot be all digits: that is how other jobs' outputs are named (by id)",
      'digits.jsonl:2: config.outputName: outputName cannot end in ".meta": that is how metadata files are named',
    ])
    // The good file goes in alone: its names are its own in its batch.
    expect(jobsIn(dir)).toBe(2)
  })
})

describe('a config typo on every line', () => {
  it('is one file:line report, not thousands of dead jobs', () => {
    const dir = tempDir()
    const file = join(dir, 'chaos.jsonl')
    const typo = { prompt: 'p', provider: 'sim', config: { latencyMs: 10, faults: { unavailable: 0.1, rateLimt: 0.05 } } }
    writeFileSync(file, lines(Array.from({ length: 3000 }, (_, i) => ({ ...typo, prompt: `prompt ${i}` }))))
    const result = genops(['enqueue', file, '--data-dir', dir])
    expect(result.status).toBe(2)
    const reported = result.stderr.split('\n').filter(Boolean)
    expect(reported[0]).toBe('chaos.jsonl:1: config.faults.rateLimt: unknown key')
    expect(reported.at(-2)).toMatch(/^chaos\.jsonl: \.\.\. and \d+ more problems$/)
    expect(reported.at(-1)).toBe('chaos.jsonl: nothing enqueued from this file')
    expect(jobsIn(dir)).toBe(0)
  })

  it('names a setting the chosen provider does not take, and a variable the prompt lacks', () => {
    const dir = tempDir()
    const file = join(dir, 'mixed.jsonl')
    writeFileSync(
      file,
      lines([
        { prompt: 'a', provider: 'local', model: '/m.gguf', config: { latencyMs: 5 } },
        { prompt: 'Describe {{product}} for {{audience}}', vars: { product: 'a mug' } },
        { prompt: 'c', provider: 'nobody' },
        { prompt: 'd', config: { temperature: 7 } },
      ]),
    )
    const result = genops(['enqueue', file, '--data-dir', dir])
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      'mixed.jsonl:1: config.latencyMs: unknown key for provider local',
      'mixed.jsonl:2: the prompt uses {{audience}} but the job has no such variable',
      'mixed.jsonl:3: unknown provider or profile "nobody": name a provider (sim, local, openai, anthropic) or a profile from `genops providers list`',
      'mixed.jsonl:4: config.temperature: temperature must be a number from 0 to 2',
      'mixed.jsonl: nothing enqueued from this file',
    ])
  })

  it('checks what the --provider chosen on the command line takes', () => {
    const dir = tempDir()
    const file = join(dir, 'sim-settings.jsonl')
    writeFileSync(file, lines([{ prompt: 'a', config: { latencyMs: 5 } }]))
    expect(genops(['enqueue', file, '--provider', 'openai', '--model', 'm', '--data-dir', dir]).stderr).toContain(
      'sim-settings.jsonl:1: config.latencyMs: unknown key for provider openai',
    )
    expect(genops(['enqueue', file, '--data-dir', dir]).status).toBe(0)
  })
})

describe('file names that carry control characters', () => {
  it('are shown and stored with the characters escaped: they cannot recolour a terminal or forge a line', () => {
    const dir = tempDir()
    const name = 'a\u001b]0;pwned\u0007\u001b[31m\nforged.jsonl:9: fine\u202e.jsonl'
    const file = join(dir, name)
    writeFileSync(file, '{"prompt": 1}')
    const refused = genops(['enqueue', file, '--data-dir', dir])
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    expect(refused.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/)
    const shown = 'a\\x1b]0;pwned\\x07\\x1b[31m\\nforged.jsonl:9: fine\\u202e.jsonl'
    expect(refused.stderr.split('\n')[0]).toBe(`${shown}:1: prompt: Invalid input: expected string, received number`)

    writeFileSync(file, '{"prompt": "fine"}')
    const taken = genops(['enqueue', file, '--json', '--data-dir', dir])
    expect(taken.status).toBe(0)
    expect((JSON.parse(taken.stdout) as { batchName: string }[])[0]!.batchName).toBe(shown)
  })
})

describe('temporary artifact files left by a killed attempt', () => {
  let engine: Engine | undefined
  afterEach(async () => {
    await engine?.close(1000)
    engine = undefined
  })

  it('are swept when an engine starts, once old enough that no live writer can own them', async () => {
    const dir = tempDir()
    const batch = join(dir, 'artifacts', '3')
    mkdirSync(batch, { recursive: true })
    const stale = join(batch, '12.txt.tmp-0b7e9c1a-5d2f-4e8b-9a6c-3f1d2e4b5a6c')
    const fresh = join(batch, '13.txt.tmp-1c8f0d2b-6e3a-4f9c-8b7d-4a2e3f5c6b7d')
    for (const file of [stale, fresh, join(batch, '12.txt'), join(batch, 'notes.tmp-by-the-user')]) writeFileSync(file, 'x')
    const old = (Date.now() - STALE_AFTER_MS - 60_000) / 1000
    utimesSync(stale, old, old)
    engine = await createEngine({ dataDir: dir, threads: 1, metrics: { exporter: { enabled: false } } })
    await waitFor(
      () => readdirSync(batch),
      (names) => !names.includes('12.txt.tmp-0b7e9c1a-5d2f-4e8b-9a6c-3f1d2e4b5a6c'),
      { what: 'the stale temporary file to go' },
    )
    expect(readdirSync(batch).sort()).toEqual(['12.txt', '13.txt.tmp-1c8f0d2b-6e3a-4f9c-8b7d-4a2e3f5c6b7d', 'notes.tmp-by-the-user'])
    expect(await sweepTemporaries(join(dir, 'artifacts'), Date.now() + STALE_AFTER_MS + 1)).toBe(1)
    expect(await sweepTemporaries(join(tempDir(), 'no-artifacts-yet'))).toBe(0)
  })
})

describe('a regression run, which gathers cases of several batches into one', () => {
  it('names each output by its new job, so two cases that asked for one name cannot meet', async () => {
    const store = SqliteQueueStore.open(databaseFile(tempDir()))
    try {
      // One failing job asking for "report" in each of three batches: a group that can be pinned.
      for (const batch of ['monday', 'tuesday', 'wednesday']) {
        failJobs(
          store,
          [
            {
              prompt: `report for ${batch}`,
              category: 'VALIDATION',
              message: 'the output does not match the schema',
              overrides: { config: { outputName: 'report' } },
            },
          ],
          T0,
          batch,
        )
      }
      const handlers = createHandlers(store)
      const call = <K extends OperationName>(name: K, input: unknown) => invoke(handlers, name, input)
      const [group] = (await call('listFailureGroups', {})).groups
      await call('pinFailureGroup', { fingerprint: group!.fingerprint })
      const { batchId } = await call('runRegressions', {})
      const { jobs } = await call('listJobs', { batchId, limit: 10 })
      const configs = await Promise.all(jobs.map(async (job) => (await call('getJob', { id: job.id })).config))
      expect(configs).toHaveLength(3)
      for (const config of configs) expect(config.outputName).toBeUndefined()
    } finally {
      store.close()
    }
  })
})

describe('an output schema written by an attacker', () => {
  let engine: Engine | undefined
  afterEach(async () => {
    await engine?.close(1000)
    engine = undefined
  })

  it('cannot hold a worker thread with a catastrophic pattern: patterns run in linear time', async () => {
    const dir = tempDir()
    engine = await createEngine({ dataDir: dir, threads: 1, pollMs: 50, metrics: { exporter: { enabled: false } } })
    // On a backtracking engine this pattern takes minutes on 40 words with no "!": no timer on the thread could stop it.
    const schema = { type: 'object', properties: { text: { type: 'string', pattern: '^(\\w+\\s?)*!$' } } }
    await engine.call('enqueueJobs', {
      jobs: [
        ...Array.from({ length: 4 }, (_, i) => ({ prompt: `hostile ${i}`, attempts: 1, config: { outputTokens: 40, output: { schema } } })),
        { prompt: 'plain', attempts: 1 },
      ],
    })
    const stats = await waitFor(
      () => engine!.call('queueStats', {}),
      (s) => s.counts.completed + s.counts.dead === 5,
      { what: 'every job to end', timeoutMs: 30_000 },
    )
    expect(stats.counts).toMatchObject({ completed: 1, dead: 4 })
    expect((await engine.call('getJob', { id: 1 })).lastError).toMatch(/^the output does not match the schema: output\/text must match pattern/)
  })

  it('is refused at intake when its pattern is not one a linear-time engine runs (a backreference)', () => {
    const dir = tempDir()
    const file = join(dir, 'backref.jsonl')
    writeFileSync(file, lines([{ prompt: 'a', schema: { type: 'string', pattern: '(a+)\\1' } }]))
    const result = genops(['enqueue', file, '--data-dir', dir])
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/^backref\.jsonl:1: the output schema is not a valid JSON Schema \(.*\)$/m)
  })
})

describe('control characters inside a file', () => {
  it('are shown escaped in its problems and in the jobs the CLI prints', async () => {
    const dir = tempDir()
    const forged = '\u001b]0;PWNED\u0007\u001b[2J\nreport.jsonl:1: enqueued fine'
    const bad = join(dir, 'esc.jsonl')
    writeFileSync(bad, lines([{ prompt: 'x', provider: forged }]))
    const refused = genops(['enqueue', bad, '--data-dir', dir])
    expect(refused.stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^esc\.jsonl:1: unknown provider or profile "\\x1b\]0;PWNED\\x07\\x1b\[2J\\nreport\.jsonl:1: enqueued fine"/),
      'esc.jsonl: nothing enqueued from this file',
    ])
    const good = join(dir, 'tags.jsonl')
    writeFileSync(good, lines([{ prompt: `title\u001b[31m red\u009b2J`, tags: ['\u001b[5mblink'] }]))
    expect(genops(['enqueue', good, '--data-dir', dir]).status).toBe(0)
    // Three reads of the same job: at once.
    const reads = [
      ['jobs', 'list'],
      ['jobs', 'view', '1'],
      ['jobs', 'view', '1', '--json'],
    ]
    const shown = await Promise.all(reads.map((args) => genopsAsync([...args, '--data-dir', dir])))
    for (const [i, { stdout }] of shown.entries()) {
      // eslint-disable-next-line no-control-regex -- finding control characters is the point
      expect(stdout, reads[i]!.join(' ')).not.toMatch(/[\u001b\u009b]/)
    }
  }, 120_000)
})

describe('an attempt whose thread no timer can reach', () => {
  let engine: Engine | undefined
  afterEach(async () => {
    await engine?.close(1000)
    engine = undefined
  })

  it('is stopped from the main thread past its time limit, its thread replaced, and ends as TIMEOUT', async () => {
    engine = await createEngine({
      dataDir: tempDir(),
      threads: 1,
      pollMs: 50,
      leaseMs: 1500,
      cancelGraceMs: 300,
      workerFile: join(import.meta.dirname, 'hanging-worker.ts'),
      metrics: { exporter: { enabled: false } },
    })
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'hang', attempts: 1, config: { timeoutMs: 300 } }] })
    const hung = await waitFor(
      () => engine!.call('getJob', { id: 1 }),
      (job) => job.state === 'dead',
      { what: 'the hung attempt to be stopped', timeoutMs: 30_000 },
    )
    expect(hung.attempts.map((a) => a.errorCategory)).toEqual(['TIMEOUT'])
    expect(hung.lastError).toMatch(/^the attempt ran past its time limit and did not stop; its worker thread was stopped/)
    // The pool has a live thread again: the next job runs.
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'after', attempts: 1 }] })
    await waitFor(
      () => engine!.call('getJob', { id: 2 }),
      (job) => job.state === 'completed',
      { what: 'the next job to run on a new thread' },
    )
  })
})
