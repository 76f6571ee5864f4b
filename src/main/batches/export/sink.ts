/** What every export format's writer does: rows in a page at a time, then a whole file or none. */
import type { ExportJobRow } from '../store'

export interface ExportSink {
  write(rows: readonly ExportJobRow[]): Promise<void>
  /** Flushes and closes the file. */
  finish(): Promise<void>
  /** Closes the file after a failure (the caller removes it). */
  abort(): void
}
