/**
 * `genops enqueue --estimate` as an operator runs it, the real CLI in its own process: the
 * estimate printed (text and --json), nothing enqueued, a budget it would cross named, a bad
 * file refused with `file:line` exactly as enqueue refuses it, and the same estimate made by
 * a `genops serve` (--server) as by the queue here.
 */
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base'
import { describe, expect, it } from 'vitest'
import { databaseFile } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { Estimate } from '../../src/shared/estimate'
import { genops, genopsAsync, genopsInBackground } from '../support/cli'
import { tempDir } from '../support/temp'

const PROMPTS = ['Describe {{city}} in one line.', 'Name three rivers of France.']

/** A data directory with an openai profile, and a prompt file of two jobs for it. */
function setUp(): { dir: string; file: string } {
  const dir = tempDir()
  const added = genops(['providers', 'add', 'work', '--provider', 'openai', '--model', 'gpt-4o-mini', '--data-dir', dir])
  expect(added.status, added.stderr).toBe(0)
  const file = join(dir, 'prompts.jsonl')
  writeFileSync(
    file,
    `${JSON.stringify({ prompt: PROMPTS[0], vars: { city: 'Lyon' } })}\n${JSON.stringify({ prompt: PROMPTS[1], config: { maxTokens: 200 } })}\n`,
  )
  return { dir, file }
}

function jobCount(dir: string): number {
  const store = SqliteQueueStore.open(databaseFile(dir))
  try {
    return store.db.prepare('SELECT count(*) FROM jobs').pluck().get() as number
  } finally {
    store.close()
  }
}

describe('genops enqueue --estimate', () => {
  it('prints the estimate as JSON, counted with the model’s tokenizer, and enqueues nothing', () => {
    const { dir, file } = setUp()
    const run = genops(['enqueue', '--estimate', '--json', file, '--provider', 'work', '--data-dir', dir])
    expect(run.status, run.stderr).toBe(0)
    const estimate = Estimate.parse(JSON.parse(run.stdout))
    expect(estimate).toMatchObject({ jobs: 2, cachedJobs: 0, batchOffered: true, limitedMs: null })
    expect(estimate.groups[0]).toMatchObject({
      provider: 'work',
      kind: 'openai',
      model: 'gpt-4o-mini',
      inputCounting: { method: 'tokenizer', encoding: 'o200k_base' },
    })
    expect(estimate.inputTokens).toBe(countTokens('Describe Lyon in one line.') + countTokens(PROMPTS[1]!))
    expect(estimate.outputTokens).toBe(512 + 200)
    expect(estimate.batchUsd).toBeCloseTo(estimate.realtimeUsd! / 2, 12)
    expect(jobCount(dir)).toBe(0)
  })

  it('says in words what it would cost on each lane and which budget it would cross', () => {
    const { dir, file } = setUp()
    const store = SqliteQueueStore.open(databaseFile(dir))
    store.costs.setBudget({ scope: 'profile', batchId: null, target: 'work', unit: 'tokens', limit: 100, action: 'alert' }, Date.now())
    store.close()
    const run = genops(['enqueue', '--estimate', file, '--provider', 'work', '--data-dir', dir])
    expect(run.status, run.stderr).toBe(0)
    const lines = run.stdout.trim().split('\n')
    expect(lines[0]).toBe('work/gpt-4o-mini (openai profile): 2 jobs')
    expect(lines).toContain('  time: no limit set')
    expect(lines.some((line) => /^ {2}real-time \$\d\.\d+; batch \$\d\.\d+$/.test(line))).toBe(true)
    const tokens = countTokens('Describe Lyon in one line.') + countTokens(PROMPTS[1]!) + 712
    expect(lines).toContain(
      `over budget: profile work's day token budget of 100 tokens has 100 tokens left; this estimate is ${tokens.toLocaleString('en-US')} tokens`,
    )
    expect(lines.at(-1)).toBe('nothing was enqueued (--estimate)')
    expect(jobCount(dir)).toBe(0)
  })

  it('refuses a bad file with file:line exactly as enqueue does, and estimates the good ones', async () => {
    const { dir, file } = setUp()
    const bad = join(dir, 'bad.jsonl')
    writeFileSync(bad, '{"prompt": "fine"}\n{"prompt": 3}\n')
    // Side by side: the estimate writes nothing, and the refused file leaves nothing.
    const [estimated, enqueued] = await Promise.all([
      genopsAsync(['enqueue', '--estimate', file, bad, '--provider', 'work', '--data-dir', dir]),
      genopsAsync(['enqueue', bad, '--provider', 'work', '--data-dir', dir]),
    ])
    expect(estimated.status).toBe(2)
    expect(enqueued.status).toBe(2)
    expect(estimated.stderr).toBe(enqueued.stderr)
    expect(estimated.stderr).toMatch(/^bad\.jsonl:2: /)
    expect(estimated.stdout).toContain('work/gpt-4o-mini (openai profile): 2 jobs')
    expect(jobCount(dir)).toBe(0)
  })

  it('asks a server for it with --server, which answers as the queue here does', { timeout: 300_000 }, async () => {
    const { dir, file } = setUp()
    const token = 'estimate-test-token-0123456789'
    const serve = genopsInBackground(['serve', '--port', '0', '--no-metrics', '--data-dir', dir, '--token', token])
    try {
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: serve.stdout! }).on('line', (line) => {
          const found = /^GenOps listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(line)?.[1]
          if (found) resolve(found)
        })
        serve.once('exit', (code) => reject(new Error(`genops serve exited (${code})`)))
      })
      const [remote, here] = await Promise.all([
        genopsAsync(['--server', url, '--token', token, 'enqueue', '--estimate', '--json', file, '--provider', 'work']),
        genopsAsync(['enqueue', '--estimate', '--json', file, '--provider', 'work', '--data-dir', dir]),
      ])
      expect(remote.status, remote.stderr).toBe(0)
      expect(Estimate.parse(JSON.parse(remote.stdout))).toEqual(Estimate.parse(JSON.parse(here.stdout)))
    } finally {
      const exited = once(serve, 'exit')
      serve.kill('SIGTERM')
      await exited
    }
    expect(jobCount(dir)).toBe(0)
  })
})
