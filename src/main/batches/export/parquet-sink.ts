/**
 * Parquet through hyparquet-writer. Chosen over @dsnp/parquetjs (which brings the AWS S3
 * SDK along for reading from buckets) and parquet-wasm (which wants a whole Arrow table in
 * memory): it is plain JavaScript with one dependency (hyparquet, its reader), maintained,
 * and its ParquetWriter takes the data a row group at a time and writes each to the file
 * as it goes, so memory holds one row group, not the export (bench/export.ts measures it).
 * Columns are the flat ones of the CSV (columns.ts), typed: counts INT32, cost and
 * latency DOUBLE, the rest UTF-8 strings, every one optional.
 */
import { closeSync, openSync, writeSync } from 'node:fs'
import { ByteWriter, ParquetWriter, schemaFromColumnData, type BasicType } from 'hyparquet-writer'
import type { ExportJobRow } from '../store'
import { flatHeader, flatRow, RESULT_COLUMNS, type CellValue, type ExportPlan, type ResultColumn } from './columns'
import type { ExportSink } from './sink'

/** Rows a row group holds: at 1 KB of output a row, 10 MB of strings held before they are encoded. */
export const ROW_GROUP_ROWS = 10_000
/** The writer's buffer is written to the file once it holds this much. */
const FLUSH_BYTES = 1 << 20

const TYPES: Partial<Record<ResultColumn, BasicType>> = {
  input_tokens: 'INT32',
  output_tokens: 'INT32',
  cached_input_tokens: 'INT32',
  cache_write_tokens: 'INT32',
  attempts: 'INT32',
  job_id: 'INT32',
  row: 'INT32',
  cost_usd: 'DOUBLE',
  latency_ms: 'DOUBLE',
}

/** hyparquet-writer's ByteWriter, emptied into a file descriptor whenever it holds a megabyte. */
class FileByteWriter extends ByteWriter {
  constructor(private readonly fd: number) {
    super(FLUSH_BYTES * 2)
  }

  private drain(): void {
    if (this.index === 0) return
    // A short write (the disk filling) is no error by itself: the rest is written again, and a full disk then throws ENOSPC.
    for (let done = 0; done < this.index;) done += writeSync(this.fd, new Uint8Array(this.buffer, done, this.index - done))
    this.index = 0
  }

  override ensure(size: number): void {
    if (this.index > FLUSH_BYTES) this.drain()
    super.ensure(size)
  }

  override finish(): void {
    this.drain()
  }
}

/** Each flat column's type. Input columns are the file's text; a name the input shares with a result column was renamed, so none is mistyped. */
function columnTypes(plan: ExportPlan, names: readonly string[]): BasicType[] {
  const typed = new Map(RESULT_COLUMNS.map((name) => [plan.resultNames[name], TYPES[name] ?? 'STRING']))
  return names.map((name, i) => (i < plan.inputColumns.length ? 'STRING' : (typed.get(name) ?? 'STRING')))
}

export class ParquetSink implements ExportSink {
  private readonly names: string[]
  private readonly types: BasicType[]
  private columns: CellValue[][]
  private held = 0
  private closed = false

  private constructor(
    private readonly fd: number,
    private readonly writer: ParquetWriter,
    private readonly bytes: FileByteWriter,
    private readonly plan: ExportPlan,
  ) {
    this.names = flatHeader(plan)
    this.types = columnTypes(plan, this.names)
    this.columns = this.names.map(() => [])
  }

  static open(path: string, plan: ExportPlan): ParquetSink {
    const fd = openSync(path, 'wx', 0o600)
    const bytes = new FileByteWriter(fd)
    const names = flatHeader(plan)
    const types = columnTypes(plan, names)
    const schema = schemaFromColumnData({ columnData: names.map((name, i) => ({ name, data: [], type: types[i], nullable: true })) })
    return new ParquetSink(fd, new ParquetWriter({ writer: bytes, schema, createdBy: 'genops' }), bytes, plan)
  }

  async write(rows: readonly ExportJobRow[]): Promise<void> {
    for (const row of rows) {
      const values = flatRow(row, this.plan)
      for (let i = 0; i < values.length; i++) {
        const value = values[i]!
        this.columns[i]!.push(this.types[i] === 'STRING' && value !== null ? String(value) : value)
      }
      if (++this.held >= ROW_GROUP_ROWS) await this.flushGroup()
    }
  }

  private async flushGroup(): Promise<void> {
    if (this.held === 0) return
    const columnData = this.names.map((name, i) => ({ name, data: this.columns[i]! }))
    await this.writer.write({ columnData, rowGroupSize: this.held })
    this.columns = this.names.map(() => [])
    this.held = 0
  }

  async finish(): Promise<void> {
    await this.flushGroup()
    await this.writer.finish()
    this.bytes.finish()
    this.close()
  }

  abort(): void {
    this.close()
  }

  private close(): void {
    if (this.closed) return
    this.closed = true
    closeSync(this.fd)
  }
}
