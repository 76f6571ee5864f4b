/**
 * One export in a process of its own, so its peak RSS is its own: `tsx bench/export-child.ts
 * DB BATCH FORMAT OUT` prints {ms, rows, bytes, baseRssMb, peakRssMb} as JSON.
 */
import { writeBatchExport } from '../src/main/batches/export/write-export'
import { SqliteQueueStore } from '../src/main/store/sqlite/queue'
import type { ExportFormat } from '../src/shared/batches'

const [file, batch, format, out] = process.argv.slice(2)
const store = SqliteQueueStore.open(file!)
const baseRssMb = process.memoryUsage().rss / 2 ** 20
const started = performance.now()
const written = await writeBatchExport(store.batches, { batchId: Number(batch), format: format as ExportFormat, path: out! })
const ms = performance.now() - started
store.close()
// maxRSS is in kilobytes: the most this process ever held, the export included.
process.stdout.write(`${JSON.stringify({ ms, rows: written.rows, bytes: written.bytes, baseRssMb, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`)
