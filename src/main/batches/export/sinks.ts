/**
 * Where exported rows go, one format each: a page of jobs at a time in, bytes to a file out.
 * CSV goes through the one CSV writer (src/shared/csv.ts: csv-stringify with the formula
 * guard); JSON lines through JSON.stringify; Parquet through hyparquet-writer (parquet-sink.ts).
 * Text formats stream to a write stream that is waited on when it is full, so a million rows
 * never sit in memory at once.
 */
import { once } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'
import type { ExportFormat } from '../../../shared/batches'
import { toCsv } from '../../../shared/csv'
import type { ExportJobRow } from '../store'
import { flatHeader, flatRow, jsonRecord, type ExportPlan } from './columns'
import { ParquetSink } from './parquet-sink'
import type { ExportSink } from './sink'

export type { ExportSink } from './sink'

/** Opens the file first, so a path that cannot be written fails before any row is read. */
async function openStream(path: string): Promise<WriteStream> {
  const stream = createWriteStream(path, { flags: 'wx', mode: 0o600 })
  await once(stream, 'open')
  return stream
}

class TextSink implements ExportSink {
  constructor(
    private readonly stream: WriteStream,
    private readonly encode: (rows: readonly ExportJobRow[]) => string,
  ) {}

  static async open(path: string, first: string, encode: (rows: readonly ExportJobRow[]) => string): Promise<TextSink> {
    const sink = new TextSink(await openStream(path), encode)
    if (first !== '') await sink.put(first)
    return sink
  }

  private async put(text: string): Promise<void> {
    // once() rejects if the stream errs while it waits: a full disk ends the export instead of hanging it.
    if (!this.stream.write(text)) await once(this.stream, 'drain')
  }

  write(rows: readonly ExportJobRow[]): Promise<void> {
    return rows.length === 0 ? Promise.resolve() : this.put(this.encode(rows))
  }

  async finish(): Promise<void> {
    this.stream.end()
    await once(this.stream, 'close')
  }

  abort(): void {
    // A write still pending fails once the stream is destroyed: that error is this failure's echo, not a new one to crash on.
    this.stream.on('error', () => {})
    this.stream.destroy()
  }
}

export async function openSink(format: ExportFormat, path: string, plan: ExportPlan): Promise<ExportSink> {
  switch (format) {
    case 'csv':
      return TextSink.open(path, toCsv([flatHeader(plan)]), (rows) => toCsv(rows.map((row) => flatRow(row, plan))))
    case 'jsonl':
      return TextSink.open(path, '', (rows) => rows.map((row) => `${JSON.stringify(jsonRecord(row, plan))}\n`).join(''))
    case 'parquet':
      return ParquetSink.open(path, plan)
  }
}
