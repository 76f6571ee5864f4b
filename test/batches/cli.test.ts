/**
 * `genops batches`, `genops export` and `genops compare` as an operator runs them: the CLI
 * as a separate process; a CSV enqueued, run by the real engine and pool on the simulator,
 * run again with another seed; its results exported as CSV and Parquet and read back; the
 * two runs compared; and bad input refused in one line, leaving no file behind. (JSON lines,
 * JSON outputs and the other refusals: export.test.ts, in this process.)
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { parquetReadObjects } from 'hyparquet'
import { describe, expect, it } from 'vitest'
import { genopsAsync } from '../support/cli'
import { tempDir } from '../support/temp'

const CSV = [
  'sku,name,prompt,config',
  'A1,Kettle,Describe {{name}},"{""latencyMs"": 5}"',
  'B2,"Toaster, 2 slots",Describe {{name}},"{""latencyMs"": 5}"',
  'C3,=HYPERLINK(1),Describe {{name}},"{""latencyMs"": 5}"',
].join('\n')

describe('genops batches, export and compare', () => {
  it('exports a run beside its input in three formats, compares it with a re-run, and refuses bad input in one line', { timeout: 120_000 }, async () => {
    const dir = tempDir()
    const dataDir = join(dir, 'data')
    const cli = (...args: string[]) => genopsAsync([...args, '--data-dir', dataDir])
    writeFileSync(join(dir, 'products.csv'), CSV)

    const enqueued = await cli('enqueue', join(dir, 'products.csv'))
    expect(enqueued.stdout).toMatch(/enqueued 3 jobs as batch 1/)
    expect((await cli('run', '--until-empty', '--no-metrics')).status).toBe(0)
    const rerun = await cli('batches', 'rerun', '1', '--config', '{"seed": 3}')
    expect(rerun.stdout).toMatch(/^estimate: \$0\.00 for 3 jobs/m)
    expect(rerun.stdout).toMatch(/batch 1: re-run as batch 2 \(3 jobs\)/)
    expect((await cli('run', '--until-empty', '--no-metrics')).status).toBe(0)

    const out = join(dir, 'out')
    mkdirSync(out)
    const [csv, parquet, list, compare, unknown, format, missingDir] = await Promise.all([
      cli('export', '1', '--format', 'csv', '--out', join(out, 'products.results.csv')),
      cli('export', '1', '--format', 'parquet', '--out', join(out, 'products.results.parquet')),
      cli('batches', 'list', '--json'),
      cli('compare', '1', '2', '--csv'),
      cli('export', '9', '--out', join(out, 'nine.csv')),
      cli('export', '1', '--format', 'xlsx', '--out', join(out, 'one.xlsx')),
      cli('export', '1', '--out', join(dir, 'no-such-folder', 'x.csv')),
    ])

    expect(csv.stdout).toMatch(/products\.results\.csv: 3 rows \(csv\)$/m)
    const rows = parse(readFileSync(join(out, 'products.results.csv'), 'utf8'), { columns: true }) as Record<string, string>[]
    expect(Object.keys(rows[0]!).slice(0, 6)).toEqual(['sku', 'name', 'prompt', 'config', 'output', 'state'])
    expect(rows.map((row) => [row.sku, row.name, row.state, row.file, row.row])).toEqual([
      ['A1', 'Kettle', 'completed', 'products.csv', '2'],
      ['B2', 'Toaster, 2 slots', 'completed', 'products.csv', '3'],
      // The formula guard: a spreadsheet shows the cell as text.
      ['C3', "'=HYPERLINK(1)", 'completed', 'products.csv', '4'],
    ])
    expect(rows.every((row) => row.output!.length > 0 && row.provider === 'sim' && row.attempts === '1')).toBe(true)

    expect(parquet.status).toBe(0)
    const bytes = readFileSync(join(out, 'products.results.parquet'))
    const table = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) })
    expect(table.map((row) => [row.sku, row.output, row.input_tokens, row.row])).toEqual(
      rows.map((row) => [row.sku, row.output, Number(row.input_tokens), Number(row.row)]),
    )

    const batches = JSON.parse(list.stdout) as { id: number; rerunOf: number | null; finished: number; sources: { name: string; columns: string[] }[] }[]
    expect(batches.map((batch) => [batch.id, batch.rerunOf, batch.finished])).toEqual([
      [2, 1, 3],
      [1, null, 3],
    ])
    expect(batches[1]!.sources).toEqual([{ name: 'products.csv', format: 'csv', jobs: 3, columns: ['sku', 'name', 'prompt', 'config'] }])

    const compared = parse(compare.stdout, { columns: true }) as Record<string, string>[]
    expect(compared.map((row) => row.row)).toEqual(['products.csv:2', 'products.csv:3', 'products.csv:4'])
    expect(compared.map((row) => row.a_output)).toEqual(rows.map((row) => row.output))
    // Another seed, other words from the simulator.
    expect(compared.every((row) => row.same === 'no' && row.b_state === 'completed')).toBe(true)

    for (const [result, line] of [
      [unknown, 'genops: batch 9 does not exist\n'],
      [missingDir, `genops: cannot write ${join(dir, 'no-such-folder', 'x.csv')}: the folder ${join(dir, 'no-such-folder')} does not exist\n`],
    ] as const) {
      expect(result.stderr).toBe(line)
      expect(result.status).not.toBe(0)
    }
    expect(format.status).toBe(2)
    expect(format.stderr.trim().split('\n')).toEqual([
      `error: option '--format <format>' argument 'xlsx' is invalid. "xlsx" is not a format: use csv, jsonl, parquet`,
    ])
    // Only the three exports: nothing partial under any name.
    expect(readdirSync(out).sort()).toEqual(['products.results.csv', 'products.results.parquet'])
  })
})
