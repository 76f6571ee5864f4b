/**
 * `.csv`: a header row, then one job per row. The `prompt` column is the prompt; columns
 * named like a job field (provider, profile, model, priority, attempts, delayMs, tags,
 * idempotency_key, config, output, schema) fill that field; every other column is a
 * template variable (`{{sku}}` in the prompt takes the row's `sku` cell). csv-parse reads
 * the file, quoted cells spanning lines included; a problem names the line its row starts on.
 */
import { parse, type CsvError, type InfoRecord, type Options } from 'csv-parse/sync'
import type { JobSpec } from '../../shared/jobs'
import { toJobSpec, type FileJobField } from './job'
import { MAX_LINE_CHARS } from './limits'
import type { FileJobs } from './file-jobs'
import type { FileProblems } from './problems'

/** How a cell of a job-field column becomes the field's value; throws with the reason. */
type CellReader = (cell: string) => unknown

const asText: CellReader = (cell) => cell
const asWholeNumber: CellReader = (cell) => {
  if (!/^\s*\d+\s*$/.test(cell)) throw new Error(`"${cell}" is not a whole number`)
  return Number(cell)
}
/** Spreadsheet users separate a list either way: `ui; batch-a` or `ui,batch-a` (quoted). */
const asList: CellReader = (cell) =>
  cell
    .split(/[;,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '')
const asJson: CellReader = (cell) => {
  try {
    return JSON.parse(cell)
  } catch (error) {
    throw new Error(`not valid JSON (${(error as Error).message})`)
  }
}
/** `text` or `json` as a word, or `{"schema": ...}` as JSON. */
const asOutput: CellReader = (cell) => (cell.trim().startsWith('{') ? asJson(cell) : cell.trim())

/** Job-field columns. `vars` is not one: in a CSV the variables are the other columns. */
const READERS: Partial<Record<FileJobField, CellReader>> = {
  prompt: asText,
  provider: asText,
  profile: asText,
  model: asText,
  priority: asText,
  // idempotency_key and `Idempotency Key` read as this one too: see comparable.
  idempotencyKey: asText,
  attempts: asWholeNumber,
  delayMs: asWholeNumber,
  tags: asList,
  config: asJson,
  output: asOutput,
  schema: asJson,
}

/** Header names match a field however they are written: `Idempotency Key`, `idempotency_key`, `idempotencyKey`. */
const comparable = (name: string) => name.toLowerCase().replace(/[\s_-]/g, '')
const FIELD_BY_NAME = new Map(Object.keys(READERS).map((field) => [comparable(field), field as keyof typeof READERS]))

interface Column {
  name: string
  /** The job field this column fills, or undefined for a template variable. */
  field: keyof typeof READERS | undefined
}

export function parseCsv(text: string, file: FileJobs): void {
  const { problems } = file
  if (hasOverlongLine(text, problems)) return
  let columns: Column[] | null = null
  let lastLine = 0
  let rows = 0
  // With raw on, csv-parse hands on_record the row and its raw text (its types do not say so).
  const onRecord = ({ record, raw }: { record: string[]; raw: string }, context: InfoRecord): null => {
    const line = startLine(context.lines, raw)
    lastLine = context.lines
    if (columns === null) {
      columns = readHeader(record, line, problems)
      file.setColumns(columns.map((column) => column.name))
      return null
    }
    rows++
    if (columns.length === 0) return null
    if (record.length !== columns.length) {
      problems.add(line, `the row has ${record.length} cells, the header has ${columns.length} columns`)
      return null
    }
    file.take(rowToJob(record, columns), line, rowInput(record, columns))
    return null
  }
  try {
    parse(text, {
      raw: true,
      // Rows of the wrong length are reported with their line, and the others still read.
      relax_column_count: true,
      skip_empty_lines: true,
      // A hand-written `say "hi"` in a cell, or `"hi" there`, means the quotes as written.
      relax_quotes: true,
      // Every row is handled as it is read: none is kept (null), so a large file is not held twice.
      on_record: onRecord as unknown as Options['on_record'],
    })
  } catch (error) {
    const csvError = error as CsvError
    const lines = typeof csvError.lines === 'number' ? csvError.lines : null
    // csv-parse cannot find its way after an unclosed quote: it is the one problem reported.
    if (csvError.code === 'CSV_QUOTE_NOT_CLOSED') problems.add(nextRecordLine(text, lastLine), 'a quoted cell is never closed (a " is missing)')
    else problems.add(lines, `not valid CSV (${csvError.message.replace(/ (at|on) line \d+/, '')})`)
    return
  }
  if (rows === 0 && !problems.any) problems.add(null, 'the file has a header row but no rows of prompts')
}

function readHeader(record: string[], line: number, problems: FileProblems): Column[] {
  const names = record.map((name) => name.trim())
  const columns: Column[] = []
  const seen = new Set<string>()
  names.forEach((name, index) => {
    if (name === '') problems.add(line, `column ${index + 1} has no name in the header row`)
    const field = FIELD_BY_NAME.get(comparable(name))
    const key = field ?? name
    if (seen.has(key)) problems.add(line, `the column "${name}" appears twice`)
    seen.add(key)
    columns.push({ name, field })
  })
  if (!seen.has('prompt')) {
    // A one-column header holding ; or tabs is a file separated by something else than commas.
    const hint = names.length === 1 && /[;\t]/.test(names[0]!) ? '; the cells must be separated by commas' : ''
    problems.add(line, `the file has no "prompt" column (its columns: ${names.join(', ')})${hint}`)
  }
  return problems.any ? [] : columns
}

/** The row's cells by column name, as the file wrote them: what an export puts back beside the output. */
function rowInput(record: string[], columns: Column[]): Record<string, string> {
  const input: Record<string, string> = {}
  for (let i = 0; i < columns.length; i++) input[columns[i]!.name] = record[i]!
  return input
}

function rowToJob(record: string[], columns: Column[]): JobSpec | string {
  const fields: Record<string, unknown> = {}
  const vars: Record<string, string> = {}
  let hasVars = false
  for (let i = 0; i < columns.length; i++) {
    const { name, field } = columns[i]!
    const cell = record[i]!
    if (field === undefined) {
      vars[name] = cell
      hasVars = true
      continue
    }
    // An empty cell leaves the field to the defaults; an empty prompt is still the row's mistake.
    if (cell.trim() === '' && field !== 'prompt') continue
    try {
      fields[field] = READERS[field]!(cell)
    } catch (error) {
      return `${name}: ${(error as Error).message}`
    }
  }
  if (hasVars) fields.vars = vars
  return toJobSpec(fields)
}

/**
 * The line a row starts on. csv-parse counts lines up to the row's end; its raw text
 * carries the blank lines skipped before it and its own line end, which are not the row's.
 */
function startLine(endLine: number, raw: string): number {
  let from = 0
  while (raw[from] === '\n') from++
  const to = raw.endsWith('\n') ? raw.length - 1 : raw.length
  let inside = 0
  for (let i = raw.indexOf('\n', from); i !== -1 && i < to; i = raw.indexOf('\n', i + 1)) inside++
  return endLine - inside
}

/** Where the row after the last whole one begins: the row whose quote is never closed. */
function nextRecordLine(text: string, lastLine: number): number {
  const lines = text.split('\n')
  let line = lastLine + 1
  while (line <= lines.length && lines[line - 1] === '') line++
  return line
}

function hasOverlongLine(text: string, problems: FileProblems): boolean {
  let line = 1
  let start = 0
  while (start <= text.length) {
    const end = text.indexOf('\n', start)
    const length = (end === -1 ? text.length : end) - start
    if (length > MAX_LINE_CHARS) problems.add(line, `the line is ${length} characters, over the limit of ${MAX_LINE_CHARS}`)
    if (end === -1) break
    start = end + 1
    line++
  }
  return problems.any
}
