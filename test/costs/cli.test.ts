/**
 * `genops costs` and `genops batches pause|resume` as an operator runs them: the CLI as a
 * separate process on a data directory whose attempts were settled by the real store.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { databaseFile } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { genopsAsync } from '../support/cli'
import { job } from '../support/queue'
import { tempDir } from '../support/temp'

/** A data directory with two batches' attempts settled a minute ago, priced as a scheduler would have. */
function dataDirWithSpend(): { dataDir: string; batchIds: number[] } {
  const dataDir = tempDir()
  const store = SqliteQueueStore.open(databaseFile(dataDir))
  const at = Date.now() - 60_000
  const batchIds: number[] = []
  for (const [name, tags, usd] of [
    ['nightly, "big" run', ['a,"quoted" tag', 'plain'], 0.25],
    ['small', null, null],
  ] as const) {
    const { batchId } = store.enqueue(
      [job('p1', { runAt: at, provider: 'gateway', model: 'gpt-x', tags: tags && [...tags] }), job('p2', { runAt: at, provider: 'gateway', model: 'gpt-x' })],
      name,
      at,
    )
    batchIds.push(batchId)
    const { jobs } = store.claim({ owner: 'o', limit: 2, now: at, leaseMs: 60_000 })
    store.settle(
      jobs.map((j) => ({
        id: j.id,
        outcome: 'ok' as const,
        endedAt: at + 100,
        output: 'x',
        inputTokens: 1000,
        outputTokens: 500,
        cost: { providerKind: 'openai', model: 'gpt-x', usd },
      })),
      'o',
    )
  }
  store.close()
  return { dataDir, batchIds }
}

describe('genops costs', () => {
  it('reports by provider, batch and tag as a table, JSON or CSV that parses back', { timeout: 120_000 }, async () => {
    const { dataDir, batchIds } = dataDirWithSpend()
    const cli = (...args: string[]) => genopsAsync([...args, '--data-dir', dataDir])
    const [table, json, csv, tagCsv, both] = await Promise.all([
      cli('costs'),
      cli('costs', '--by', 'batch', '--json'),
      cli('costs', '--by', 'batch', '--csv'),
      cli('costs', '--by', 'tag', '--csv', '--since', '1h'),
      cli('costs', '--csv', '--json'),
    ])
    expect(table.status).toBe(0)
    expect(table.stdout.split('\n').slice(2, 5)).toEqual([
      expect.stringMatching(/^PROVIDER {2}KIND {4}ATTEMPTS {2}INPUT TOKENS {2}CACHED INPUT {2}CACHE WRITE {2}OUTPUT TOKENS {2}COST$/),
      'gateway   openai  4         4,000         0             0            2,000          $0.50 + 2 unpriced',
      'TOTAL             4         4,000         0             0            2,000          $0.50 + 2 unpriced',
    ])
    expect(table.stdout).toMatch(/openai\/gpt-x: 2 attempts used tokens of a model with no price \(their tokens are counted, their cost left out\)/)

    expect(json.status).toBe(0)
    const report = JSON.parse(json.stdout) as { rows: { key: string; label: string; costUsd: number | null; unpricedAttempts: number }[] }
    expect(report.rows).toEqual([
      expect.objectContaining({ key: String(batchIds[0]), label: 'nightly, "big" run', costUsd: 0.5, unpricedAttempts: 0 }),
      expect.objectContaining({ key: String(batchIds[1]), label: 'small', costUsd: null, unpricedAttempts: 2 }),
    ])

    expect(csv.status).toBe(0)
    expect(parse(csv.stdout, { columns: true })).toEqual([
      {
        batch: String(batchIds[0]),
        name: 'nightly, "big" run',
        attempts: '2',
        input_tokens: '2000',
        output_tokens: '1000',
        cached_input_tokens: '0',
        cache_write_tokens: '0',
        cost_usd: '0.5',
        unpriced_attempts: '0',
      },
      {
        batch: String(batchIds[1]),
        name: 'small',
        attempts: '2',
        input_tokens: '2000',
        output_tokens: '1000',
        cached_input_tokens: '0',
        cache_write_tokens: '0',
        cost_usd: '',
        unpriced_attempts: '2',
      },
    ])
    expect(csv.stderr).toMatch(/^note: a batch's figures are its whole total/m)

    expect(tagCsv.status).toBe(0)
    const tags = parse(tagCsv.stdout, { columns: true }) as { tag: string; attempts: string; cost_usd: string }[]
    expect(tags.map((row) => [row.tag, row.attempts, row.cost_usd])).toEqual([
      ['(no tag)', '3', '0.25'],
      ['a,"quoted" tag', '1', '0.25'],
      ['plain', '1', '0.25'],
    ])
    expect(tagCsv.stderr).toMatch(/note: a job with several tags counts under each/)

    expect(both.status).toBe(2)
    expect(both.stderr).toMatch(/give --csv or --json, not both/)
  })

  it('writes CSV a spreadsheet opens safely: tags that look like formulas defused, costs to a millionth of a dollar', { timeout: 120_000 }, async () => {
    const dataDir = tempDir()
    const store = SqliteQueueStore.open(databaseFile(dataDir))
    const at = Date.now() - 60_000
    const tags = ['=HYPERLINK("http://evil.example")', '-2+3']
    store.enqueue(
      [job('p1', { runAt: at, provider: 'gateway', model: 'gpt-x', tags }), job('p2', { runAt: at, provider: 'gateway', model: 'gpt-x', tags })],
      'b',
      at,
    )
    const { jobs } = store.claim({ owner: 'o', limit: 2, now: at, leaseMs: 60_000 })
    // 0.1 + 0.2 is 0.30000000000000004 in floating point.
    store.settle(
      jobs.map((j, i) => ({
        id: j.id,
        outcome: 'ok' as const,
        endedAt: at + 100,
        output: 'x',
        inputTokens: 1000,
        outputTokens: 500,
        cost: { providerKind: 'openai', model: 'gpt-x', usd: [0.1, 0.2][i]! },
      })),
      'o',
    )
    store.close()
    const [byTag, byProvider] = await Promise.all([
      genopsAsync(['costs', '--by', 'tag', '--csv', '--since', '1h', '--data-dir', dataDir]),
      genopsAsync(['costs', '--csv', '--data-dir', dataDir]),
    ])
    expect(byTag.status).toBe(0)
    expect(byTag.stdout).not.toContain('0.30000000000000004')
    const rows = parse(byTag.stdout, { columns: true }) as { tag: string; cost_usd: string }[]
    expect(rows.map((row) => [row.tag, row.cost_usd]).sort()).toEqual([
      ["'-2+3", '0.3'],
      ['\'=HYPERLINK("http://evil.example")', '0.3'],
    ])
    expect(byProvider.stdout.split('\r\n')).toEqual([
      'provider,kind,attempts,input_tokens,output_tokens,cached_input_tokens,cache_write_tokens,cost_usd,unpriced_attempts',
      'gateway,openai,2,2000,1000,0,0,0.3,0',
      '',
    ])
  })

  it('sets prices and budgets, and pauses and resumes a batch', { timeout: 120_000 }, async () => {
    const { dataDir, batchIds } = dataDirWithSpend()
    const cli = (...args: string[]) => genopsAsync([...args, '--data-dir', dataDir])
    const [price, budget, day, tokens, wrong, noAmount, noBatch, pause] = await Promise.all([
      cli('costs', 'price', 'set', 'openai', 'gpt-x', '--input', '2.5', '--output', '$10'),
      cli('costs', 'budget', 'set', '--batch', String(batchIds[0]), '--usd', '2', '--action', 'pause'),
      cli('costs', 'budget', 'set', '--day', '5'),
      cli('costs', 'budget', 'set', '--provider', 'local', '--tokens', '100000', '--action', 'pause'),
      cli('costs', 'budget', 'set', '--day', '5', '--batch', '1'),
      cli('costs', 'budget', 'set', '--profile', 'work'),
      cli('costs', 'budget', 'set', '--batch', '99', '--usd', '1'),
      cli('batches', 'pause', String(batchIds[1]), '--reason', 'waiting for the new key'),
    ])
    expect(price).toMatchObject({ status: 0, stdout: 'openai gpt-x: $2.5 input, $10 output per million tokens\n' })
    expect(budget).toMatchObject({ status: 0, stdout: `batch ${batchIds[0]}'s budget: $2.00, holds attempts that could cross it ($0.50 spent so far)\n` })
    expect(day).toMatchObject({ status: 0, stdout: 'the day budget: $5.00, tells at 50, 80 and 100 % ($0.50 spent so far)\n' })
    expect(tokens).toMatchObject({
      status: 0,
      stdout: "provider local's day token budget: 100,000 tokens, holds attempts that could cross it (0 tokens spent so far)\n",
    })
    expect(wrong.status).toBe(2)
    expect(wrong.stderr).toMatch(/name one budget: --day, --batch ID, --provider KIND or --profile NAME/)
    expect(noAmount.status).toBe(2)
    expect(noAmount.stderr).toMatch(/give the limit once: --usd USD or --tokens N/)
    expect(noBatch.status).toBe(1)
    expect(noBatch.stderr).toMatch(/batch 99 does not exist/)
    expect(pause.status).toBe(0)

    const [prices, budgets, resume, again] = await Promise.all([
      cli('costs', 'price', 'list', '--json'),
      cli('costs', 'budget', 'list'),
      cli('batches', 'resume', String(batchIds[1])),
      cli('batches', 'resume', String(batchIds[0])),
    ])
    expect((JSON.parse(prices.stdout) as { model: string; source: string }[])[0]).toMatchObject({ provider: 'openai', model: 'gpt-x', source: 'override' })
    expect(budgets.stdout.split('\n')).toEqual([
      expect.stringMatching(/^BUDGET +LIMIT +SPENT +RESERVED +ACTION +REACHED$/),
      expect.stringMatching(new RegExp(`^batch ${batchIds[0]}'s budget +\\$2\\.00 +\\$0\\.50 +\\$0\\.00 +pause +-$`)),
      expect.stringMatching(/^the day budget +\$5\.00 +\$0\.50 +\$0\.00 +alert +-$/),
      expect.stringMatching(/^provider local's day token budget +100,000 tokens +0 tokens +0 tokens +pause +-$/),
      '',
    ])
    expect(resume).toMatchObject({ status: 0, stdout: `batch ${batchIds[1]}: resumed\n` })
    expect(again.status).toBe(1)
    expect(again.stderr).toMatch(new RegExp(`batch ${batchIds[0]} is not paused`))
  })

  it('run --until-empty stops, saying so, when only jobs a reached budget holds are left', { timeout: 60_000 }, async () => {
    const dataDir = tempDir()
    const file = join(dataDir, 'prompts.jsonl')
    // Each attempt is 1 prompt token and 40 output, as estimated: the budget lets two run, then holds the rest.
    writeFileSync(file, ['a', 'b', 'c', 'd'].map((p) => JSON.stringify({ prompt: p, config: { maxTokens: 40, outputTokens: 40, latencyMs: 0 } })).join('\n'))
    const cli = (...args: string[]) => genopsAsync([...args, '--data-dir', dataDir])
    const set = await Promise.all([cli('enqueue', file), cli('costs', 'budget', 'set', '--day', '--tokens', '90', '--action', 'pause')])
    expect(set.map((done) => done.status)).toEqual([0, 0])
    const run = await cli('run', '--until-empty', '--threads', '1', '--concurrency', '1', '--no-metrics')
    expect(run.stdout).toBe('stopped: 2 completed, 0 dead, 0 cancelled, 2 held\n')
    expect(run.stderr).toMatch(/^genops: 2 jobs are held until an operator acts \(.*a budget reached\)/m)
    expect(run.status).toBe(3)
  })

  it('refuses a budget the contract refuses, in one line: a zero limit, an empty profile, too many dollars', { timeout: 60_000 }, async () => {
    const dataDir = tempDir()
    const cli = (...args: string[]) => genopsAsync(['costs', 'budget', 'set', ...args, '--data-dir', dataDir])
    const refused = await Promise.all([cli('--day', '--usd', '0'), cli('--profile', '', '--usd', '1'), cli('--day', '--usd', '20000000')])
    expect(refused.map((done) => [done.status, done.stderr])).toEqual([
      [2, 'genops: limit: limit must be above 0\n'],
      [2, expect.stringMatching(/^genops: target: .*\n$/)],
      [2, 'genops: limit: a USD budget is at most 10,000,000\n'],
    ])
  })
})
