/**
 * Exports written from a real SQLite store in this process: JSON outputs flattened one level
 * for CSV and kept whole in JSON lines, input columns that share a result's name, a batch
 * still running (what is done is written, the rest counted), and paths that cannot be written.
 */
import { execFileSync } from 'node:child_process'
import { lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { writeBatchExport } from '../../src/main/batches/export/write-export'
import { job, T0, tempStore } from '../support/queue'
import { tempDir } from '../support/temp'

describe('writing an export', () => {
  it('flattens JSON outputs for CSV, keeps them whole in JSON lines, and counts the jobs not finished', async () => {
    const store = tempStore()
    const dir = tempDir()
    const inputs = [
      { id: 'r1', model: 'mine', prompt: 'one' },
      { id: 'r2', model: 'mine', prompt: 'two' },
      { id: 'r3', model: 'mine', prompt: 'three' },
    ]
    const { batchId } = store.enqueue(
      inputs.map((input, i) => ({ ...job(input.prompt, { config: { output: 'json' } }), origin: { file: 0, row: i + 1, input: JSON.stringify(input) } })),
      'rows.jsonl',
      T0,
      null,
      { sources: [{ name: 'rows.jsonl', format: 'jsonl', jobs: 3, columns: ['id', 'model', 'prompt'] }] },
    )
    const { jobs } = store.claim({ owner: 'o', limit: 2, now: T0, leaseMs: 60_000 })
    store.settle(
      jobs.map((claimed, i) => ({
        id: claimed.id,
        outcome: 'ok' as const,
        endedAt: T0 + 40,
        output: JSON.stringify({ title: `T${i}`, tags: ['a', 'b'] }),
        inputTokens: 3,
        outputTokens: 4,
        cost: { providerKind: 'openai', model: 'gpt-x', usd: 0.0012345678 },
      })),
      'o',
    )

    const csvPath = join(dir, 'rows.results.csv')
    expect(await writeBatchExport(store.batches, { batchId, format: 'csv', path: csvPath })).toMatchObject({ rows: 2, notFinished: 1 })
    const rows = parse(readFileSync(csvPath, 'utf8'), { columns: true }) as Record<string, string>[]
    // The input's `model` column stays the input's; GenOps's own is genops_model.
    expect(Object.keys(rows[0]!)).toEqual([
      'id',
      'model',
      'prompt',
      'output',
      'output.title',
      'output.tags',
      'state',
      'category',
      'last_error',
      'provider',
      'genops_model',
      'input_tokens',
      'output_tokens',
      'cached_input_tokens',
      'cache_write_tokens',
      'cost_usd',
      'latency_ms',
      'attempts',
      'artifact',
      'job_id',
      'file',
      'row',
    ])
    expect(rows.map((row) => [row.id, row.model, row.output, row['output.title'], row['output.tags'], row.cost_usd, row.latency_ms])).toEqual([
      ['r1', 'mine', '', 'T0', '["a","b"]', '0.001235', '40'],
      ['r2', 'mine', '', 'T1', '["a","b"]', '0.001235', '40'],
    ])

    const jsonlPath = join(dir, 'rows.results.jsonl')
    await writeBatchExport(store.batches, { batchId, format: 'jsonl', path: jsonlPath })
    const lines = readFileSync(jsonlPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines[0]).toMatchObject({ id: 'r1', model: 'mine', output: { title: 'T0', tags: ['a', 'b'] }, state: 'completed', file: 'rows.jsonl', row: 1 })
  })

  it('refuses an unknown batch and a path it cannot write, and leaves nothing behind', async () => {
    const store = tempStore()
    const dir = tempDir()
    const { batchId } = store.enqueue([job('only')], 'only', T0)
    writeFileSync(join(dir, 'a-file'), '')
    await expect(writeBatchExport(store.batches, { batchId: 99, format: 'csv', path: join(dir, 'x.csv') })).rejects.toThrow('batch 99 does not exist')
    await expect(writeBatchExport(store.batches, { batchId, format: 'parquet', path: join(dir, 'a-file', 'x.parquet') })).rejects.toThrow(
      `cannot write ${join(dir, 'a-file', 'x.parquet')}: ${join(dir, 'a-file')} is not a folder`,
    )
    await expect(writeBatchExport(store.batches, { batchId, format: 'jsonl', path: dir })).rejects.toThrow(`cannot write ${dir}: it is a folder`)
    expect(readdirSync(dir)).toEqual(['a-file'])
    // A batch of jobs without sources exports their prompts.
    const written = await writeBatchExport(store.batches, { batchId, format: 'csv', path: join(dir, 'only.csv') })
    expect(written).toMatchObject({ rows: 0, notFinished: 1 })
    expect(readFileSync(join(dir, 'only.csv'), 'utf8').split('\r\n')[0]).toMatch(/^prompt,output,state,/)
  })

  it('exports a batch one of whose jobs was quarantined for a config that does not parse', async () => {
    const store = tempStore()
    const dir = tempDir()
    const { batchId, jobIds } = store.enqueue([job('bad'), job('good')], 'b', T0)
    store.db.prepare(`UPDATE jobs SET config = '{not json' WHERE id = ?`).run(jobIds[0])
    store.claim({ owner: 'o', limit: 10, now: T0, leaseMs: 60_000 })
    const written = await writeBatchExport(store.batches, { batchId, format: 'csv', path: join(dir, 'b.csv') })
    expect(written).toMatchObject({ rows: 1, notFinished: 1 })
    expect(readFileSync(join(dir, 'b.csv'), 'utf8')).toMatch(/^bad,,dead,VALIDATION,stored job config does not parse/m)
  })

  it('a store that fails mid-export (the engine closing) ends it with the error, and no stream error escapes', async () => {
    const store = tempStore()
    const dir = tempDir()
    const { batchId } = store.enqueue([job('one')], 'b', T0)
    const failing = Object.assign(Object.create(store.batches) as typeof store.batches, {
      exportPage: () => Promise.reject(new Error('the database connection is not open')),
    })
    await expect(writeBatchExport(failing, { batchId, format: 'csv', path: join(dir, 'b.csv') })).rejects.toThrow('the database connection is not open')
    // A turn for a stray 'error' event to surface (vitest fails the run on one).
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(readdirSync(dir)).toEqual([])
  })

  it("renames the output's flattened columns when the input already has one of their names", async () => {
    const store = tempStore()
    const dir = tempDir()
    const input = { prompt: 'one', 'output.title': 'mine' }
    const { batchId } = store.enqueue([{ ...job('one'), origin: { file: 0, row: 1, input: JSON.stringify(input) } }], 'in.csv', T0, null, {
      sources: [{ name: 'in.csv', format: 'csv', jobs: 1, columns: ['prompt', 'output.title'] }],
    })
    const { jobs } = store.claim({ owner: 'o', limit: 1, now: T0, leaseMs: 60_000 })
    store.settle([{ id: jobs[0]!.id, outcome: 'ok', endedAt: T0 + 10, output: '{"title":"theirs"}', inputTokens: 1, outputTokens: 1 }], 'o')
    for (const format of ['csv', 'parquet'] as const) {
      await writeBatchExport(store.batches, { batchId, format, path: join(dir, `out.${format}`) })
    }
    const [header, row] = parse(readFileSync(join(dir, 'out.csv'), 'utf8')) as string[][]
    expect(new Set(header).size).toBe(header!.length)
    expect(header!.slice(0, 4)).toEqual(['prompt', 'output.title', 'genops_output', 'genops_output.title'])
    expect(row!.slice(0, 4)).toEqual(['one', 'mine', '', 'theirs'])
  })

  it('never puts a file in place of a pipe or a device, and writes through a link to the file it names', async () => {
    const store = tempStore()
    const dir = tempDir()
    const { batchId } = store.enqueue([job('only')], 'only', T0)
    const pipe = join(dir, 'pipe')
    execFileSync('mkfifo', [pipe])
    await expect(writeBatchExport(store.batches, { batchId, format: 'csv', path: pipe })).rejects.toThrow(`cannot write ${pipe}: it is not a regular file`)
    expect(lstatSync(pipe).isFIFO()).toBe(true)
    writeFileSync(join(dir, 'target.csv'), 'old')
    symlinkSync(join(dir, 'target.csv'), join(dir, 'link.csv'))
    await writeBatchExport(store.batches, { batchId, format: 'csv', path: join(dir, 'link.csv') })
    expect(lstatSync(join(dir, 'link.csv')).isSymbolicLink()).toBe(true)
    expect(readFileSync(join(dir, 'target.csv'), 'utf8')).toMatch(/^prompt,output,state,/)
    expect(readdirSync(dir).sort()).toEqual(['link.csv', 'pipe', 'target.csv'])
  })
})
