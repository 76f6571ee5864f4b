/**
 * The columns of an export: the input's own columns first (a CSV's header, a JSON file's
 * fields, or `prompt` for jobs that kept no input), then what GenOps adds. A result column
 * whose name the input already uses is written `genops_<name>`, so neither hides the other.
 * JSON-object outputs are flattened one level for the flat formats (CSV, Parquet):
 * `output.title`, `output.tags`... with nested values as JSON text.
 */
import type { BatchSource } from '../../../shared/batches'
import type { ExportJobRow } from '../store'

/** What each job gets after the input's columns, in order. */
export const RESULT_COLUMNS = [
  'output',
  'state',
  'category',
  'last_error',
  'provider',
  'model',
  'input_tokens',
  'output_tokens',
  // Input read from and written to the provider's prompt cache (shared/tokens): input_tokens is the rest.
  'cached_input_tokens',
  'cache_write_tokens',
  'cost_usd',
  'latency_ms',
  'attempts',
  'artifact',
  'job_id',
  'file',
  'row',
] as const
export type ResultColumn = (typeof RESULT_COLUMNS)[number]

export type CellValue = string | number | null

/** Most output keys flattened into columns: past them, the rest of an object stays in `output` as JSON. */
export const MAX_OUTPUT_KEYS = 100

export interface ExportPlan {
  inputColumns: string[]
  /** Output keys flattened into `output.<key>` columns (flat formats only). */
  outputKeys: string[]
  /** Each result column's name as written (renamed when the input uses it). */
  resultNames: Record<ResultColumn, string>
  /** The source files by their place in the batch, for the `file` column. */
  fileNames: string[]
}

export function planExport(sources: readonly BatchSource[], outputKeys: readonly string[]): ExportPlan {
  const inputColumns: string[] = []
  const seen = new Set<string>()
  for (const source of sources) {
    for (const column of source.columns) {
      if (!seen.has(column)) inputColumns.push(column)
      seen.add(column)
    }
  }
  // Jobs that kept no input (a .txt prompt, the API's jobs) still show what they were asked.
  if (inputColumns.length === 0) inputColumns.push('prompt')
  const taken = new Set(inputColumns)
  const resultNames = Object.fromEntries(RESULT_COLUMNS.map((name) => [name, taken.has(name) ? `genops_${name}` : name])) as Record<ResultColumn, string>
  // The flattened `output.<key>` columns are results too: an input column of that name keeps it, and the output's are renamed.
  if (outputKeys.some((key) => taken.has(`${resultNames.output}.${key}`))) resultNames.output = 'genops_output'
  return { inputColumns, outputKeys: [...outputKeys], resultNames, fileNames: sources.map((source) => source.name) }
}

/** The flat formats' header: input columns, output and its flattened keys, then the rest. */
export function flatHeader(plan: ExportPlan): string[] {
  const output = plan.resultNames.output
  return [
    ...plan.inputColumns,
    output,
    ...plan.outputKeys.map((key) => `${output}.${key}`),
    ...RESULT_COLUMNS.filter((name) => name !== 'output').map((name) => plan.resultNames[name]),
  ]
}

/** The input's fields of a job, or its prompt alone when it kept none. */
export function inputOf(row: ExportJobRow): Record<string, unknown> {
  if (row.input !== null) {
    try {
      const value: unknown = JSON.parse(row.input)
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>
    } catch {
      // A damaged input column shows as the prompt: the export goes on.
    }
  }
  return { prompt: row.prompt }
}

const cell = (value: unknown): CellValue =>
  value === undefined || value === null ? null : typeof value === 'string' || typeof value === 'number' ? value : JSON.stringify(value)

/** The output as a JSON object, when it is one. */
export function outputObject(output: string | null): Record<string, unknown> | null {
  if (output === null || !output.startsWith('{')) return null
  try {
    const value: unknown = JSON.parse(output)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

/** What GenOps adds for a job, by result column. */
export function resultValues(row: ExportJobRow, plan: ExportPlan): Record<Exclude<ResultColumn, 'output'>, CellValue> {
  return {
    state: row.state,
    category: row.category,
    last_error: row.lastError,
    provider: row.provider,
    model: row.model,
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cached_input_tokens: row.cachedInputTokens,
    cache_write_tokens: row.cacheWriteTokens,
    cost_usd: row.costUsd === null ? null : Math.round(row.costUsd * 1e6) / 1e6,
    latency_ms: row.latencyMs,
    attempts: row.attempts,
    artifact: row.artifact,
    job_id: row.id,
    file: row.sourceFile === null ? null : (plan.fileNames[row.sourceFile] ?? null),
    row: row.sourceRow,
  }
}

/** One job as a flat row, in flatHeader's order. An object output fills its keys' columns; any other output stays in `output`. */
export function flatRow(row: ExportJobRow, plan: ExportPlan): CellValue[] {
  const input = inputOf(row)
  const object = plan.outputKeys.length > 0 ? outputObject(row.output) : null
  const flattened = object !== null && Object.keys(object).every((key) => plan.outputKeys.includes(key))
  const results = resultValues(row, plan)
  return [
    ...plan.inputColumns.map((column) => cell(input[column])),
    flattened ? null : row.output,
    ...plan.outputKeys.map((key) => (flattened ? cell(object[key]) : null)),
    ...RESULT_COLUMNS.filter((name) => name !== 'output').map((name) => results[name as Exclude<ResultColumn, 'output'>]),
  ]
}

/** One job as a JSON line: the input's fields as they were, then the output (parsed when the job asked for JSON) and the rest. */
export function jsonRecord(row: ExportJobRow, plan: ExportPlan): Record<string, unknown> {
  const record: Record<string, unknown> = { ...inputOf(row) }
  let output: unknown = row.output
  if (row.checked && row.output !== null) {
    try {
      output = JSON.parse(row.output)
    } catch {
      // Not JSON after all (a failed check keeps its text): written as text.
    }
  }
  record[plan.resultNames.output] = output
  const results = resultValues(row, plan)
  for (const name of RESULT_COLUMNS) if (name !== 'output') record[plan.resultNames[name]] = results[name]
  return record
}
